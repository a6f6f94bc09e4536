#include "zpmpi/model/array_layout.hpp"

namespace zpmpi::model {

Shape ArrayLayout::chunk_grid() const {
  Shape grid(shape.size());
  for (std::size_t d = 0; d < grid.size(); ++d) grid[d] = chunks[d] ? (shape[d] + chunks[d] - 1) / chunks[d] : 0;
  return grid;
}

Shape ArrayLayout::store_chunk_index(const Shape& index) const {
  Shape at = index;
  if (placement && placement->axis < at.size()) at[placement->axis] += placement->chunk_offset;
  return at;
}

Shape ArrayLayout::store_chunk_grid() const { return store_chunk_index(chunk_grid()); }

std::size_t ArrayLayout::source_dim_of(std::size_t d) const {
  if (map.transposed() && d < map.order.size()) d = map.order[d];  // output dim -> stored dim
  std::size_t seen = 0;
  for (std::size_t s = 0; s < map.dims.size(); ++s) {
    if (map.dims[s].fixed) continue;
    if (seen++ == d) return s;
  }
  return map.dims.size();  // no such output dim
}

}  // namespace zpmpi::model
