// zlib and gzip as numcodecs.Zlib / numcodecs.GZip write them, inflated with libdeflate.
//   zlib: one zlib stream (RFC 1950: 2-byte header 78 01/5e/9c/da, deflate data, Adler-32),
//         as Python's zlib.compress writes it; bytes after the stream are ignored, as
//         zlib.decompress ignores them.
//   gzip: one or more gzip members (RFC 1952: 1f 8b 08 ..., deflate data, CRC-32, size),
//         as Python's gzip.GzipFile reads them: members are concatenated, zero bytes
//         between or after members are padding, anything else is an error.
// libdeflate decodes a whole buffer at once into a buffer of the known size, which is what
// a chunk is; checksums are verified.
#include <libdeflate.h>

#include <string>

#include "codecs.hpp"
#include "decode_scratch_state.hpp"
#include "decode_step.hpp"

namespace zpmpi::codec {
namespace {

Error inflate_error(std::string_view name, libdeflate_result r, std::size_t expected) {
  switch (r) {
    case LIBDEFLATE_INSUFFICIENT_SPACE:
      return runtime_error(std::string(name) + ": decoded more than the expected " + std::to_string(expected) +
                           " bytes");
    case LIBDEFLATE_BAD_DATA:
    default:
      return runtime_error(std::string(name) + ": corrupt or truncated data");
  }
}

Error size_error(std::string_view name, std::size_t got, std::size_t expected) {
  return runtime_error(std::string(name) + ": decoded " + std::to_string(got) + " bytes, expected " +
                       std::to_string(expected));
}

}  // namespace

Status decode_gzip(libdeflate_decompressor* d, std::span<const std::byte> in, std::span<std::byte> out) {
  if (!d) return runtime_error("gzip: cannot allocate a decompressor");
  // Members one after another, zero padding allowed between and after them.
  std::size_t pos = 0, done = 0;
  bool any = false;
  for (;;) {
    while (any && pos < in.size() && in[pos] == std::byte{0}) ++pos;
    if (pos == in.size()) break;  // as GzipFile, empty input is no member: 0 bytes
    std::size_t used_in = 0, used_out = 0;
    const auto r = libdeflate_gzip_decompress_ex(d, in.data() + pos, in.size() - pos, out.data() + done,
                                                 out.size() - done, &used_in, &used_out);
    if (r != LIBDEFLATE_SUCCESS) return inflate_error("gzip", r, out.size());
    pos += used_in;
    done += used_out;
    any = true;
  }
  if (done != out.size()) return size_error("gzip", done, out.size());
  return {};
}

namespace {

class InflateStep final : public DecodeStep {
 public:
  InflateStep(bool gzip, long long level) : gzip_(gzip), level_(level) {}
  std::string describe() const override {
    return std::string(gzip_ ? "gzip" : "zlib") + "(level=" + std::to_string(level_) + ")";
  }
  bool compresses() const override { return true; }

  Status run(std::span<const std::byte> in, std::span<std::byte> out, DecodeScratch::State& scratch) const override {
    libdeflate_decompressor* d = scratch.inflater();
    if (gzip_) return decode_gzip(d, in, out);
    if (!d) return runtime_error("zlib: cannot allocate a decompressor");
    std::size_t got = 0;
    const auto r = libdeflate_zlib_decompress(d, in.data(), in.size(), out.data(), out.size(), &got);
    if (r != LIBDEFLATE_SUCCESS) return inflate_error("zlib", r, out.size());
    if (got != out.size()) return size_error("zlib", got, out.size());
    return {};
  }

 private:
  bool gzip_;
  long long level_;
};

Result<StepPtr> make_inflate_step(const boost::json::object& config, bool gzip) {
  ZPMPI_ASSIGN_OR_RETURN(const long long level, int_field(config, "level", 1));
  // Only encoding uses the level; Python's zlib takes -1 (default) to 9.
  if (level < -1 || level > 9) return usage_error("level: must be an integer from -1 to 9, got " + std::to_string(level));
  return StepPtr(std::make_unique<InflateStep>(gzip, level));
}

}  // namespace

Result<StepPtr> make_zlib_step(const boost::json::object& config) { return make_inflate_step(config, false); }
Result<StepPtr> make_gzip_step(const boost::json::object& config) { return make_inflate_step(config, true); }

}  // namespace zpmpi::codec
