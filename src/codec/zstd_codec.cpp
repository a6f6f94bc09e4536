// zstd as numcodecs.Zstd writes it: one standard Zstandard frame (magic 28 b5 2f fd) whose
// header carries the content size, as ZSTD_compress writes it by default; numcodecs and
// zarr-python size their output buffer from that field, so a frame without it is unreadable.
#include <zstd.h>

#include <cstdint>

#include "codecs.hpp"

namespace zpmpi::codec {

std::uint64_t zstd_encoded_size_bound(std::uint64_t raw_size) {
  const std::size_t bound = ZSTD_compressBound(raw_size);  // an error code past ZSTD_MAX_INPUT_SIZE
  return ZSTD_isError(bound) ? UINT64_MAX : bound;
}

namespace {

class ZstdCodec final : public Codec {
 public:
  explicit ZstdCodec(int level) : level_(level), cctx_(ZSTD_createCCtx(), ZSTD_freeCCtx) {}

  std::size_t max_encoded_size(std::size_t raw_size) const override { return zstd_encoded_size_bound(raw_size); }

  // One context per codec, reused across chunks, saves zstd's per-call allocation of its
  // work space; it makes encode() unsafe to call from two threads on one Codec (the
  // executor encodes on one thread per rank).
  Result<std::size_t> encode(std::span<const std::byte> raw, std::span<std::byte> out, std::size_t) const override {
    if (!cctx_) return runtime_error("zstd: cannot allocate a compression context");
    const std::size_t n = ZSTD_compressCCtx(cctx_.get(), out.data(), out.size(), raw.data(), raw.size(), level_);
    if (ZSTD_isError(n)) return runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
    return n;
  }

  Status decode(std::span<const std::byte> encoded, std::span<std::byte> out) const override {
    return decode_zstd(nullptr, encoded, out, /*need_content_size=*/true);
  }

 private:
  int level_;
  std::unique_ptr<ZSTD_CCtx, std::size_t (*)(ZSTD_CCtx*)> cctx_;
};

}  // namespace

std::unique_ptr<Codec> make_zstd_codec(int level) { return std::make_unique<ZstdCodec>(level); }

}  // namespace zpmpi::codec
