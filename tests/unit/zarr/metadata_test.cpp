#include "zpmpi/zarr/metadata.hpp"

#include <cmath>
#include <limits>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace zpmpi::zarr {
namespace {

using model::DType;

TEST(Typestr, AllDTypes) {
  EXPECT_EQ(typestr(DType::i1), "|i1");
  EXPECT_EQ(typestr(DType::u1), "|u1");
  EXPECT_EQ(typestr(DType::i2), "<i2");
  EXPECT_EQ(typestr(DType::u2), "<u2");
  EXPECT_EQ(typestr(DType::i4), "<i4");
  EXPECT_EQ(typestr(DType::u4), "<u4");
  EXPECT_EQ(typestr(DType::i8), "<i8");
  EXPECT_EQ(typestr(DType::u8), "<u8");
  EXPECT_EQ(typestr(DType::f4), "<f4");
  EXPECT_EQ(typestr(DType::f8), "<f8");
}

TEST(FillValue, SpelledAsZarrPython) {
  EXPECT_EQ(fill_value_json(DType::f4, model::Scalar{std::nan("")}), boost::json::value("NaN"));
  EXPECT_EQ(fill_value_json(DType::f8, model::Scalar{INFINITY}), boost::json::value("Infinity"));
  EXPECT_EQ(fill_value_json(DType::f8, model::Scalar{-INFINITY}), boost::json::value("-Infinity"));
  EXPECT_EQ(fill_value_json(DType::i2, model::Scalar{std::int64_t{-32767}}), boost::json::value(-32767));
  const auto u64max = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(fill_value_json(DType::u8, model::Scalar{u64max}), boost::json::value(u64max));
  EXPECT_TRUE(fill_value_json(DType::f4, std::nullopt).is_null());
  // Stored as float32: the JSON holds the float32 value, not the double given.
  EXPECT_EQ(dump_json(fill_value_json(DType::f4, model::Scalar{0.1})), "0.10000000149011612");
}

TEST(DumpJson, LikePythonJsonDumpsIndent4SortKeys) {
  boost::json::value v = boost::json::object{
      {"b", boost::json::array{1, 2.5, 1.0}}, {"a", "x\"y"}, {"c", boost::json::object{}},
      {"d", boost::json::array{}}, {"e", std::nan("")}, {"f", -INFINITY}, {"g", 1e30}, {"h", nullptr}};
  EXPECT_EQ(dump_json(v), R"({
    "a": "x\"y",
    "b": [
        1,
        2.5,
        1.0
    ],
    "c": {},
    "d": [],
    "e": NaN,
    "f": -Infinity,
    "g": 1e+30,
    "h": null
})");
}

TEST(Attributes, ScalarsListsAndTextWithoutFillValue) {
  std::vector<model::Attribute> attrs = {
      {"units", {std::string("K"), std::nullopt}},
      {"scale_factor", {std::vector<double>{static_cast<double>(0.1f)}, DType::f4}},
      {"valid_range", {std::vector<std::int64_t>{-100, 100}, DType::i2}},
      {"_FillValue", {std::vector<std::int64_t>{-32767}, DType::i2}},
  };
  EXPECT_EQ(dump_json(attrs_json(attrs)), R"({
    "scale_factor": 0.10000000149011612,
    "units": "K",
    "valid_range": [
        -100,
        100
    ]
})");
}

TEST(Documents, ZarrayZattrsAndZmetadata) {
  ArrayMeta a{"t2m", DType::f4, {48, 721, 1440}, {24, 145, 288}, model::Scalar{std::nan("")},
              boost::json::object{{"id", "zstd"}, {"level", 1}}, {"time", "latitude", "longitude"},
              {{"units", {std::string("K"), std::nullopt}}}};
  EXPECT_EQ(boost::json::serialize(zarray_json(a)),
            R"({"chunks":[24,145,288],"compressor":{"id":"zstd","level":1},"dimension_separator":".",)"
            R"("dtype":"<f4","fill_value":"NaN","filters":null,"order":"C","shape":[48,721,1440],"zarr_format":2})");
  EXPECT_EQ(boost::json::serialize(array_zattrs_json(a)),
            R"({"units":"K","_ARRAY_DIMENSIONS":["time","latitude","longitude"]})");
  const auto meta = zmetadata_json(boost::json::object{{"title", "x"}}, {a});
  EXPECT_EQ(meta.at("zarr_consolidated_format"), boost::json::value(1));
  const auto& m = meta.at("metadata").as_object();
  EXPECT_EQ(m.at(".zgroup"), (boost::json::value(boost::json::object{{"zarr_format", 2}})));
  EXPECT_EQ(m.at(".zattrs").at("title"), boost::json::value("x"));
  EXPECT_EQ(m.at("t2m/.zarray"), boost::json::value(zarray_json(a)));
  EXPECT_EQ(m.at("t2m/.zattrs"), boost::json::value(array_zattrs_json(a)));
}

}  // namespace
}  // namespace zpmpi::zarr
