// lz4 as numcodecs.LZ4 writes it: the decoded size as a 4-byte little-endian integer, then
// one raw LZ4 block (not an LZ4 frame). 100 bytes -> 64 00 00 00, then the block.
#include <lz4.h>

#include <climits>
#include <cstdint>
#include <string>

#include "codecs.hpp"
#include "decode_step.hpp"

namespace zpmpi::codec {

Status decode_lz4(std::span<const std::byte> in, std::span<std::byte> out) {
  if (in.size() < 4) return runtime_error("lz4: input shorter than its 4-byte header");
  std::uint32_t stated = 0;
  for (int i = 0; i < 4; ++i) stated |= std::to_integer<std::uint32_t>(in[i]) << (8 * i);
  if (stated != out.size())
    return runtime_error("lz4: header says " + std::to_string(stated) + " bytes, expected " +
                         std::to_string(out.size()));
  if (in.size() - 4 > INT_MAX || out.size() > INT_MAX) return runtime_error("lz4: block larger than lz4's limit");
  const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data() + 4), reinterpret_cast<char*>(out.data()),
                                    static_cast<int>(in.size() - 4), static_cast<int>(out.size()));
  if (n < 0) return runtime_error("lz4: corrupt or truncated data");
  if (static_cast<std::size_t>(n) != out.size())
    return runtime_error("lz4: decoded " + std::to_string(n) + " bytes, expected " + std::to_string(out.size()));
  return {};
}

namespace {

class Lz4Step final : public DecodeStep {
 public:
  explicit Lz4Step(long long acceleration) : acceleration_(acceleration) {}
  std::string describe() const override { return "lz4(acceleration=" + std::to_string(acceleration_) + ")"; }
  bool compresses() const override { return true; }

  Status run(std::span<const std::byte> in, std::span<std::byte> out, DecodeScratch::State&) const override {
    return decode_lz4(in, out);
  }

 private:
  long long acceleration_;
};

}  // namespace

Result<StepPtr> make_lz4_step(const boost::json::object& config) {
  ZPMPI_ASSIGN_OR_RETURN(const long long acceleration, int_field(config, "acceleration", 1));
  return StepPtr(std::make_unique<Lz4Step>(acceleration));
}

}  // namespace zpmpi::codec
