#include "zpmpi/transform/output_array.hpp"

#include <gtest/gtest.h>

namespace zpmpi::transform {
namespace {

model::Variable var(std::string name, std::vector<std::string> dims, model::Shape shape) {
  model::Variable v;
  v.name = std::move(name);
  v.dims = std::move(dims);
  v.shape = shape;
  v.source_chunks = shape;
  return v;
}

model::Dataset era5_like() {
  model::Dataset ds;
  ds.uri = "era5.nc";
  ds.dims = {{"time", 4, true}, {"latitude", 3, false}, {"longitude", 5, false}, {"bnds", 2, false}};
  ds.variables = {var("time", {"time"}, {4}), var("latitude", {"latitude"}, {3}),
                  var("longitude", {"longitude"}, {5}),
                  var("t2m", {"time", "latitude", "longitude"}, {4, 3, 5}),
                  var("d2m", {"time", "latitude", "longitude"}, {4, 3, 5}),
                  var("station_height", {"latitude", "longitude"}, {3, 5}),
                  var("lat_bnds", {"latitude", "bnds"}, {3, 2})};
  ds.variables[4].attributes.push_back({"coordinates", {std::string("station_height"), std::nullopt}});
  return ds;
}

std::vector<std::string> names(const std::vector<OutputArray>& arrays) {
  std::vector<std::string> n;
  for (const auto& a : arrays) n.push_back(a.name);
  return n;
}

TEST(ChooseArrays, DefaultIsEveryDataVariableThenEveryCoordinate) {
  auto arrays = choose_arrays(era5_like(), std::nullopt);
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  EXPECT_EQ(names(*arrays), (std::vector<std::string>{"t2m", "d2m", "lat_bnds", "time", "latitude",
                                                      "longitude", "station_height"}));
  EXPECT_FALSE((*arrays)[0].is_coordinate);
  EXPECT_TRUE((*arrays)[3].is_coordinate);
  EXPECT_TRUE((*arrays)[0].map.is_identity());
}

TEST(ChooseArrays, NamedVariablesBringTheCoordinatesWithinTheirDims) {
  auto arrays = choose_arrays(era5_like(), std::vector<VariableChoice>{{"t2m", "temp2m"}});
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  // station_height (latitude, longitude) lies within t2m's dims, as in xarray's ds[["t2m"]].
  EXPECT_EQ(names(*arrays), (std::vector<std::string>{"temp2m", "time", "latitude", "longitude",
                                                      "station_height"}));
  EXPECT_EQ((*arrays)[0].source.name, "t2m");
  auto bounds = choose_arrays(era5_like(), std::vector<VariableChoice>{{"lat_bnds", ""}});
  ASSERT_TRUE(bounds.ok());
  EXPECT_EQ(names(*bounds), (std::vector<std::string>{"lat_bnds", "latitude"}));
}

/// Issue 25.4: a "coordinates" attribute naming a variable the file lacks makes none of its
/// names a coordinate, as xarray's decode_cf_variables (all names or nothing).
TEST(ChooseArrays, AnAttributeNamingAMissingVariableNamesNoCoordinate) {
  model::Dataset ds = era5_like();
  ds.variables[4].attributes[0].value.data = std::string("station_height sigma_missing");
  auto arrays = choose_arrays(ds, std::nullopt);
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  EXPECT_EQ(names(*arrays), (std::vector<std::string>{"t2m", "d2m", "station_height", "lat_bnds", "time",
                                                      "latitude", "longitude"}));
  EXPECT_FALSE((*arrays)[2].is_coordinate);
}

TEST(ChooseArrays, Errors) {
  auto missing = choose_arrays(era5_like(), std::vector<VariableChoice>{{"u10", ""}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "variables: 'u10' is not a variable of era5.nc that zpmpi can write (it has: time, latitude, "
            "longitude, t2m, d2m, station_height, lat_bnds)");
  EXPECT_EQ(missing.error().code, ExitCode::kUsage);
  auto clash = choose_arrays(era5_like(), std::vector<VariableChoice>{{"t2m", "d2m"}, {"d2m", ""}});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message, "variables: two output arrays would be named 'd2m'");
  auto coord = choose_arrays(era5_like(), std::vector<VariableChoice>{{"time", "t"}});
  ASSERT_FALSE(coord.ok());
}

TEST(RenameArray, RenamesDataArraysOnly) {
  auto arrays = choose_arrays(era5_like(), std::vector<VariableChoice>{{"t2m", ""}, {"d2m", ""}});
  ASSERT_TRUE(arrays.ok());
  ASSERT_TRUE(rename_array(*arrays, "t2m", "temp").ok());
  EXPECT_EQ((*arrays)[0].name, "temp");
  EXPECT_EQ(rename_array(*arrays, "t2m", "x").error().message, "no output array is named 't2m'");
  EXPECT_EQ(rename_array(*arrays, "temp", "d2m").error().message, "an array is already named 'd2m'");
  EXPECT_FALSE(rename_array(*arrays, "time", "t").ok());
}

}  // namespace
}  // namespace zpmpi::transform
