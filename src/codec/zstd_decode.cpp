// zstd as numcodecs.Zstd writes it: one Zstandard frame (28 b5 2f fd ...) with the content
// size in its header. Decoded with one ZSTD_DCtx per DecodeScratch (zstd's work space is
// allocated once per thread, not per chunk). A frame whose header states another size than
// expected is refused before decoding; a frame without the size decodes if it fits exactly
// (unless the caller needs the size: a chunk zpmpi writes must carry it for numcodecs).
#include <zstd.h>

#include <string>

#include "codecs.hpp"
#include "decode_scratch_state.hpp"
#include "decode_step.hpp"

namespace zpmpi::codec {

Status decode_zstd(ZSTD_DCtx_s* ctx, std::span<const std::byte> in, std::span<std::byte> out, bool need_content_size) {
  const unsigned long long stated = ZSTD_getFrameContentSize(in.data(), in.size());
  if (stated == ZSTD_CONTENTSIZE_ERROR) return runtime_error("zstd: not a zstd frame");
  if (stated == ZSTD_CONTENTSIZE_UNKNOWN && need_content_size)
    return runtime_error("zstd: frame without a content size");
  if (stated != ZSTD_CONTENTSIZE_UNKNOWN && stated != out.size())
    return runtime_error("zstd: frame holds " + std::to_string(stated) + " bytes, expected " +
                         std::to_string(out.size()));
  const std::size_t n = ctx ? ZSTD_decompressDCtx(ctx, out.data(), out.size(), in.data(), in.size())
                            : ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n)) return runtime_error(std::string("zstd: corrupt or truncated data (") + ZSTD_getErrorName(n) + ")");
  if (n != out.size())
    return runtime_error("zstd: decoded " + std::to_string(n) + " bytes, expected " + std::to_string(out.size()));
  return {};
}

namespace {

class ZstdStep final : public DecodeStep {
 public:
  explicit ZstdStep(long long level) : level_(level) {}
  std::string describe() const override { return "zstd(level=" + std::to_string(level_) + ")"; }
  bool compresses() const override { return true; }

  Status run(std::span<const std::byte> in, std::span<std::byte> out, DecodeScratch::State& scratch) const override {
    ZSTD_DCtx* ctx = scratch.zstd();
    if (!ctx) return runtime_error("zstd: cannot allocate a decompression context");
    return decode_zstd(ctx, in, out, /*need_content_size=*/false);
  }

 private:
  long long level_;
};

}  // namespace

Result<StepPtr> make_zstd_step(const boost::json::object& config) {
  ZPMPI_ASSIGN_OR_RETURN(const long long level, int_field(config, "level", 1));
  return StepPtr(std::make_unique<ZstdStep>(level));
}

}  // namespace zpmpi::codec
