// .zarray of text arrays, compared with what xarray's to_zarr (zarr-python 2) wrote for the
// same arrays (Debian 12: xarray 2023.01, zarr 2.13).
#include "zpmpi/zarr/text_array.hpp"

#include <gtest/gtest.h>

#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {
namespace {

using model::TextType;

TextArrayMeta meta(std::string name, TextType type, model::Shape shape, std::vector<std::string> dims) {
  return TextArrayMeta{std::move(name), type, std::move(shape), nullptr, std::move(dims),
                       {{"long_name", {std::string("station name"), std::nullopt}}}};
}

TEST(TextZarray, FixedBytesIsS8WithNullFill) {
  const auto m = meta("station_name", {TextType::Kind::fixed_bytes, 8}, {5}, {"station"});
  EXPECT_EQ(dump_json(text_zarray_json(m)),
            "{\n    \"chunks\": [\n        5\n    ],\n    \"compressor\": null,\n    \"dimension_separator\": \".\",\n"
            "    \"dtype\": \"|S8\",\n    \"fill_value\": null,\n    \"filters\": null,\n    \"order\": \"C\",\n"
            "    \"shape\": [\n        5\n    ],\n    \"zarr_format\": 2\n}");
  EXPECT_EQ(dump_json(text_zattrs_json(m)),
            "{\n    \"_ARRAY_DIMENSIONS\": [\n        \"station\"\n    ],\n    \"long_name\": \"station name\"\n}");
}

TEST(TextZarray, Utf8IsObjectWithVlenUtf8Filter) {
  const auto z = text_zarray_json(meta("label", {TextType::Kind::utf8, 0}, {5}, {"station"}));
  EXPECT_EQ(z.at("dtype"), "|O");
  EXPECT_EQ(z.at("filters"), (boost::json::array{boost::json::object{{"id", "vlen-utf8"}}}));
  EXPECT_TRUE(z.at("fill_value").is_null());
}

TEST(TextZarray, ScalarAndEmptyShapes) {
  const auto scalar = text_zarray_json(meta("crs", {TextType::Kind::fixed_bytes, 1}, {}, {}));
  EXPECT_EQ(scalar.at("dtype"), "|S1");
  EXPECT_TRUE(scalar.at("chunks").as_array().empty());
  const auto empty = text_zarray_json(meta("e", {TextType::Kind::fixed_bytes, 2}, {0, 3}, {"a", "b"}));
  EXPECT_EQ(empty.at("chunks"), (boost::json::array{1, 3}));  // zarr needs extents >= 1
}

TEST(TextZarray, ConsolidatedWithTheNumericArrays) {
  const auto doc = zmetadata_json({}, {}, nullptr, {meta("crs", {TextType::Kind::fixed_bytes, 1}, {}, {})});
  const auto& md = doc.at("metadata").as_object();
  EXPECT_EQ(md.at("crs/.zarray").at("dtype"), "|S1");
  EXPECT_TRUE(md.contains("crs/.zattrs"));
}

}  // namespace
}  // namespace zpmpi::zarr
