// zstd as numcodecs.Zstd writes it: one standard frame whose header carries the content
// size (ZSTD_compress does this), so readers size their output from the frame itself.
#include <zstd.h>

#include "codecs.hpp"

namespace zpmpi::codec {
namespace {

class ZstdCodec final : public Codec {
 public:
  explicit ZstdCodec(int level) : level_(level), cctx_(ZSTD_createCCtx(), ZSTD_freeCCtx) {}

  std::size_t max_encoded_size(std::size_t raw_size) const override { return ZSTD_compressBound(raw_size); }

  Result<std::size_t> encode(std::span<const std::byte> raw, std::span<std::byte> out) const override {
    // One context per codec, reused across chunks: no per-chunk allocation.
    const std::size_t n = ZSTD_compressCCtx(cctx_.get(), out.data(), out.size(), raw.data(), raw.size(), level_);
    if (ZSTD_isError(n)) return runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
    return n;
  }

  Status decode(std::span<const std::byte> encoded, std::span<std::byte> out) const override {
    const unsigned long long size = ZSTD_getFrameContentSize(encoded.data(), encoded.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
      return runtime_error("zstd: not a frame with a content size");
    if (size != out.size())
      return runtime_error("zstd: frame holds " + std::to_string(size) + " bytes, expected " +
                           std::to_string(out.size()));
    const std::size_t n = ZSTD_decompress(out.data(), out.size(), encoded.data(), encoded.size());
    if (ZSTD_isError(n)) return runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
    return {};
  }

 private:
  int level_;
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx_;
};

}  // namespace

std::unique_ptr<Codec> make_zstd_codec(int level) { return std::make_unique<ZstdCodec>(level); }

}  // namespace zpmpi::codec
