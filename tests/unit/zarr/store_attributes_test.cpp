// Attributes of a complete store changed in place (store_attributes.hpp): the array's
// document and the consolidated metadata, other keys and NaN attributes kept, v3 strict.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "store_test_util.hpp"
#include "zpmpi/zarr/metadata.hpp"
#include "zpmpi/zarr/store_attributes.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;
namespace json = boost::json;

const AttributeChanges kChanges{{"t", json::object{{"statistics", json::object{{"count", 3}, {"mean", NAN}}}}}};

TEST(UpdateArrayAttributes, V2ZattrsThenZmetadata) {
  const fs::path store = fresh_dir("attrs_v2") / "s.zarr";
  spit(store / "t" / ".zattrs", R"({"units": "K", "valid_min": NaN, "statistics": {"count": 1}})");
  spit(store / ".zmetadata", R"({"metadata": {".zattrs": {}, "t/.zattrs": {"units": "K", "valid_min": NaN}},
                                 "zarr_consolidated_format": 1})");
  ASSERT_TRUE(update_array_attributes(store, ZarrFormat::kV2, kChanges).ok());
  const auto zattrs = parse_store_json(slurp(store / "t" / ".zattrs"));
  ASSERT_TRUE(zattrs.ok());
  EXPECT_EQ(zattrs->at("units"), "K");
  EXPECT_TRUE(std::isnan(zattrs->at("valid_min").as_double()));
  EXPECT_EQ(zattrs->at("statistics").at("count"), 3);
  EXPECT_NE(slurp(store / "t" / ".zattrs").find("\"mean\": NaN"), std::string::npos);  // as xarray writes it
  const auto meta = parse_store_json(slurp(store / ".zmetadata"));
  EXPECT_EQ(meta->at("metadata").at("t/.zattrs").at("statistics").at("count"), 3);
  EXPECT_EQ(names_in(store / "t"), std::vector<std::string>{".zattrs"});  // no temporary left
}

TEST(UpdateArrayAttributes, V3IsStrictJson) {
  const fs::path store = fresh_dir("attrs_v3") / "s.zarr";
  spit(store / "t" / "zarr.json", R"({"zarr_format": 3, "node_type": "array", "attributes": {"units": "K"}})");
  spit(store / "zarr.json", R"({"zarr_format": 3, "node_type": "group", "consolidated_metadata": {"metadata":
        {"t": {"zarr_format": 3, "node_type": "array", "attributes": {"units": "K"}}}}})");
  ASSERT_TRUE(update_array_attributes(store, ZarrFormat::kV3, kChanges).ok());
  for (const fs::path& doc : {store / "t" / "zarr.json", store / "zarr.json"}) {
    const std::string text = slurp(doc);
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);  // strict: no bare NaN
    ASSERT_FALSE(ec) << doc << ": " << text;
    const json::value& attrs =
        doc.parent_path() == store ? v.at("consolidated_metadata").at("metadata").at("t").at("attributes")
                                   : v.at("attributes");
    EXPECT_EQ(attrs.at("statistics").at("mean"), "NaN");
    EXPECT_EQ(attrs.at("units"), "K");
  }
}

TEST(UpdateArrayAttributes, RefusesALinkAndAnArrayTheMetadataLacks) {
  const fs::path dir = fresh_dir("attrs_refused");
  const fs::path store = dir / "s.zarr";
  spit(dir / "elsewhere.json", R"({"units": "K"})");
  fs::create_directories(store / "t");
  fs::create_symlink(dir / "elsewhere.json", store / "t" / ".zattrs");
  spit(store / ".zmetadata", R"({"metadata": {}})");
  const Status linked = update_array_attributes(store, ZarrFormat::kV2, kChanges);
  ASSERT_FALSE(linked.ok());
  EXPECT_NE(linked.error().message.find("is a symbolic link"), std::string::npos);
  EXPECT_EQ(slurp(dir / "elsewhere.json"), R"({"units": "K"})");
  spit(store / "zarr.json", R"({"zarr_format": 3, "consolidated_metadata": {"metadata": {}}})");
  spit(store / "t" / "zarr.json", R"({"attributes": {}})");
  const Status lacking = update_array_attributes(store, ZarrFormat::kV3, kChanges);
  ASSERT_FALSE(lacking.ok());
  EXPECT_NE(lacking.error().message.find("has no array t"), std::string::npos);
}

}  // namespace
}  // namespace zpmpi::zarr
