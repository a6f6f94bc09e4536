// Fuzz target: the codec chain's decoders. The first byte picks a chain (as a .zarray
// would name it), the second the decoded chunk size; the rest is the stored chunk. A
// decode must succeed with exactly that size or return an error: never read or write
// out of bounds.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <boost/json.hpp>

#include "zpmpi/codec/decode_chain.hpp"

namespace {

struct Chain {
  const char* compressor;
  const char* filters;
  const char* dtype;
};

constexpr Chain kChains[] = {
    {R"({"id": "zlib", "level": 1})", "null", "<f4"},
    {R"({"id": "gzip", "level": 1})", "null", "<i2"},
    {R"({"id": "zstd", "level": 1})", "null", "<f8"},
    {R"({"id": "lz4", "acceleration": 1})", "null", "<u1"},
    {R"({"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0})", "null", "<f4"},
    {R"({"id": "zlib", "level": 4})", R"([{"id": "shuffle", "elementsize": 4}])", "<f4"},
    {"null", R"([{"id": "delta", "dtype": "<i4"}])", "<i4"},
    {"null", R"([{"id": "fixedscaleoffset", "scale": 100, "offset": 1, "dtype": "<f8", "astype": "<i2"}])", "<f8"},
    {R"({"id": "zstd", "level": 3})", R"([{"id": "shuffle", "elementsize": 8}])", ">f8"},
    {"null", "null", ">i4"},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static std::vector<zpmpi::codec::DecodeChain> chains = [] {
    std::vector<zpmpi::codec::DecodeChain> out;
    for (const Chain& c : kChains) {
      auto chain = zpmpi::codec::DecodeChain::from_zarr(boost::json::parse(c.compressor), boost::json::parse(c.filters),
                                                        c.dtype);
      if (!chain.ok()) __builtin_trap();  // the table above must be valid
      out.push_back(std::move(chain).value());
    }
    return out;
  }();
  static zpmpi::codec::DecodeScratch scratch;
  const auto& chain = chains[data[0] % chains.size()];
  const std::size_t out_size = (static_cast<std::size_t>(data[1]) + 1) * 8;  // a multiple of every dtype size
  std::vector<std::byte> out(out_size);
  (void)chain.decode({reinterpret_cast<const std::byte*>(data + 2), size - 2}, out, scratch);
  return 0;
}
