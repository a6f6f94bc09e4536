// Grid arithmetic shared by the planner's files: chunk counts, unit sizes, odometers.
#pragma once

#include <cstdint>

#include "zpmpi/model/box.hpp"

namespace zpmpi::plan::grid {

using model::Index;
using model::Shape;

inline Index ceil_div(Index a, Index b) { return (a + b - 1) / b; }

/// Output chunks per dim: ceil(shape / chunks).
Shape chunk_counts(const Shape& shape, const Shape& chunks);

/// C-order multi-index of linear position `n` in a grid of extents `grid`.
void unravel(Index n, const Shape& grid, Shape& index);

/// Elements of the box of `count` chunks at chunk `start`, clipped to `shape`.
model::Box element_box(const model::Box& chunk_box, const Shape& shape, const Shape& chunks);

}  // namespace zpmpi::plan::grid
