// blosc as numcodecs.Blosc writes it: one blosc1 buffer, a 16-byte header (version 2,
// versionlz, flags - shuffle, bitshuffle or a plain copy -, the type size, then nbytes,
// blocksize and cbytes as 4-byte little-endian integers) followed by the blocks. The type
// size is the array's element size, as numcodecs takes it from the chunk's itemsize: the
// shuffle regroups byte i of every element into plane i, which is what makes float32
// fields compress. Written with blosc_compress_ctx, which keeps no global state (several
// workers encode at once) and is told to start no threads of its own.
#include <blosc.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "codecs.hpp"

namespace zpmpi::codec {

std::uint64_t blosc_encoded_size_bound(std::uint64_t raw_size) {
  // blosc guarantees success into nbytes + BLOSC_MAX_OVERHEAD (it falls back to a copy);
  // past BLOSC_MAX_BUFFERSIZE, which encode() refuses, the bound stays monotonic.
  return raw_size > UINT64_MAX - BLOSC_MAX_OVERHEAD ? UINT64_MAX : raw_size + BLOSC_MAX_OVERHEAD;
}

namespace {

class BloscCodec final : public Codec {
 public:
  BloscCodec(BloscName cname, int clevel, int shuffle) : cname_(blosc_name(cname)), clevel_(clevel), shuffle_(shuffle) {}

  std::size_t max_encoded_size(std::size_t raw_size) const override { return blosc_encoded_size_bound(raw_size); }

  Result<std::size_t> encode(std::span<const std::byte> raw, std::span<std::byte> out,
                             std::size_t element_size) const override {
    if (raw.size() > BLOSC_MAX_BUFFERSIZE)
      return runtime_error("blosc: a chunk of " + std::to_string(raw.size()) + " bytes exceeds blosc's limit of " +
                           std::to_string(BLOSC_MAX_BUFFERSIZE));
    // blosc shuffles nothing for a type size of 1 or above 255 (BLOSC_MAX_TYPESIZE).
    const std::size_t typesize = std::max<std::size_t>(element_size, 1);
    const int n = blosc_compress_ctx(clevel_, shuffle_, typesize, raw.size(), raw.data(), out.data(), out.size(),
                                     cname_.c_str(), /*blocksize=*/0, /*numinternalthreads=*/1);
    if (n == 0) return runtime_error("blosc: compression failed (output buffer too small)");
    if (n < 0) return runtime_error("blosc: compression failed (error " + std::to_string(n) + ")");
    return static_cast<std::size_t>(n);
  }

  Status decode(std::span<const std::byte> encoded, std::span<std::byte> out) const override {
    return decode_blosc(encoded, out);
  }

 private:
  std::string cname_;
  int clevel_, shuffle_;
};

}  // namespace

std::unique_ptr<Codec> make_blosc_codec(BloscName cname, int clevel, int shuffle) {
  return std::make_unique<BloscCodec>(cname, clevel, shuffle);
}

}  // namespace zpmpi::codec
