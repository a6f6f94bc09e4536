// build_job_arrays: from a job file's text and a described source (built here, as a netCDF
// source describes ERA5) to the output arrays, their chunks, the root attributes and the
// recommendations; its errors name the config key.
#include "zpmpi/app/job.hpp"

#include <gtest/gtest.h>

#include <string>

#include "zpmpi/app/config.hpp"

namespace zpmpi::app {
namespace {

model::Variable variable(std::string name, std::vector<std::string> dims, model::Shape shape, model::Shape chunks) {
  model::Variable v;
  v.name = std::move(name);
  v.dims = std::move(dims);
  v.shape = std::move(shape);
  v.source_chunks = std::move(chunks);
  v.dtype = model::DType::f4;
  v.chunked = true;
  return v;
}

/// era5.nc: t2m (time 48, latitude 10, longitude 20) in chunks of one time step, and its
/// three dimension coordinates; a title.
model::Dataset era5() {
  model::Dataset d;
  d.uri = "era5.nc";
  d.dims = {{"time", 48}, {"latitude", 10}, {"longitude", 20}};
  d.variables = {variable("t2m", {"time", "latitude", "longitude"}, {48, 10, 20}, {1, 10, 20}),
                 variable("time", {"time"}, {48}, {48}), variable("latitude", {"latitude"}, {10}, {10}),
                 variable("longitude", {"longitude"}, {20}, {20})};
  d.attributes = {{"title", model::AttrValue{std::string("ERA5"), std::nullopt}}};
  return d;
}

Result<JobArrays> build(const std::string& keys, const model::Dataset& dataset = era5()) {
  auto config = parse_config(R"({"source": "era5.nc", "store": "out.zarr")" + keys + "}", "job.json");
  if (!config.ok()) return config.error();
  std::map<std::string, std::vector<double>> coords;
  for (const auto& d : dataset.dims)
    for (model::Index i = 0; i < d.length; ++i) coords[d.name].push_back(static_cast<double>(i));
  return build_job_arrays(*config, dataset, coords);
}

const transform::OutputArray& array(const JobArrays& job, const std::string& name) {
  for (const auto& a : job.arrays)
    if (a.name == name) return a;
  throw std::runtime_error("no array " + name);
}

TEST(BuildJobArrays, DataArraysTakeTheChunksGivenAndDimensionCoordinatesAreOneChunk) {
  auto job = build(R"(, "chunks": {"time": 24})");
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(array(*job, "t2m").chunks, (model::Shape{24, 10, 20}));  // dims not named: the source chunk
  EXPECT_EQ(array(*job, "time").chunks, (model::Shape{48}));
  EXPECT_TRUE(array(*job, "time").is_coordinate);
  EXPECT_EQ(job->layouts().size(), job->arrays.size());
  EXPECT_EQ(job->metadata().size(), job->arrays.size());
}

TEST(BuildJobArrays, ChunksOfADimTheSourceLacksNameTheKeyAndTheDims) {
  auto job = build(R"(, "chunks": {"lat": 5})");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().code, ExitCode::kUsage);
  EXPECT_EQ(job.error().message, "chunks.lat: 'lat' is not a dimension of era5.nc (dims: time, latitude, longitude)");
}

TEST(BuildJobArrays, ARenameRenamesAndItsErrorNamesItsPlaceInTheJob) {
  auto job = build(R"(, "variables": {"t2m": [{"type": "rename", "new_name": "temp"}]})");
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(array(*job, "temp").source.name, "t2m");

  auto unknown = build(R"(, "preprocessors": [{"type": "rename", "var_id": "d2m", "new_name": "dew"}])");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message.rfind("preprocessors[0]: ", 0), 0u) << unknown.error().message;
}

TEST(BuildJobArrays, TheRootAttributesAreTheSourcesThenCacheLabelThenAddAttrs) {
  auto job = build(R"(, "cache_label": "_v1", "add_attrs": {"hash": "abc", "title": "mine"})");
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(job->group_attrs.at("cache_label"), "_v1");
  EXPECT_EQ(job->group_attrs.at("hash"), "abc");
  EXPECT_EQ(job->group_attrs.at("title"), "mine");  // add_attrs last: it wins over the source's

  auto plain = build("");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->group_attrs.at("title"), "ERA5");
  EXPECT_FALSE(plain->group_attrs.contains("cache_label"));
}

