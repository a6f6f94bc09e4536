// No compression: the chunk file is the raw bytes (zarr compressor null).
#include <cstring>

#include "codecs.hpp"

namespace zpmpi::codec {
namespace {

class RawCodec final : public Codec {
 public:
  std::size_t max_encoded_size(std::size_t raw_size) const override { return raw_size; }

  Result<std::size_t> encode(std::span<const std::byte> raw, std::span<std::byte> out, std::size_t) const override {
    if (out.size() < raw.size()) return runtime_error("raw: output buffer too small");
    if (!raw.empty()) std::memcpy(out.data(), raw.data(), raw.size());
    return raw.size();
  }

  Status decode(std::span<const std::byte> encoded, std::span<std::byte> out) const override {
    if (encoded.size() != out.size())
      return runtime_error("raw: chunk holds " + std::to_string(encoded.size()) + " bytes, expected " +
                           std::to_string(out.size()));
    if (!out.empty()) std::memcpy(out.data(), encoded.data(), out.size());
    return {};
  }
};

}  // namespace

std::unique_ptr<Codec> make_raw_codec() { return std::make_unique<RawCodec>(); }

}  // namespace zpmpi::codec
