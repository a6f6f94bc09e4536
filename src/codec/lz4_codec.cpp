// lz4 as numcodecs.LZ4 frames it: the uncompressed length as a 4-byte little-endian
// integer, then one raw LZ4 block (LZ4_compress_fast), not an LZ4 frame (no 04 22 4d 18
// magic). 100 raw bytes -> 64 00 00 00, then the block; 0 raw bytes -> 00 00 00 00 00
// (the header and the one-token empty block).
#include <lz4.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>

#include "codecs.hpp"

namespace zpmpi::codec {
namespace {
constexpr std::size_t kHeader = 4;
}  // namespace

std::uint64_t lz4_encoded_size_bound(std::uint64_t raw_size) {
  // The header, then LZ4_COMPRESSBOUND's n + n/255 + 16 (for n past LZ4_MAX_INPUT_SIZE
  // too, which encode() refuses: the bound stays monotonic), saturating.
  const std::uint64_t extra = kHeader + raw_size / 255 + 16;
  return raw_size > UINT64_MAX - extra ? UINT64_MAX : raw_size + extra;
}

namespace {

class Lz4Codec final : public Codec {
 public:
  explicit Lz4Codec(int acceleration) : acceleration_(acceleration) {}

  std::size_t max_encoded_size(std::size_t raw_size) const override { return lz4_encoded_size_bound(raw_size); }

  Result<std::size_t> encode(std::span<const std::byte> raw, std::span<std::byte> out, std::size_t) const override {
    // The block API takes an int size: a chunk is capped at LZ4_MAX_INPUT_SIZE (~2 GB).
    if (raw.size() > LZ4_MAX_INPUT_SIZE)
      return runtime_error("lz4: a chunk of " + std::to_string(raw.size()) + " bytes exceeds lz4's limit of " +
                           std::to_string(LZ4_MAX_INPUT_SIZE));
    if (out.size() < kHeader) return runtime_error("lz4: output buffer too small");
    const auto size = static_cast<std::uint32_t>(raw.size());
    for (std::size_t i = 0; i < kHeader; ++i) out[i] = static_cast<std::byte>((size >> (8 * i)) & 0xff);
    const int n = LZ4_compress_fast(reinterpret_cast<const char*>(raw.data()),
                                    reinterpret_cast<char*>(out.data() + kHeader), static_cast<int>(raw.size()),
                                    static_cast<int>(std::min<std::size_t>(out.size() - kHeader, INT_MAX)),
                                    acceleration_);
    if (n <= 0) return runtime_error("lz4: compression failed (output buffer too small)");
    return kHeader + static_cast<std::size_t>(n);
  }

  Status decode(std::span<const std::byte> encoded, std::span<std::byte> out) const override {
    return decode_lz4(encoded, out);
  }

 private:
  int acceleration_;
};

}  // namespace

std::unique_ptr<Codec> make_lz4_codec(int acceleration) { return std::make_unique<Lz4Codec>(acceleration); }

}  // namespace zpmpi::codec