TEST(BuildJobArrays, ASelectionAcrossSourceChunksIsRecommendedAlignedBounds) {
  model::Dataset d = era5();
  d.variables[0].source_chunks = {12, 10, 20};
  auto aligned = build(R"(, "preprocessors": [{"type": "isel", "time": [0, 24]}])", d);
  ASSERT_TRUE(aligned.ok()) << aligned.error().message;
  EXPECT_TRUE(aligned->recommendations.empty());

  auto unaligned = build(R"(, "preprocessors": [{"type": "isel", "time": [5, 24]}])", d);
  ASSERT_TRUE(unaligned.ok()) << unaligned.error().message;
  ASSERT_FALSE(unaligned->recommendations.empty());
  EXPECT_EQ(array(*unaligned, "t2m").shape, (model::Shape{19, 10, 20}));
}

TEST(BuildJobArrays, ATiledArrayIsWrittenOneTilePerChunkAndRefusesChunksOfItsDims) {
  const std::string tiled = R"(, "preprocessors": [{"type": "tiled", "latitude": 5, "longitude": 10}])";
  auto job = build(tiled);
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_FALSE(job->coarse_arrays.empty());

  auto refused = build(tiled + R"(, "chunks": {"latitude": 5})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "chunks.latitude: a tiled array is written one tile per chunk; leave latitude out of \"chunks\"");
}

TEST(BuildJobArrays, AVariableNameZarrCannotHoldIsRefusedNamingIt) {
  model::Dataset d = era5();
  d.variables[0].name = ".zattrs";
  auto job = build("", d);
  ASSERT_FALSE(job.ok());
  EXPECT_NE(job.error().message.find("variable '.zattrs' cannot be written to Zarr"), std::string::npos)
      << job.error().message;
}

TEST(BuildJobArrays, ShardsAreChosenPerArrayAndACoordinateIsOneShard) {
  auto none = build(R"(, "zarr_format": 3)");
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(array(*none, "t2m").shards.empty());  // v3 without "shards": one file per chunk

  auto given = build(R"(, "zarr_format": 3, "chunks": {"time": 12}, "shards": {"time": 24})");
  ASSERT_TRUE(given.ok()) << given.error().message;
  EXPECT_EQ(array(*given, "t2m").shards, (model::Shape{24, 10, 20}));
  EXPECT_EQ(array(*given, "time").shards, (model::Shape{48}));  // one chunk, one shard
  EXPECT_EQ(array(*given, "latitude").shards, (model::Shape{10}));

  auto automatic = build(R"(, "zarr_format": 3, "shards": "auto")");
  ASSERT_TRUE(automatic.ok()) << automatic.error().message;
  EXPECT_EQ(array(*automatic, "t2m").shards, (model::Shape{48, 10, 20}));  // 38 kB: the whole array

  auto tiled = build(R"(, "zarr_format": 3, "shards": "auto",
                        "preprocessors": [{"type": "tiled", "latitude": 5, "longitude": 10}])");
  ASSERT_TRUE(tiled.ok()) << tiled.error().message;
  const auto& tiles = array(*tiled, "t2m");  // 38 kB of tiles: all in one shard
  ASSERT_EQ(tiles.shards.size(), tiles.shape.size());
  for (std::size_t d = 0; d < tiles.shape.size(); ++d) EXPECT_GE(tiles.shards[d], tiles.shape[d]) << d;
}

TEST(BuildJobArrays, ShardErrorsNameTheKeyTheDimAndTheChunk) {
  auto unknown = build(R"(, "zarr_format": 3, "shards": {"lat": 5})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ExitCode::kUsage);
  EXPECT_EQ(unknown.error().message,
            "shards.lat: 'lat' is not a dimension of era5.nc (dims: time, latitude, longitude)");
  auto uneven = build(R"(, "zarr_format": 3, "chunks": {"time": 24}, "shards": {"time": 36})");
  ASSERT_FALSE(uneven.ok());
  EXPECT_EQ(uneven.error().code, ExitCode::kUsage);
  EXPECT_EQ(uneven.error().message, "shards.time: 36 is not a multiple of the chunk 24 of array t2m along time");
}

}  // namespace
}  // namespace zpmpi::app
