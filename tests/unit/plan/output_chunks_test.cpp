// Output chunk choice: requested sizes, source chunks along the source dim each output dim
// runs on (steps and reversals included), caps, and whole coordinates.
#include "zpmpi/plan/output_chunks.hpp"

#include <gtest/gtest.h>

namespace zpmpi::plan {
namespace {

using model::Shape;

/// t(time 10, latitude 7, longitude 71) in source chunks (7, 10, 16) (capped by netCDF to
/// the dims), with the given map.
model::ArrayLayout t(model::IndexMap map) {
  model::ArrayLayout a;
  a.name = "t";
  a.source = {"t", {"time", "latitude", "longitude"}, {10, 7, 71}, {7, 10, 16}, true, true};
  for (std::size_t d = 0; d < 3; ++d)
    if (!map.dims[d].fixed) a.dims.push_back(a.source.dims[d]);
  a.shape = map.output_shape();
  a.map = std::move(map);
  return a;
}

TEST(OutputChunks, SourceChunksCappedAtTheDims) {
  EXPECT_EQ(choose_output_chunks(t(model::IndexMap::identity({10, 7, 71})), {}, false), (Shape{7, 7, 16}));
}

TEST(OutputChunks, AStepKeepsTheSourceChunkNotOne) {
  // isel(longitude=slice(1, 70, 5)): 14 elements. This was [7, 7, 1] (the alignment extent
  // of a strided dim read as a chunk size).
  auto map = model::IndexMap::identity({10, 7, 71});
  map.dims[2].segments = {{0, 14, 1, 5}};
  EXPECT_EQ(choose_output_chunks(t(map), {}, false), (Shape{7, 7, 14}));
  map.dims[2].segments = {{0, 3, 70, -30}};  // [70, 40, 10]
  EXPECT_EQ(choose_output_chunks(t(map), {}, false), (Shape{7, 7, 3}));
}

TEST(OutputChunks, ADroppedDimShiftsTheSourceDims) {
  auto map = model::IndexMap::identity({10, 7, 71});
  map.dims[0] = model::DimMap::at(4);
  EXPECT_EQ(choose_output_chunks(t(map), {}, false), (Shape{7, 16}));
  EXPECT_EQ(choose_output_chunks(t(map), {{"longitude", 5}, {"time", 2}}, false), (Shape{7, 5}));
}

TEST(OutputChunks, RequestedSizesAreCappedAndWholeIsOneChunk) {
  const auto a = t(model::IndexMap::identity({10, 7, 71}));
  EXPECT_EQ(choose_output_chunks(a, {{"time", 4}, {"latitude", 100}}, false), (Shape{4, 7, 16}));
  EXPECT_EQ(choose_output_chunks(a, {{"time", 4}}, true), (Shape{10, 7, 71}));
}

TEST(OutputChunks, ZeroLengthAndScalar) {
  auto map = model::IndexMap::identity({0, 7, 71});
  auto a = t(map);
  a.source.shape = {0, 7, 71};
  EXPECT_EQ(choose_output_chunks(a, {}, false), (Shape{1, 7, 16}));
  model::ArrayLayout scalar;
  EXPECT_EQ(choose_output_chunks(scalar, {}, false), Shape{});
}

}  // namespace
}  // namespace zpmpi::plan

namespace zpmpi::plan {
namespace {

TEST(OutputChunks, ATiledArrayIsOneTilePerChunk) {
  // time 10 by 4 (pad: 3 tiles), longitude 71 by 16 (5 tiles), latitude untiled.
  auto map = model::IndexMap::identity({10, 7, 71});
  map.tile = model::TileStage{{3, 5}, {0, -1, 1}, {4, 0, 16}};
  auto a = t(model::IndexMap::identity({10, 7, 71}));
  a.map = map;
  a.shape = map.output_shape();
  a.dims = {"batch_dim", "time_fine", "latitude", "longitude_fine"};
  EXPECT_EQ(a.shape, (Shape{15, 4, 7, 16}));
  EXPECT_EQ(choose_output_chunks(a, {}, false), (Shape{1, 4, 7, 16}));
  EXPECT_EQ(choose_output_chunks(a, {{"latitude", 2}}, false), (Shape{1, 4, 7, 16}));
  EXPECT_EQ(choose_output_chunks(a, {}, true), (Shape{15, 4, 7, 16}));  // a tiled coordinate
}

}  // namespace
}  // namespace zpmpi::plan
