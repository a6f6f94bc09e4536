// Zarr v3 zarr.json documents against the core spec's and the sharding spec's examples,
// spelled as zarr-python 3 / xarray write them; the expected _FillValue strings are
// xarray's FillValueCoder output (base64 of struct.pack("<d", v), computed with Python).
#include "zpmpi/zarr/v3_metadata.hpp"

#include <cmath>
#include <limits>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "layout_util.hpp"

namespace zpmpi::zarr {
namespace {

using model::DType;
namespace json = boost::json;

model::AttrValue text(std::string s) { return {std::move(s), std::nullopt}; }
model::AttrValue doubles(std::vector<double> v, DType t) { return {std::move(v), t}; }

json::array zstd1() {
  return json::array{json::object{{"name", "zstd"}, {"configuration", {{"level", 1}, {"checksum", false}}}}};
}

const model::ArrayLayout kT2m = testing::layout("t2m", DType::f4, {48, 721, 1440}, {24, 145, 288},
                                                 model::Scalar{std::nan("")}, {"time", "latitude", "longitude"});
const std::vector<model::Attribute> kT2mAttrs = {{"units", text("K")},
                                                 {"_FillValue", doubles({std::nan("")}, DType::f4)}};

TEST(V3ArrayJson, UnshardedAsTheSpecExample) {
  auto doc = v3_array_json({{kT2m, kT2mAttrs}, {zstd1(), {}}});
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(*doc, json::parse(R"({
    "zarr_format": 3, "node_type": "array", "shape": [48, 721, 1440], "data_type": "float32",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [24, 145, 288]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "fill_value": "NaN",
    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
               {"name": "zstd", "configuration": {"level": 1, "checksum": false}}],
    "attributes": {"units": "K", "_FillValue": "AAAAAAAA+H8="},
    "dimension_names": ["time", "latitude", "longitude"], "storage_transformers": []})"));
}

TEST(V3ArrayJson, ShardedNestsTheChunkCodecsAsTheShardingSpecSays) {
  auto doc = v3_array_json({{kT2m, kT2mAttrs}, {zstd1(), {48, 290, 1440}}});
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->at("chunk_grid"), json::parse(R"({"name": "regular", "configuration": {"chunk_shape": [48, 290, 1440]}})"));
  EXPECT_EQ(doc->at("codecs"), json::parse(R"([{"name": "sharding_indexed", "configuration": {
      "chunk_shape": [24, 145, 288],
      "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                 {"name": "zstd", "configuration": {"level": 1, "checksum": false}}],
      "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
      "index_location": "end"}}])"));
}

TEST(V3ArrayJson, NoCompressorIsBytesAlone) {
  auto doc = v3_array_json({{kT2m, kT2mAttrs}, {{}, {}}});
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->at("codecs"), json::parse(R"([{"name": "bytes", "configuration": {"endian": "little"}}])"));
}

TEST(V3ArrayJson, BadShardsAreNamed) {
  auto rank = v3_array_json({{kT2m, kT2mAttrs}, {{}, {48, 290}}});
  ASSERT_FALSE(rank.ok());
  EXPECT_EQ(rank.error().code, ExitCode::kUsage);
  EXPECT_EQ(rank.error().message, "array 't2m': shards [48, 290] do not match its 3 dims");
  auto multiple = v3_array_json({{kT2m, kT2mAttrs}, {{}, {48, 200, 1440}}});
  ASSERT_FALSE(multiple.ok());
  EXPECT_EQ(multiple.error().message,
            "array 't2m': shards [48, 200, 1440] are not whole multiples of its chunks [24, 145, 288]");
}

TEST(V3DataType, CoreNames) {
  EXPECT_EQ(v3_data_type(DType::i1), "int8");
  EXPECT_EQ(v3_data_type(DType::u2), "uint16");
  EXPECT_EQ(v3_data_type(DType::i8), "int64");
  EXPECT_EQ(v3_data_type(DType::u8), "uint64");
  EXPECT_EQ(v3_data_type(DType::f2), "float16");
  EXPECT_EQ(v3_data_type(DType::f8), "float64");
}

TEST(V3FillValue, NumbersNonFiniteStringsAndZeroWithoutAFill) {
  EXPECT_EQ(v3_fill_value_json(DType::f8, model::Scalar{INFINITY}), json::value("Infinity"));
  EXPECT_EQ(v3_fill_value_json(DType::f8, model::Scalar{-INFINITY}), json::value("-Infinity"));
  EXPECT_EQ(v3_fill_value_json(DType::i2, model::Scalar{std::int64_t{-32767}}), json::value(-32767));
  EXPECT_EQ(v3_fill_value_json(DType::f4, model::Scalar{0.1}), json::value(static_cast<double>(0.1f)));
  const auto zero_float = v3_fill_value_json(DType::f4, std::nullopt);
  ASSERT_TRUE(zero_float.is_double());
  EXPECT_EQ(zero_float.get_double(), 0.0);
  EXPECT_EQ(v3_fill_value_json(DType::u1, std::nullopt), json::value(0));
}

