// Every codec: encode then decode gives the input back, for any size; decode refuses an
// output buffer of the wrong size instead of writing past or short of it.
#include <thread>

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

TEST_P(RoundTrip, FloatsByTheirElementSize) {
  auto codec = make_codec(GetParam());
  for (std::size_t n : {1u, 7u, 1000u, 262147u}) {
    const auto raw = testing::floats(n);
    const auto enc = encode(*codec, raw, 4);
    std::vector<std::byte> back(raw.size());
    ASSERT_TRUE(codec->decode(enc, back).ok()) << n;
    EXPECT_EQ(back, raw) << n;
  }
}

TEST_P(RoundTrip, IncompressibleDataFitsTheBound) {
  auto codec = make_codec(GetParam());
  for (std::size_t n : {1u, 100u, 300000u}) {
    const auto raw = testing::noise(n);
    std::vector<std::byte> out(codec->max_encoded_size(n));
    auto size = codec->encode(raw, out, 4);
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

/// Workers each with their own codec (as the executor gives them) encode at once: each
/// writes the bytes one thread alone writes.
TEST_P(RoundTrip, SeveralThreadsEachWithItsCodec) {
  const auto raw = testing::floats(20000);  // small: zstd 19 is slow
  const auto expected = encode(*make_codec(GetParam()), raw, 4);
  std::vector<int> wrong(3, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < wrong.size(); ++t)
    threads.emplace_back([&, t] {
      auto codec = make_codec(GetParam());
      std::vector<std::byte> back(raw.size());
      for (int round = 0; round < 5; ++round) {
        const auto enc = encode(*codec, raw, 4);
        if (enc != expected || !codec->decode(enc, back).ok() || back != raw) ++wrong[t];
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(wrong.size(), 0));
}

std::string name_of(const CodecSpec& s) {
  switch (s.id) {
    case CodecId::kZstd:
      return "zstd_level" + std::string(s.level < 0 ? "_minus" : "") + std::to_string(std::abs(s.level));
    case CodecId::kLz4: return "lz4_acceleration" + std::to_string(s.acceleration);
    case CodecId::kGzip: return "gzip_level" + std::to_string(s.level);
    case CodecId::kBlosc:
      return "blosc_" + std::string(blosc_name(s.cname)) + "_clevel" + std::to_string(s.clevel) + "_shuffle" +
             std::to_string(s.shuffle);
    case CodecId::kNone: break;
  }
  return "none";
}

INSTANTIATE_TEST_SUITE_P(Codecs, RoundTrip,
                         ::testing::Values(CodecSpec{CodecId::kZstd, 1, 1}, CodecSpec{CodecId::kZstd, 19, 1},
                                           CodecSpec{CodecId::kZstd, -5, 1}, CodecSpec{CodecId::kLz4, 1, 1},
                                           CodecSpec{CodecId::kLz4, 1, 64}, testing::gzip(1), testing::gzip(9),
                                           testing::blosc(BloscName::kLz4, 5, kByteShuffle),
                                           testing::blosc(BloscName::kZstd, 9, kBitShuffle),
                                           testing::blosc(BloscName::kLz4, 0, kNoShuffle),
                                           CodecSpec{CodecId::kNone, 1, 1}),
                         [](const auto& info) { return name_of(info.param); });

}  // namespace
}  // namespace zpmpi::codec
