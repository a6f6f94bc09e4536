// The last decoding step of a big-endian dtype (">f4"): the bytes of each element reversed,
// so the chunk lands in the machine's (little-endian) order. 3f 80 00 00 -> 00 00 80 3f (1.0f).
#include <string>

#include "element_types.hpp"

namespace zpmpi::codec {
namespace {

template <class U>
void swap_all(const std::byte* in, std::byte* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    U v;
    std::memcpy(&v, in + i * sizeof(U), sizeof v);
    v = elements::byteswap(v);
    std::memcpy(out + i * sizeof(U), &v, sizeof v);
  }
}

class ByteswapStep final : public DecodeStep {
 public:
  explicit ByteswapStep(std::size_t size) : size_(size) {}
  std::string describe() const override { return "byteswap(" + std::to_string(size_) + ")"; }
  SizeRelation sizes() const override { return {size_, size_}; }
  bool in_place() const override { return true; }

  Status run(std::span<const std::byte> in, std::span<std::byte> out, DecodeScratch::State&) const override {
    const std::size_t n = in.size() / size_;
    switch (size_) {
      case 2: swap_all<std::uint16_t>(in.data(), out.data(), n); break;
      case 4: swap_all<std::uint32_t>(in.data(), out.data(), n); break;
      case 8: swap_all<std::uint64_t>(in.data(), out.data(), n); break;
      default:
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t j = 0; j < size_ / 2; ++j) {
            std::byte* o = out.data() + i * size_;
            const std::byte* p = in.data() + i * size_;
            const std::byte a = p[j], b = p[size_ - 1 - j];
            o[j] = b;
            o[size_ - 1 - j] = a;
          }
    }
    return {};
  }

 private:
  std::size_t size_;
};

}  // namespace

StepPtr make_byteswap_step(std::size_t element_size) { return std::make_unique<ByteswapStep>(element_size); }

}  // namespace zpmpi::codec
