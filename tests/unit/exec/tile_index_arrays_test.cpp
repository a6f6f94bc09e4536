// The "{dim}_coarse" coordinates: grid indices of each batch, as xarray's stacked MultiIndex
// levels (reset_index) hold them.
#include "zpmpi/exec/tile_index_arrays.hpp"

#include <gtest/gtest.h>

namespace zpmpi::exec {
namespace {

transform::CoarseIndexArray coarse(model::Shape grid, std::size_t axis) {
  transform::CoarseIndexArray c;
  c.axis = axis;
  c.array.map.tile = model::TileStage{std::move(grid), {}, {}};
  return c;
}

TEST(CoarseIndexValues, UnravelTheBatchIndexInCOrder) {
  // 2 time tiles x 2 latitude tiles x 3 longitude tiles.
  EXPECT_EQ(coarse_index_values(coarse({2, 2, 3}, 0)), (std::vector<std::int64_t>{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(coarse_index_values(coarse({2, 2, 3}, 1)), (std::vector<std::int64_t>{0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(coarse_index_values(coarse({2, 2, 3}, 2)), (std::vector<std::int64_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(coarse_index_values(coarse({5}, 0)), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  // Equal to TileStage::grid_index, the map the data follows.
  const auto c = coarse({3, 4, 2}, 1);
  const auto values = coarse_index_values(c);
  for (model::Index b = 0; b < values.size(); ++b)
    EXPECT_EQ(values[b], static_cast<std::int64_t>(c.array.map.tile->grid_index(b)[1]));
}

}  // namespace
}  // namespace zpmpi::exec