TEST(V3Attributes, FillValueAsXarrayEncodesIt) {
  const std::vector<model::Attribute> none;
  auto attrs = [&](DType t, std::optional<model::Scalar> fill) {
    const auto a = testing::layout("x", t, {4}, {4}, fill, {"x"});
    return v3_array_attributes_json({a, none});
  };
  EXPECT_EQ(attrs(DType::f4, model::Scalar{0.1}).at("_FillValue"), json::value("AAAAoJmZuT8="));
  EXPECT_EQ(attrs(DType::f8, model::Scalar{1e20}).at("_FillValue"), json::value("QIy1eB2vFUQ="));
  EXPECT_EQ(attrs(DType::f8, model::Scalar{-INFINITY}).at("_FillValue"), json::value("AAAAAAAA8P8="));
  EXPECT_EQ(attrs(DType::i2, model::Scalar{std::int64_t{-999}}).at("_FillValue"), json::value(-999));
  EXPECT_FALSE(attrs(DType::f4, std::nullopt).contains("_FillValue"));
}

TEST(V3Attributes, NoArrayDimensionsAndStrictJson) {
  // A NaN _FillValue on a short (no fill) is left out; NaN attributes become strings.
  const auto packed = testing::layout("p", DType::i2, {4}, {4}, std::nullopt, {"x"});
  const std::vector<model::Attribute> attrs = {{"_FillValue", doubles({std::nan("")}, DType::f4)},
                                               {"valid_range", doubles({-INFINITY, 1.5}, DType::f8)},
                                               {"missing_value", doubles({std::nan("")}, DType::f8)}};
  const auto doc = v3_array_attributes_json({packed, attrs});
  EXPECT_EQ(doc, json::parse(R"({"valid_range": ["-Infinity", 1.5], "missing_value": "NaN"})"));
  EXPECT_EQ(dump_json(doc).find("NaN,"), std::string::npos);
}

TEST(V3ArrayJson, Utf8TextIsStringWithVlenUtf8) {
  auto label = testing::layout("label", DType::f4, {5}, {5}, std::nullopt, {"station"});
  label.text = model::TextType{model::TextType::Kind::utf8, 0, std::nullopt};
  const std::vector<model::Attribute> none;
  auto doc = v3_array_json({{label, none}, {zstd1(), {}}});
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->at("data_type"), json::value("string"));
  EXPECT_EQ(doc->at("fill_value"), json::value(""));
  EXPECT_EQ(doc->at("codecs"), json::parse(R"([{"name": "vlen-utf8", "configuration": {}},
      {"name": "zstd", "configuration": {"level": 1, "checksum": false}}])"));
  EXPECT_TRUE(doc->at("attributes").get_object().empty());
}

TEST(V3ArrayJson, FixedWidthCharArraysAreRefusedNamingTheVariable) {
  auto station = testing::layout("station_name", DType::f4, {5}, {5}, std::nullopt, {"station"});
  station.text = model::TextType{model::TextType::Kind::fixed_bytes, 8, std::nullopt};
  const std::vector<model::Attribute> none;
  auto doc = v3_array_json({{station, none}, {{}, {}}});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, ExitCode::kUsage);
  EXPECT_EQ(doc.error().message.rfind("variable 'station_name': char arrays (|S8 in Zarr v2) have no stable Zarr v3", 0),
            0u)
      << doc.error().message;
}

TEST(V3ChunkKey, DefaultEncodingWithSlash) {
  EXPECT_EQ(v3_chunk_key({1, 23, 45}), "c/1/23/45");
  EXPECT_EQ(v3_chunk_key({0}), "c/0");
  EXPECT_EQ(v3_chunk_key({}), "c");
}

TEST(V3Group, RootConsolidatesEveryArrayAsZarrPython3) {
  const auto scalar = testing::layout("crs", DType::i4, {}, {}, std::nullopt, {});
  const std::vector<model::Attribute> none;
  const std::vector<V3ArrayMeta> arrays = {{{kT2m, kT2mAttrs}, {zstd1(), {}}}, {{scalar, none}, {{}, {}}}};
  const json::object attrs{{"title", "ERA5"}, {"bad", std::nan("")}};
  EXPECT_EQ(v3_group_json(attrs), json::parse(R"({"zarr_format": 3, "node_type": "group",
      "attributes": {"title": "ERA5", "bad": "NaN"}})"));
  auto root = v3_root_json(attrs, arrays);
  ASSERT_TRUE(root.ok()) << root.error().message;
  const auto& cm = root->at("consolidated_metadata").get_object();
  EXPECT_EQ(cm.at("kind"), json::value("inline"));
  EXPECT_EQ(cm.at("must_understand"), json::value(false));
  EXPECT_EQ(cm.at("metadata").at("t2m"), *v3_array_json(arrays[0]));
  EXPECT_EQ(cm.at("metadata").at("crs").at("chunk_grid"),
            json::parse(R"({"name": "regular", "configuration": {"chunk_shape": []}})"));
  EXPECT_EQ(root->at("node_type"), json::value("group"));

  auto docs = v3_metadata_documents(attrs, arrays);
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0].first, "t2m/zarr.json");
  EXPECT_EQ((*docs)[1].first, "crs/zarr.json");
  EXPECT_EQ((*docs)[2].first, "zarr.json");  // last: it marks the store complete
  EXPECT_EQ((*docs)[2].second, *root);
}

}  // namespace
}  // namespace zpmpi::zarr
