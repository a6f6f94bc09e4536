// Every codec: encode then decode gives the input back, for any size; decode refuses an
// output buffer of the wrong size instead of writing past or short of it.
#include <gtest/gtest.h>

#include "codec_test_util.hpp"

namespace zpmpi::codec {
namespace {

using testing::encode;

class RoundTrip : public ::testing::TestWithParam<CodecSpec> {};

TEST_P(RoundTrip, CompressibleDataOfAnySize) {
  auto codec = make_codec(GetParam());
  for (std::size_t n : {0u, 1u, 2u, 7u, 64u, 4096u, 65536u, 65537u, 1000003u}) {
    const auto raw = testing::sample(n);
    const auto enc = encode(*codec, raw);
    std::vector<std::byte> back(n);
    ASSERT_TRUE(codec->decode(enc, back).ok()) << n;
    EXPECT_EQ(back, raw) << n;
  }
}

TEST_P(RoundTrip, IncompressibleDataFitsTheBound) {
  auto codec = make_codec(GetParam());
  for (std::size_t n : {1u, 100u, 300000u}) {
    const auto raw = testing::noise(n);
    std::vector<std::byte> out(codec->max_encoded_size(n));
    auto size = codec->encode(raw, out);
    ASSERT_TRUE(size.ok()) << size.error().message;
    EXPECT_LE(size.value(), out.size());
    std::vector<std::byte> back(n);
    ASSERT_TRUE(codec->decode({out.data(), size.value()}, back).ok());
    EXPECT_EQ(back, raw);
  }
}

TEST_P(RoundTrip, RefusesAMisSizedOutput) {
  auto codec = make_codec(GetParam());
  const auto enc = encode(*codec, testing::sample(1000));
  std::vector<std::byte> longer(1001), shorter(999);
  EXPECT_FALSE(codec->decode(enc, longer).ok());
  EXPECT_FALSE(codec->decode(enc, shorter).ok());
}

TEST_P(RoundTrip, RefusesAnOutputBufferBelowTheBound) {
  auto codec = make_codec(GetParam());
  const auto raw = testing::noise(1000);
  std::vector<std::byte> out(10);
  EXPECT_FALSE(codec->encode(raw, out).ok());
}

INSTANTIATE_TEST_SUITE_P(Codecs, RoundTrip,
                         ::testing::Values(CodecSpec{CodecId::kZstd, 1, 1}, CodecSpec{CodecId::kZstd, 19, 1},
                                           CodecSpec{CodecId::kZstd, -5, 1}, CodecSpec{CodecId::kLz4, 1, 1},
                                           CodecSpec{CodecId::kLz4, 1, 64}, CodecSpec{CodecId::kNone, 1, 1}),
                         [](const auto& info) {
                           const CodecSpec& s = info.param;
                           switch (s.id) {
                             case CodecId::kZstd:
                               return "zstd_level" + std::string(s.level < 0 ? "_minus" : "") +
                                      std::to_string(std::abs(s.level));
                             case CodecId::kLz4: return "lz4_acceleration" + std::to_string(s.acceleration);
                             case CodecId::kNone: break;
                           }
                           return std::string("none");
                         });

}  // namespace
}  // namespace zpmpi::codec
