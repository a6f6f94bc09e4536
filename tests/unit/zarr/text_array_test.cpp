// .zarray of text arrays, compared with what xarray's to_zarr (zarr-python 2) wrote for the
// same arrays (Debian 12: xarray 2023.01, zarr 2.13).
#include <gtest/gtest.h>

#include "layout_util.hpp"
#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {
namespace {

using model::TextType;

/// A text array as the job leaves it: one chunk, the whole array (extents at least 1).
model::ArrayLayout text(std::string name, TextType type, model::Shape shape, std::vector<std::string> dims) {
  model::Shape chunks = shape;
  for (auto& c : chunks) c = std::max<model::Index>(c, 1);
  auto a = testing::layout(std::move(name), model::DType::u1, std::move(shape), std::move(chunks), std::nullopt,
                           std::move(dims));
  a.text = type;
  return a;
}

const std::vector<model::Attribute> kLongName = {{"long_name", {std::string("station name"), std::nullopt}}};

TEST(TextZarray, FixedBytesIsS8WithNullFill) {
  const auto a = text("station_name", {TextType::Kind::fixed_bytes, 8}, {5}, {"station"});
  EXPECT_EQ(dump_json(zarray_json(a, nullptr)),
            "{\n    \"chunks\": [\n        5\n    ],\n    \"compressor\": null,\n    \"dimension_separator\": \".\",\n"
            "    \"dtype\": \"|S8\",\n    \"fill_value\": null,\n    \"filters\": null,\n    \"order\": \"C\",\n"
            "    \"shape\": [\n        5\n    ],\n    \"zarr_format\": 2\n}");
  EXPECT_EQ(dump_json(array_zattrs_json({a, kLongName})),
            "{\n    \"_ARRAY_DIMENSIONS\": [\n        \"station\"\n    ],\n    \"long_name\": \"station name\"\n}");
}

TEST(TextZarray, Utf8IsObjectWithVlenUtf8Filter) {
  const auto z = zarray_json(text("label", {TextType::Kind::utf8, 0}, {5}, {"station"}), nullptr);
  EXPECT_EQ(z.at("dtype"), "|O");
  EXPECT_EQ(z.at("filters"), (boost::json::array{boost::json::object{{"id", "vlen-utf8"}}}));
  EXPECT_TRUE(z.at("fill_value").is_null());
}

/// Issue 25.3: a char variable's _FillValue is the base64 fill_value xarray's to_zarr writes
/// ("x" in "|S2": "eA=="), so that xarray masks the same elements reading the store.
TEST(TextZarray, CharFillValueIsBase64) {
  auto fill = [](std::string bytes, std::size_t width) {
    return zarray_json(text("c", {TextType::Kind::fixed_bytes, width, std::move(bytes)}, {3}, {"n"}), nullptr)
        .at("fill_value");
  };
  EXPECT_EQ(fill("x", 2), "eA==");
  EXPECT_EQ(fill("ab", 2), "YWI=");
  EXPECT_EQ(fill("abc", 3), "YWJj");
  EXPECT_EQ(fill(std::string("\0", 1), 1), "AA==");
  EXPECT_EQ(fill("abcd", 4), "YWJjZA==");
}

TEST(TextZarray, ScalarAndEmptyShapes) {
  const auto scalar = zarray_json(text("crs", {TextType::Kind::fixed_bytes, 1}, {}, {}), nullptr);
  EXPECT_EQ(scalar.at("dtype"), "|S1");
  EXPECT_TRUE(scalar.at("chunks").as_array().empty());
  const auto empty = zarray_json(text("e", {TextType::Kind::fixed_bytes, 2}, {0, 3}, {"a", "b"}), nullptr);
  EXPECT_EQ(empty.at("chunks"), (boost::json::array{1, 3}));  // zarr needs extents >= 1
}

TEST(TextZarray, ConsolidatedWithTheNumericArrays) {
  const auto crs = text("crs", {TextType::Kind::fixed_bytes, 1}, {}, {});
  const auto doc = zmetadata_json({}, {{crs, kLongName}}, nullptr);
  const auto& md = doc.at("metadata").as_object();
  EXPECT_EQ(md.at("crs/.zarray").at("dtype"), "|S1");
  EXPECT_TRUE(md.contains("crs/.zattrs"));
}

}  // namespace
}  // namespace zpmpi::zarr
