// blosc as numcodecs.Blosc writes it: one blosc1 buffer, whose 16-byte header records the
// decoded size (nbytes), the compressed size (cbytes), the type size and the shuffle used;
// the JSON's cname/clevel/shuffle/blocksize only steer encoding. Decoded with Debian's
// libblosc through blosc_decompress_ctx, which keeps no global state (thread-safe) and is
// told to use no threads of its own (the executor's workers are the parallelism).
#include <blosc.h>

#include <algorithm>
#include <array>
#include <string>

#include "codecs.hpp"
#include "decode_step.hpp"

namespace zpmpi::codec {

Status decode_blosc(std::span<const std::byte> in, std::span<std::byte> out) {
  if (in.size() < BLOSC_MIN_HEADER_LENGTH)
    return runtime_error("blosc: input shorter than its " + std::to_string(BLOSC_MIN_HEADER_LENGTH) + "-byte header");
  std::size_t nbytes = 0;
  // Checks the header against the input size (cbytes <= in.size(), sane nbytes).
  if (blosc_cbuffer_validate(in.data(), in.size(), &nbytes) < 0)
    return runtime_error("blosc: corrupt or truncated data (bad header)");
  if (nbytes != out.size())
    return runtime_error("blosc: header says " + std::to_string(nbytes) + " bytes, expected " +
                         std::to_string(out.size()));
  const int n = blosc_decompress_ctx(in.data(), out.data(), out.size(), 1);
  if (n < 0) return runtime_error("blosc: corrupt or truncated data (error " + std::to_string(n) + ")");
  if (static_cast<std::size_t>(n) != out.size())
    return runtime_error("blosc: decoded " + std::to_string(n) + " bytes, expected " + std::to_string(out.size()));
  return {};
}

namespace {

class BloscStep final : public DecodeStep {
 public:
  BloscStep(std::string cname, long long clevel, long long shuffle)
      : cname_(std::move(cname)), clevel_(clevel), shuffle_(shuffle) {}
  std::string describe() const override {
    return "blosc(cname=" + cname_ + ", clevel=" + std::to_string(clevel_) + ", shuffle=" + std::to_string(shuffle_) + ")";
  }
  bool compresses() const override { return true; }

  Status run(std::span<const std::byte> in, std::span<std::byte> out, DecodeScratch::State&) const override {
    return decode_blosc(in, out);
  }

 private:
  std::string cname_;
  long long clevel_, shuffle_;
};

}  // namespace

Result<StepPtr> make_blosc_step(const boost::json::object& config) {
  std::string cname = "lz4";
  if (const auto* v = config.if_contains("cname")) {
    static constexpr std::array<std::string_view, 6> kNames{"blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"};
    const auto* s = v->if_string();
    if (!s || std::find(kNames.begin(), kNames.end(), std::string_view(*s)) == kNames.end())
      return usage_error("cname: must be one of blosclz, lz4, lz4hc, snappy, zlib, zstd");
    cname = std::string(*s);
  }
  ZPMPI_ASSIGN_OR_RETURN(const long long clevel, int_field(config, "clevel", 5));
  if (clevel < 0 || clevel > 9) return usage_error("clevel: must be an integer from 0 to 9, got " + std::to_string(clevel));
  ZPMPI_ASSIGN_OR_RETURN(const long long shuffle, int_field(config, "shuffle", 1));
  if (shuffle < -1 || shuffle > 2)
    return usage_error("shuffle: must be -1 (auto), 0 (none), 1 (byte) or 2 (bit), got " + std::to_string(shuffle));
  ZPMPI_ASSIGN_OR_RETURN(const long long blocksize, int_field(config, "blocksize", 0));
  if (blocksize < 0) return usage_error("blocksize: must be a non-negative integer, got " + std::to_string(blocksize));
  return StepPtr(std::make_unique<BloscStep>(std::move(cname), clevel, shuffle));
}

}  // namespace zpmpi::codec
