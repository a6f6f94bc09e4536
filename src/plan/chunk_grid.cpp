#include "chunk_grid.hpp"

#include <algorithm>

namespace zpmpi::plan::grid {

Shape chunk_counts(const Shape& shape, const Shape& chunks) {
  Shape n(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d) n[d] = ceil_div(shape[d], chunks[d]);
  return n;
}

void unravel(Index n, const Shape& grid, Shape& index) {
  index.resize(grid.size());
  for (std::size_t d = grid.size(); d-- > 0;) {
    index[d] = n % grid[d];
    n /= grid[d];
  }
}

model::Box element_box(const model::Box& chunk_box, const Shape& shape, const Shape& chunks) {
  model::Box box{Shape(shape.size()), Shape(shape.size())};
  for (std::size_t d = 0; d < shape.size(); ++d) {
    box.start[d] = chunk_box.start[d] * chunks[d];
    box.count[d] = std::min(chunk_box.count[d] * chunks[d], shape[d] - box.start[d]);
  }
  return box;
}

}  // namespace zpmpi::plan::grid
