// gzip as numcodecs.GZip writes it: one gzip member (RFC 1952) - 1f 8b 08, flags 00, a
// 4-byte mtime (0 here), xfl, os, the deflate data, then CRC-32 and the size mod 2^32,
// both little endian. Python's GzipFile (numcodecs' decoder) reads it; it is not the raw
// zlib stream (78 01 ...) of numcodecs.Zlib. Written with libdeflate, whose levels 1..9
// trade speed for size like zlib's but choose other matches: the bytes differ from
// Python's, the decoded data does not.
#include <libdeflate.h>

#include <cstdint>
#include <string>

#include "codecs.hpp"

namespace zpmpi::codec {

std::uint64_t gzip_encoded_size_bound(std::uint64_t raw_size) {
  // libdeflate's bound for any of its compressors (NULL), saturating where its
  // n + n / (minimum block length) * 5 + header arithmetic could wrap.
  if (raw_size > UINT64_MAX / 2) return UINT64_MAX;
  return libdeflate_gzip_compress_bound(nullptr, static_cast<std::size_t>(raw_size));
}

namespace {

class GzipCodec final : public Codec {
 public:
  explicit GzipCodec(int level) : level_(level), compressor_(libdeflate_alloc_compressor(level), libdeflate_free_compressor) {}

  std::size_t max_encoded_size(std::size_t raw_size) const override { return gzip_encoded_size_bound(raw_size); }

  // One compressor per codec, reused across chunks (libdeflate allocates ~1 MB for its
  // match finder): like zstd's context, it makes encode() one thread's at a time.
  Result<std::size_t> encode(std::span<const std::byte> raw, std::span<std::byte> out, std::size_t) const override {
    if (!compressor_) return runtime_error("gzip: cannot allocate a level " + std::to_string(level_) + " compressor");
    const std::size_t n = libdeflate_gzip_compress(compressor_.get(), raw.data(), raw.size(), out.data(), out.size());
    if (n == 0) return runtime_error("gzip: compression failed (output buffer too small)");
    return n;
  }

  Status decode(std::span<const std::byte> encoded, std::span<std::byte> out) const override {
    const std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> d(
        libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
    return decode_gzip(d.get(), encoded, out);
  }

 private:
  int level_;
  std::unique_ptr<libdeflate_compressor, void (*)(libdeflate_compressor*)> compressor_;
};

}  // namespace

std::unique_ptr<Codec> make_gzip_codec(int level) { return std::make_unique<GzipCodec>(level); }

}  // namespace zpmpi::codec
