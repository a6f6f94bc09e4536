#include "zpmpi/transform/coordinates_attribute.hpp"

#include <gtest/gtest.h>

namespace zpmpi::transform {
namespace {

using Attrs = std::vector<model::Attribute>;

struct Array {
  std::string name;
  std::vector<std::string> dims;
  bool is_coordinate = false;
  Attrs attributes;
};

model::Attribute coordinates(const std::string& names) { return {"coordinates", {names, std::nullopt}}; }

std::string coordinates_of(const Array& a) {
  for (const auto& x : a.attributes)
    if (x.name == "coordinates") return std::get<std::string>(x.value.data);
  return "<none>";
}

/// The arrays written from a source that has them and the variables `dropped` (not written).
std::string encode(std::vector<Array>& arrays, const std::vector<std::string>& dropped = {"zone", "gone"}) {
  model::Dataset source;
  auto add = [&](const std::string& name) {
    source.variables.emplace_back();
    source.variables.back().name = name;
  };
  std::vector<CoordinatesView> views;
  for (auto& a : arrays) {
    views.push_back({a.name, a.dims, a.is_coordinate, a.attributes});
    add(a.name);
  }
  for (const auto& name : dropped) add(name);
  return encode_coordinates(views, source);
}

TEST(EncodeCoordinates, KeepsWrittenNamesInOrderOnce) {
  std::vector<Array> arrays = {{"t", {"y", "x"}, false, {{"units", {std::string("K"), std::nullopt}},
                                                         coordinates("lon lat  zone lat")}},
                               {"lat", {"y", "x"}, true, {}},
                               {"lon", {"y", "x"}, true, {}}};
  EXPECT_EQ(encode(arrays), "");
  EXPECT_EQ(coordinates_of(arrays[0]), "lon lat");  // zone was not written: it would void all
  EXPECT_EQ(arrays[0].attributes.size(), 2u);
}

TEST(EncodeCoordinates, ADataArrayWithoutAttributeGetsTheCoordinatesOnItsDims) {
  // ds[["counts"]]: lat_x stays a coordinate, but only packed's attribute named it.
  std::vector<Array> arrays = {{"counts", {"time", "x"}, false, {}},
                               {"x", {"x"}, true, {}},
                               {"lat_x", {"x"}, true, {}},
                               {"height", {}, true, {}}};
  EXPECT_EQ(encode(arrays), "");
  EXPECT_EQ(coordinates_of(arrays[0]), "height lat_x");
  EXPECT_EQ(coordinates_of(arrays[1]), "<none>");  // coordinates get none added
}

TEST(EncodeCoordinates, CoordinatesNoAttributeNamesGoToTheRoot) {
  std::vector<Array> arrays = {{"t", {"x"}, false, {coordinates("zone")}},
                               {"zone", {"y"}, true, {}},
                               {"station", {"s"}, true, {}}};
  EXPECT_EQ(encode(arrays), "station");
  EXPECT_EQ(coordinates_of(arrays[0]), "zone");
}

TEST(EncodeCoordinates, NothingLeftDropsTheAttribute) {
  std::vector<Array> arrays = {{"t", {"x"}, false, {coordinates("gone")}}};
  EXPECT_EQ(encode(arrays), "");
  EXPECT_TRUE(arrays[0].attributes.empty());
}

/// Issue 25.4: an attribute naming a variable the source lacks (netcdf4-python's
/// issue671.nc) is no coordinates attribute for xarray: written as it is, naming nothing.
TEST(EncodeCoordinates, AnAttributeXarrayDidNotDecodeIsWrittenAsItIs) {
  std::vector<Array> arrays = {{"sm", {"y", "x"}, false, {coordinates("lat lon  missing")}},
                               {"t", {"y", "x"}, false, {coordinates("lat")}},
                               {"lat", {"y", "x"}, true, {}},
                               {"lon", {"y", "x"}, true, {}}};
  EXPECT_EQ(encode(arrays), "lon");  // sm's attribute keeps no coordinate
  EXPECT_EQ(coordinates_of(arrays[0]), "lat lon  missing");
  EXPECT_EQ(coordinates_of(arrays[1]), "lat");
  std::vector<Array> alone = {{"sm", {"x"}, false, {coordinates("missing")}}, {"lat", {"x"}, true, {}}};
  EXPECT_EQ(encode(alone), "lat");  // nor gets the coordinates on its dims
  EXPECT_EQ(coordinates_of(alone[0]), "missing");
}

}  // namespace
}  // namespace zpmpi::transform
