#include "zpmpi/codec/codec.hpp"

#include <lz4.h>
#include <zstd.h>

#include <random>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace zpmpi::codec {
namespace {

std::vector<std::byte> sample(std::size_t n) {
  // Compressible but not trivial: a smooth ramp with noise in the low bits.
  std::mt19937 rng(7);
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i / 64) ^ (rng() & 3));
  return v;
}

std::vector<std::byte> encode(const Codec& c, const std::vector<std::byte>& raw) {
  std::vector<std::byte> out(c.max_encoded_size(raw.size()));
  auto n = c.encode(raw, out);
  EXPECT_TRUE(n.ok()) << n.error().message;
  out.resize(n.value());
  return out;
}

class RoundTrip : public ::testing::TestWithParam<CodecSpec> {};

TEST_P(RoundTrip, AnySize) {
  auto codec = make_codec(GetParam());
  for (std::size_t n : {0u, 1u, 7u, 4096u, 1000003u}) {
    const auto raw = sample(n);
    const auto enc = encode(*codec, raw);
    std::vector<std::byte> back(n);
    ASSERT_TRUE(codec->decode(enc, back).ok()) << n;
    EXPECT_EQ(back, raw) << n;
    std::vector<std::byte> wrong(n + 1);
    EXPECT_FALSE(codec->decode(enc, wrong).ok()) << "a mis-sized output must be refused";
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, RoundTrip,
                         ::testing::Values(CodecSpec{CodecId::kZstd, 1, 1}, CodecSpec{CodecId::kZstd, 9, 1},
                                           CodecSpec{CodecId::kLz4, 1, 1}, CodecSpec{CodecId::kLz4, 1, 8},
                                           CodecSpec{CodecId::kNone, 1, 1}));

TEST(Zstd, IsAStandardFrameWithContentSize) {
  const auto raw = sample(100000);
  const auto enc = encode(*make_codec({CodecId::kZstd, 1, 1}), raw);
  EXPECT_LT(enc.size(), raw.size());
  EXPECT_EQ(ZSTD_getFrameContentSize(enc.data(), enc.size()), raw.size());
  std::vector<std::byte> back(raw.size());
  EXPECT_EQ(ZSTD_decompress(back.data(), back.size(), enc.data(), enc.size()), raw.size());
  EXPECT_EQ(back, raw);
}

TEST(Lz4, NumcodecsFramingLittleEndianLengthThenBlock) {
  const auto raw = sample(100);
  const auto enc = encode(*make_codec({CodecId::kLz4, 1, 1}), raw);
  ASSERT_GE(enc.size(), 4u);
  EXPECT_EQ(enc[0], std::byte{100});
  EXPECT_EQ(enc[1], std::byte{0});
  EXPECT_EQ(enc[2], std::byte{0});
  EXPECT_EQ(enc[3], std::byte{0});
  std::vector<std::byte> back(raw.size());
  EXPECT_EQ(LZ4_decompress_safe(reinterpret_cast<const char*>(enc.data() + 4), reinterpret_cast<char*>(back.data()),
                                static_cast<int>(enc.size() - 4), static_cast<int>(back.size())),
            100);
  EXPECT_EQ(back, raw);
  const auto big = encode(*make_codec({CodecId::kLz4, 1, 1}), sample(0x01020304 & 0xfffff));
  EXPECT_EQ(big[0], std::byte{0x04});
  EXPECT_EQ(big[1], std::byte{0x03});
  EXPECT_EQ(big[2], std::byte{0x02});
}

TEST(Lz4, RejectsMalformedInput) {
  auto codec = make_codec({CodecId::kLz4, 1, 1});
  std::vector<std::byte> out(8);
  EXPECT_FALSE(codec->decode(std::vector<std::byte>(3), out).ok());
  std::vector<std::byte> junk = {std::byte{8}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0xff}};
  EXPECT_FALSE(codec->decode(junk, out).ok());
}

TEST(CompressorJson, SpelledAsZarrPython) {
  EXPECT_EQ(boost::json::serialize(compressor_json({CodecId::kZstd, 3, 1})), R"({"id":"zstd","level":3})");
  EXPECT_EQ(boost::json::serialize(compressor_json({CodecId::kLz4, 1, 2})), R"({"id":"lz4","acceleration":2})");
  EXPECT_TRUE(compressor_json({CodecId::kNone, 1, 1}).is_null());
}

TEST(CodecSpecFromJson, ParsesAndDefaults) {
  auto zstd = codec_spec_from_json(boost::json::parse(R"({"id": "zstd"})"));
  ASSERT_TRUE(zstd.ok());
  EXPECT_EQ(zstd.value(), (CodecSpec{CodecId::kZstd, 1, 1}));
  auto lz4 = codec_spec_from_json(boost::json::parse(R"({"id": "lz4", "acceleration": 4})"));
  ASSERT_TRUE(lz4.ok());
  EXPECT_EQ(lz4->acceleration, 4);
  auto none = codec_spec_from_json(nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->id, CodecId::kNone);
  for (const auto& spec : {CodecSpec{CodecId::kZstd, 5, 1}, CodecSpec{CodecId::kLz4, 1, 3}, CodecSpec{CodecId::kNone, 1, 1}}) {
    auto back = codec_spec_from_json(compressor_json(spec));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(make_codec(back.value())->max_encoded_size(10), make_codec(spec)->max_encoded_size(10));
    EXPECT_EQ(back->id, spec.id);
  }
}

TEST(CodecSpecFromJson, ErrorsNameTheField) {
  auto expect = [](const char* text, const std::string& message) {
    auto r = codec_spec_from_json(boost::json::parse(text));
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().message, message);
    EXPECT_EQ(r.error().code, ExitCode::kUsage);
  };
  expect(R"({"id": "blosc"})", "id: unknown compressor 'blosc' (supported: zstd, lz4, or null for none)");
  expect(R"({"level": 1})", "id: must be a string (zstd or lz4)");
  expect(R"({"id": "zstd", "level": "high"})", "level: must be an integer from -131072 to 22, got \"high\"");
  expect(R"({"id": "zstd", "level": 99})", "level: must be an integer from -131072 to 22, got 99");
  expect(R"({"id": "zstd", "clevel": 3})", "unknown key 'clevel' for zstd (known: id, level)");
  expect(R"({"id": "lz4", "acceleration": 0})", "acceleration: must be an integer from 1 to 65537, got 0");
  expect(R"("zstd")", "must be an object such as {\"id\": \"zstd\", \"level\": 1} or null, got \"zstd\"");
}

}  // namespace
}  // namespace zpmpi::codec
