// The zarr "compressor" JSON: written as zarr-python spells it, parsed from the config with
// errors that name the field.
#include <zstd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "codec_test_util.hpp"
#include "zpmpi/codec/codec.hpp"

namespace zpmpi::codec {
namespace {

using testing::blosc;
using testing::gzip;

Result<CodecSpec> parse(const char* text) { return codec_spec_from_json(boost::json::parse(text)); }

void expect_usage_error(const char* text, const std::string& message) {
  auto r = parse(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.error().message, message) << text;
  EXPECT_EQ(r.error().code, ExitCode::kUsage) << text;
}

TEST(CompressorJson, SpelledAsZarrPython) {
  EXPECT_EQ(boost::json::serialize(compressor_json({CodecId::kZstd, 3, 1})), R"({"id":"zstd","level":3})");
  EXPECT_EQ(boost::json::serialize(compressor_json({CodecId::kLz4, 1, 2})), R"({"id":"lz4","acceleration":2})");
  EXPECT_TRUE(compressor_json({CodecId::kNone, 1, 1}).is_null());
  EXPECT_EQ(boost::json::serialize(compressor_json(gzip(6))), R"({"id":"gzip","level":6})");
  // numcodecs.Blosc(cname="zstd", clevel=3, shuffle=Blosc.BITSHUFFLE).get_config()
  EXPECT_EQ(boost::json::serialize(compressor_json(blosc(BloscName::kZstd, 3, kBitShuffle))),
            R"({"id":"blosc","cname":"zstd","clevel":3,"shuffle":2,"blocksize":0})");
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

TEST(CodecSpecFromJson, GzipAndBlosc) {
  auto gz = parse(R"({"id": "gzip", "level": 9})");
  ASSERT_TRUE(gz.ok()) << gz.error().message;
  EXPECT_EQ(gz.value(), gzip(9));
  auto gz_default = parse(R"({"id": "gzip"})");
  ASSERT_TRUE(gz_default.ok());
  EXPECT_EQ(gz_default.value(), gzip(1));  // numcodecs.GZip's level=1
  auto bl = parse(R"({"id": "blosc", "cname": "zstd", "clevel": 0, "shuffle": 2, "blocksize": 0})");
  ASSERT_TRUE(bl.ok()) << bl.error().message;
  EXPECT_EQ(bl.value(), blosc(BloscName::kZstd, 0, kBitShuffle));
  auto bl_default = parse(R"({"id": "blosc"})");
  ASSERT_TRUE(bl_default.ok());
  EXPECT_EQ(bl_default.value(), blosc(BloscName::kLz4, 5, kByteShuffle));  // as numcodecs.Blosc()
  auto noshuffle = parse(R"({"id": "blosc", "shuffle": 0})");
  ASSERT_TRUE(noshuffle.ok());
  EXPECT_EQ(noshuffle->shuffle, kNoShuffle);
}

TEST(CodecSpecFromJson, GzipAndBloscErrorsNameTheField) {
  expect_usage_error(R"({"id": "gzip", "level": 0})", "level: must be from 1 to 9, got 0");
  expect_usage_error(R"({"id": "gzip", "level": 10})", "level: must be from 1 to 9, got 10");
  expect_usage_error(R"({"id": "gzip", "clevel": 1})", "clevel: unknown field for gzip (known: id, level)");
  expect_usage_error(R"({"id": "blosc", "cname": "snappy"})", R"(cname: must be "lz4" or "zstd", got "snappy")");
  expect_usage_error(R"({"id": "blosc", "cname": 4})", R"(cname: must be "lz4" or "zstd", got 4)");
  expect_usage_error(R"({"id": "blosc", "clevel": 10})", "clevel: must be from 0 to 9, got 10");
  expect_usage_error(R"({"id": "blosc", "clevel": "5"})", R"(clevel: must be an integer, got "5")");
  expect_usage_error(R"({"id": "blosc", "shuffle": -1})", "shuffle: must be from 0 to 2, got -1");
  expect_usage_error(R"({"id": "blosc", "shuffle": 3})", "shuffle: must be from 0 to 2, got 3");
  expect_usage_error(R"({"id": "blosc", "blocksize": 8192})", "blocksize: must be 0, got 8192");
  expect_usage_error(R"({"id": "blosc", "level": 1})",
                     "level: unknown field for blosc (known: id, cname, clevel, shuffle, blocksize)");
}

TEST(CodecSpecFromJson, RoundTripsCompressorJson) {
  for (const auto& spec : {CodecSpec{CodecId::kZstd, 5, 1}, CodecSpec{CodecId::kZstd, 22, 1},
                           CodecSpec{CodecId::kLz4, 1, 3}, CodecSpec{CodecId::kNone, 1, 1}, gzip(4),
                           blosc(BloscName::kLz4, 1, kNoShuffle), blosc(BloscName::kZstd, 9, kBitShuffle)}) {
    auto back = codec_spec_from_json(compressor_json(spec));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back.value(), spec);
  }
}

TEST(CodecSpecFromJson, UnknownCompressor) {
  expect_usage_error(R"({"id": "bz2"})", "id: unknown compressor 'bz2' (supported: zstd, lz4, gzip, blosc)");
  expect_usage_error(R"({"id": "ZSTD"})", "id: unknown compressor 'ZSTD' (supported: zstd, lz4, gzip, blosc)");
}

TEST(CodecSpecFromJson, WrongTypes) {
  expect_usage_error(R"("zstd")",
                     R"(must be an object such as {"id": "zstd", "level": 1}, or null for none; got "zstd")");
  expect_usage_error("[1]", R"(must be an object such as {"id": "zstd", "level": 1}, or null for none; got [1])");
  expect_usage_error(R"({"id": 3})", "id: must be a string (zstd, lz4, gzip or blosc), got 3");
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

using testing::blosc;
using testing::gzip;

TEST(V3CompressorCodecs, SpelledAsZarrPython3) {
  auto zstd = v3_compressor_codecs({CodecId::kZstd, 3, 1}, 4);
  ASSERT_TRUE(zstd.ok());
  EXPECT_EQ(boost::json::serialize(*zstd), R"([{"name":"zstd","configuration":{"level":3,"checksum":false}}])");
  auto none = v3_compressor_codecs({CodecId::kNone, 1, 1}, 4);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto gz = v3_compressor_codecs(gzip(6), 4);
  ASSERT_TRUE(gz.ok());
  EXPECT_EQ(boost::json::serialize(*gz), R"([{"name":"gzip","configuration":{"level":6}}])");
}

/// The zarr-specs blosc codec (docs/v3/codecs/blosc): shuffle by name, the typesize the
/// array's element size (required unless noshuffle).
TEST(V3CompressorCodecs, BloscNamesItsShuffleAndTheTypeSize) {
  const std::pair<int, const char*> shuffles[] = {
      {kNoShuffle, "noshuffle"}, {kByteShuffle, "shuffle"}, {kBitShuffle, "bitshuffle"}};
  for (const auto& [shuffle, name] : shuffles) {
    auto codecs = v3_compressor_codecs(blosc(BloscName::kLz4, 1, shuffle), 4);
    ASSERT_TRUE(codecs.ok());
    EXPECT_EQ(boost::json::serialize(*codecs),
              std::string(R"([{"name":"blosc","configuration":{"cname":"lz4","clevel":1,"shuffle":")") + name +
                  R"(","typesize":4,"blocksize":0}}])");
  }
  auto f8 = v3_compressor_codecs(blosc(BloscName::kZstd, 9, kBitShuffle), 8);
  ASSERT_TRUE(f8.ok());
  EXPECT_EQ(boost::json::serialize(*f8),
            R"([{"name":"blosc","configuration":{"cname":"zstd","clevel":9,"shuffle":"bitshuffle","typesize":8,"blocksize":0}}])");
}

TEST(V3CompressorCodecs, Lz4IsRefusedNamingItsV3Spelling) {
  auto lz4 = v3_compressor_codecs({CodecId::kLz4, 1, 1}, 4);
  ASSERT_FALSE(lz4.ok());
  EXPECT_EQ(lz4.error().code, ExitCode::kUsage);
  EXPECT_NE(lz4.error().message.find(R"({"id": "blosc", "cname": "lz4"})"), std::string::npos)
      << lz4.error().message;
}

}  // namespace
}  // namespace zpmpi::codec
