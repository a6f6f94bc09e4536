// Integer arithmetic the planner's files share: chunk and unit grids, C-order odometers,
// and saturating products. Everything is 64-bit; a product that would pass 2^64 saturates
// to UINT64_MAX, so an absurd size can only make a footprint "too big", never wrap to small.
#pragma once

#include <cstdint>
#include <limits>

#include "zpmpi/model/box.hpp"
#include "zpmpi/plan/region_plan.hpp"

namespace zpmpi::plan::grid {

using model::Index;
using model::Shape;

constexpr std::uint64_t kSaturated = std::numeric_limits<std::uint64_t>::max();

/// ceil(a / b) for b >= 1, without the overflow of (a + b - 1) / b.
inline Index ceil_div(Index a, Index b) { return a / b + (a % b != 0); }

/// a * b, or kSaturated when it does not fit.
inline std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kSaturated : r;
}

/// a + b, or kSaturated when it does not fit.
inline std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_add_overflow(a, b, &r) ? kSaturated : r;
}

/// lcm(a, b) for a, b >= 1, or `cap` when the lcm exceeds `cap` (so it never overflows).
Index lcm_capped(Index a, Index b, Index cap);

/// Output chunks per dim: ceil(shape / chunks).
Shape chunk_counts(const Shape& shape, const Shape& chunks);

/// Output chunks per unit along each dim: ceil(unit / chunks). A unit capped at the dim
/// length may end in a partial chunk, which it owns whole.
Shape chunks_per_unit(const ArrayPlan& a);

/// What units are made of: the shard of a sharded array, else the output chunk. A unit
/// holds whole cells, so no shard is ever split between units (and therefore ranks).
inline const Shape& unit_cell(const model::ArrayLayout& a) { return a.shards.empty() ? a.chunks : a.shards; }

/// Cells per unit along each dim: ceil(unit / cell).
Shape cells_per_unit(const ArrayPlan& a);

/// Files of the array: its shards when sharded, else its chunks: prod ceil(shape / cell),
/// saturating.
std::uint64_t file_count(const model::ArrayLayout& a);

/// Sets a.unit to `per_unit` cells per dim (capped at the dim length, at least 1) and
/// a.unit_grid to the number of units that cover the shape (0 along a zero-length dim).
void set_units(ArrayPlan& a, const Shape& per_unit);

/// Number of units of the array (1 for a rank-0 array, 0 when a dim is empty).
Index num_units(const ArrayPlan& a);

/// Uncompressed bytes of the unit at multi-index `index`, clipped to the shape.
std::uint64_t unit_bytes(const ArrayPlan& a, const Shape& index);

/// C-order multi-index of linear position `n` in a grid of extents `grid`.
void unravel(Index n, const Shape& grid, Shape& index);

/// Advances `index` to the next C-order position in `grid`; false after the last one.
bool next_index(Shape& index, const Shape& grid);

/// The elements of the box of chunks `chunk_box`, clipped to `shape`.
model::Box element_box(const model::Box& chunk_box, const Shape& shape, const Shape& chunks);

}  // namespace zpmpi::plan::grid
