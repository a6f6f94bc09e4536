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

std::string encode(std::vector<Array>& arrays) {
  std::vector<CoordinatesView> views;
  for (auto& a : arrays) views.push_back({a.name, a.dims, a.is_coordinate, a.attributes});
  return encode_coordinates(views);
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

}  // namespace
}  // namespace zpmpi::transform
