// Attribute values and the .zarray / .zattrs / .zmetadata documents.
#include "zpmpi/zarr/metadata.hpp"

#include <cmath>
#include <cstdlib>
#include <vector>
#include <string>
#include <limits>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "layout_util.hpp"

namespace zpmpi::zarr {
namespace {

using model::AttrValue;
using model::DType;
namespace json = boost::json;

AttrValue text(std::string s) { return {std::move(s), std::nullopt}; }
template <class T>
AttrValue numbers(std::vector<T> v, DType t) {
  return {std::move(v), t};
}

TEST(AttrJson, TextIsAString) { EXPECT_EQ(attr_json(text("K")), json::value("K")); }

TEST(AttrJson, OneNumberIsAScalarOfItsKind) {
  const auto i = attr_json(numbers<std::int64_t>({-5}, DType::i2));
  ASSERT_TRUE(i.is_int64());
  EXPECT_EQ(i.get_int64(), -5);
  const auto u = attr_json(numbers<std::uint64_t>({std::numeric_limits<std::uint64_t>::max()}, DType::u8));
  ASSERT_TRUE(u.is_uint64());
  EXPECT_EQ(u.get_uint64(), std::numeric_limits<std::uint64_t>::max());
  const auto d = attr_json(numbers<double>({0.5}, DType::f8));
  ASSERT_TRUE(d.is_double());
  EXPECT_EQ(d.get_double(), 0.5);
}

TEST(AttrJson, SeveralNumbersAreAList) {
  EXPECT_EQ(attr_json(numbers<std::int64_t>({-100, 100}, DType::i2)), (json::array{-100, 100}));
  EXPECT_EQ(attr_json(numbers<double>({1.0, 2.5, 3.0}, DType::f4)), (json::array{1.0, 2.5, 3.0}));
}

TEST(AttrJson, NonFiniteStayDoublesAndDumpAsTokens) {
  const auto v = attr_json(numbers<double>({std::nan(""), INFINITY, -INFINITY}, DType::f4));
  ASSERT_TRUE(v.is_array());
  for (const auto& x : v.get_array()) EXPECT_TRUE(x.is_double());
  EXPECT_EQ(dump_json(v), "[\n    NaN,\n    Infinity,\n    -Infinity\n]");
  EXPECT_EQ(dump_json(attr_json(numbers<double>({std::nan("")}, DType::f8))), "NaN");
}

TEST(AttrsJson, KeepsAllButFillValue) {
  std::vector<model::Attribute> attrs = {
      {"units", text("K")},
      {"scale_factor", numbers<double>({static_cast<double>(0.1f)}, DType::f4)},
      {"valid_range", numbers<std::int64_t>({-100, 100}, DType::i2)},
      {"_FillValue", numbers<std::int64_t>({-32767}, DType::i2)},
      {"missing_value", numbers<std::int64_t>({-32767}, DType::i2)},
  };
  EXPECT_EQ(dump_json(attrs_json(attrs)), R"({
    "missing_value": -32767,
    "scale_factor": 0.10000000149011612,
    "units": "K",
    "valid_range": [
        -100,
        100
    ]
})");
}

const json::value kZstd = json::object{{"id", "zstd"}, {"level", 1}};
const model::ArrayLayout kT2m = testing::layout("t2m", DType::f4, {48, 721, 1440}, {24, 145, 288},
                                                 model::Scalar{std::nan("")}, {"time", "latitude", "longitude"});
const std::vector<model::Attribute> kT2mAttrs = {{"units", text("K")},
                                                 {"_FillValue", numbers<double>({std::nan("")}, DType::f4)}};
ArrayMeta t2m() { return {kT2m, kT2mAttrs}; }
const std::vector<model::Attribute> kNoAttrs;

TEST(Zarray, EveryKeyAsZarrPythonWritesIt) {
  EXPECT_EQ(dump_json(zarray_json(kT2m, kZstd)), R"({
    "chunks": [
        24,
        145,
        288
    ],
    "compressor": {
        "id": "zstd",
        "level": 1
    },
    "dimension_separator": ".",
    "dtype": "<f4",
    "fill_value": "NaN",
    "filters": null,
    "order": "C",
    "shape": [
        48,
        721,
        1440
    ],
    "zarr_format": 2
})");
}

