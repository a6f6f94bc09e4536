// The zarr "compressor" JSON: written as zarr-python spells it, parsed from the config with
// errors that name the field.
#include <zstd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "zpmpi/codec/codec.hpp"

namespace zpmpi::codec {
namespace {

Result<CodecSpec> parse(const char* text) { return codec_spec_from_json(boost::json::parse(text)); }

TEST(CompressorJson, SpelledAsZarrPython) {
  EXPECT_EQ(boost::json::serialize(compressor_json({CodecId::kZstd, 3, 1})), R"({"id":"zstd","level":3})");
  EXPECT_EQ(boost::json::serialize(compressor_json({CodecId::kLz4, 1, 2})), R"({"id":"lz4","acceleration":2})");
  EXPECT_TRUE(compressor_json({CodecId::kNone, 1, 1}).is_null());
}

TEST(CodecSpecFromJson, Parses) {
  auto lz4 = parse(R"({"id": "lz4", "acceleration": 4})");
  ASSERT_TRUE(lz4.ok());
  EXPECT_EQ(lz4.value(), (CodecSpec{CodecId::kLz4, 1, 4}));
  auto zstd = parse(R"({"id": "zstd", "level": -7})");
  ASSERT_TRUE(zstd.ok());
  EXPECT_EQ(zstd.value(), (CodecSpec{CodecId::kZstd, -7, 1}));
  auto none = parse("null");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->id, CodecId::kNone);
}

TEST(CodecSpecFromJson, MissingFieldsTakeTheDefaults) {
  for (const char* text : {R"({"id": "zstd"})", "{}"}) {
    auto r = parse(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(r.value(), (CodecSpec{CodecId::kZstd, 1, 1})) << text;
  }
  auto level_only = parse(R"({"level": 5})");
  ASSERT_TRUE(level_only.ok());
  EXPECT_EQ(level_only.value(), (CodecSpec{CodecId::kZstd, 5, 1}));
  auto lz4 = parse(R"({"id": "lz4"})");
  ASSERT_TRUE(lz4.ok());
  EXPECT_EQ(lz4.value(), (CodecSpec{CodecId::kLz4, 1, 1}));
}

TEST(CodecSpecFromJson, RoundTripsCompressorJson) {
  for (const auto& spec : {CodecSpec{CodecId::kZstd, 5, 1}, CodecSpec{CodecId::kZstd, 22, 1},
                           CodecSpec{CodecId::kLz4, 1, 3}, CodecSpec{CodecId::kNone, 1, 1}}) {
    auto back = codec_spec_from_json(compressor_json(spec));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back.value(), spec);
  }
}

void expect_usage_error(const char* text, const std::string& message) {
  auto r = parse(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.error().message, message) << text;
  EXPECT_EQ(r.error().code, ExitCode::kUsage) << text;
}

TEST(CodecSpecFromJson, UnknownCompressor) {
  expect_usage_error(R"({"id": "blosc"})", "id: unknown compressor 'blosc' (supported: zstd, lz4)");
  expect_usage_error(R"({"id": "ZSTD"})", "id: unknown compressor 'ZSTD' (supported: zstd, lz4)");
}

TEST(CodecSpecFromJson, WrongTypes) {
  expect_usage_error(R"("zstd")",
                     R"(must be an object such as {"id": "zstd", "level": 1}, or null for none; got "zstd")");
  expect_usage_error("[1]", R"(must be an object such as {"id": "zstd", "level": 1}, or null for none; got [1])");
  expect_usage_error(R"({"id": 3})", "id: must be a string (zstd or lz4), got 3");
  expect_usage_error(R"({"id": "zstd", "level": "high"})", R"(level: must be an integer, got "high")");
  expect_usage_error(R"({"id": "zstd", "level": 2.5})", "level: must be an integer, got 2.5");
  expect_usage_error(R"({"id": "zstd", "level": null})", "level: must be an integer, got null");
  expect_usage_error(R"({"id": "lz4", "acceleration": true})", "acceleration: must be an integer, got true");
}

TEST(CodecSpecFromJson, UnknownFieldIsNamed) {
  expect_usage_error(R"({"id": "zstd", "clevel": 3})", "clevel: unknown field for zstd (known: id, level)");
  expect_usage_error(R"({"id": "zstd", "acceleration": 3})",
                     "acceleration: unknown field for zstd (known: id, level)");
  expect_usage_error(R"({"id": "lz4", "level": 1})", "level: unknown field for lz4 (known: id, acceleration)");
}

TEST(CodecSpecFromJson, OutOfRange) {
  const std::string zstd_range =
      "from " + std::to_string(ZSTD_minCLevel()) + " to " + std::to_string(ZSTD_maxCLevel());
  expect_usage_error(R"({"id": "zstd", "level": 23})", "level: must be " + zstd_range + ", got 23");
  expect_usage_error(R"({"id": "zstd", "level": -9999999})", "level: must be " + zstd_range + ", got -9999999");
  expect_usage_error(R"({"id": "zstd", "level": 18446744073709551615})",
                     "level: must be " + zstd_range + ", got 18446744073709551615");
  expect_usage_error(R"({"id": "lz4", "acceleration": 0})", "acceleration: must be from 1 to 65537, got 0");
  expect_usage_error(R"({"id": "lz4", "acceleration": 65538})", "acceleration: must be from 1 to 65537, got 65538");
  EXPECT_TRUE(parse(R"({"id": "zstd", "level": 22})").ok());
  EXPECT_TRUE(parse(R"({"id": "lz4", "acceleration": 65537})").ok());
}

}  // namespace
}  // namespace zpmpi::codec

namespace zpmpi::codec {
namespace {

TEST(V3CompressorCodecs, SpelledAsZarrPython3) {
  auto zstd = v3_compressor_codecs({CodecId::kZstd, 3, 1});
  ASSERT_TRUE(zstd.ok());
  EXPECT_EQ(boost::json::serialize(*zstd), R"([{"name":"zstd","configuration":{"level":3,"checksum":false}}])");
  auto none = v3_compressor_codecs({CodecId::kNone, 1, 1});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(V3CompressorCodecs, Lz4IsRefusedNamingItsV3Spelling) {
  auto lz4 = v3_compressor_codecs({CodecId::kLz4, 1, 1});
  ASSERT_FALSE(lz4.ok());
  EXPECT_EQ(lz4.error().code, ExitCode::kUsage);
  EXPECT_NE(lz4.error().message.find(R"({"id": "blosc", "cname": "lz4"})"), std::string::npos)
      << lz4.error().message;
}

}  // namespace
}  // namespace zpmpi::codec