TEST(Zarray, ScalarArrayNoCompressorNoFill) {
  const auto z = zarray_json(testing::layout("x", DType::i8, {}, {}, std::nullopt, {}), nullptr);
  EXPECT_EQ(z.at("shape"), json::array{});
  EXPECT_EQ(z.at("chunks"), json::array{});
  EXPECT_TRUE(z.at("compressor").is_null());
  EXPECT_TRUE(z.at("fill_value").is_null());
  EXPECT_EQ(z.at("dtype"), json::value("<i8"));
}

TEST(ArrayZattrs, DimensionsAndAttributesWithoutFillValue) {
  EXPECT_EQ(dump_json(array_zattrs_json(t2m())), R"({
    "_ARRAY_DIMENSIONS": [
        "time",
        "latitude",
        "longitude"
    ],
    "units": "K"
})");
  const auto scalar = testing::layout("s", DType::f8, {}, {}, std::nullopt, {});
  EXPECT_EQ(dump_json(array_zattrs_json({scalar, kNoAttrs})), "{\n    \"_ARRAY_DIMENSIONS\": []\n}");
}

TEST(Zmetadata, HoldsEveryDocumentByPath) {
  const auto time_layout = testing::layout("time", DType::i8, {48}, {48}, std::nullopt, {"time"});
  const std::vector<model::Attribute> time_attrs = {{"units", text("hours since 1900-01-01")}};
  const ArrayMeta time{time_layout, time_attrs};
  const json::object group{{"title", "ERA5"}};
  const auto meta = zmetadata_json(group, {t2m(), time}, kZstd);
  EXPECT_EQ(meta.size(), 2u);
  EXPECT_EQ(meta.at("zarr_consolidated_format"), json::value(1));
  const auto& m = meta.at("metadata").as_object();
  EXPECT_EQ(m.size(), 6u);
  EXPECT_EQ(m.at(".zgroup"), (json::value(json::object{{"zarr_format", 2}})));
  EXPECT_EQ(m.at(".zattrs"), json::value(group));
  EXPECT_EQ(m.at("t2m/.zarray"), json::value(zarray_json(kT2m, kZstd)));
  EXPECT_EQ(m.at("t2m/.zattrs"), json::value(array_zattrs_json(t2m())));
  EXPECT_EQ(m.at("time/.zarray"), json::value(zarray_json(time_layout, kZstd)));
  EXPECT_EQ(m.at("time/.zattrs"), json::value(array_zattrs_json(time)));
}

TEST(Zmetadata, EmptyGroup) {
  EXPECT_EQ(dump_json(zmetadata_json({}, {}, nullptr)), R"({
    "metadata": {
        ".zattrs": {},
        ".zgroup": {
            "zarr_format": 2
        }
    },
    "zarr_consolidated_format": 1
})");
}

}  // namespace
}  // namespace zpmpi::zarr

namespace zpmpi::zarr {
namespace {

TEST(Attributes, StringListsStayLists) {
  const model::AttrValue flags{std::vector<std::string>{"clear", "cloudy"}, std::nullopt};
  EXPECT_EQ(boost::json::serialize(attr_json(flags)), R"(["clear","cloudy"])");
}

}  // namespace
}  // namespace zpmpi::zarr

namespace zpmpi::zarr {
namespace {

// Boost.JSON 1.81 parses some doubles one ulp off; a store document read and written again
// must keep every figure's bits (found by verify of an appended store's statistics).
TEST(ParseStoreJson, DoublesAreCorrectlyRounded) {
  const std::vector<std::string> figures = {"4.015152931213379", "0.002751481567999642", "-4.253021240234375",
                                            "0.9934590559185341", "50690.31160759696", "0.004712244222534468",
                                            "0.9969717272193279", "51049.40681356408", "4.036861896514893",
                                            "-4.056928634643555", "1e-320", "0.1"};
  std::string doc = "{\"n\": 51360, \"nan\": NaN, \"s\": \"x\\\"1.5\", \"f\": [";
  for (std::size_t i = 0; i < figures.size(); ++i) doc += (i ? ", " : "") + figures[i];
  doc += "]}";
  const auto v = parse_store_json(doc);
  ASSERT_TRUE(v.ok()) << doc;
  EXPECT_EQ(v->at("n").as_int64(), 51360);
  EXPECT_TRUE(std::isnan(v->at("nan").as_double()));
  for (std::size_t i = 0; i < figures.size(); ++i)
    EXPECT_EQ(v->at("f").as_array()[i].as_double(), std::strtod(figures[i].c_str(), nullptr)) << figures[i];
}

}  // namespace
}  // namespace zpmpi::zarr
