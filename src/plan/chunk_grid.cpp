#include "chunk_grid.hpp"

#include <algorithm>
#include <numeric>

#include "zpmpi/model/dtype.hpp"

namespace zpmpi::plan::grid {

Index lcm_capped(Index a, Index b, Index cap) {
  const Index step = a / std::gcd(a, b);  // lcm = step * b
  if (step > cap / b) return cap;
  return std::min(step * b, cap);
}

Shape chunk_counts(const Shape& shape, const Shape& chunks) {
  Shape n(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d) n[d] = ceil_div(shape[d], chunks[d]);
  return n;
}

Shape chunks_per_unit(const ArrayPlan& a) {
  Shape n(a.unit.size());
  for (std::size_t d = 0; d < n.size(); ++d) n[d] = ceil_div(a.unit[d], a.layout.chunks[d]);
  return n;
}

Shape cells_per_unit(const ArrayPlan& a) {
  const Shape& cell = unit_cell(a.layout);
  Shape n(a.unit.size());
  for (std::size_t d = 0; d < n.size(); ++d) n[d] = ceil_div(a.unit[d], cell[d]);
  return n;
}

std::uint64_t file_count(const model::ArrayLayout& a) {
  const Shape& cell = unit_cell(a);
  std::uint64_t n = 1;
  for (std::size_t d = 0; d < a.shape.size(); ++d) n = sat_mul(n, ceil_div(a.shape[d], cell[d]));
  return n;
}

void set_units(ArrayPlan& a, const Shape& per_unit) {
  const std::size_t rank = a.layout.shape.size();
  a.unit.resize(rank);
  a.unit_grid.resize(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    // Capped at the dim length: a unit reaching the end covers the dim, partial cell included.
    const Index dim = std::max<Index>(a.layout.shape[d], 1);
    a.unit[d] = std::clamp<Index>(sat_mul(per_unit[d], unit_cell(a.layout)[d]), 1, dim);
    a.unit_grid[d] = ceil_div(a.layout.shape[d], a.unit[d]);
  }
}

Index num_units(const ArrayPlan& a) { return model::num_elements(a.unit_grid); }

std::uint64_t unit_bytes(const ArrayPlan& a, const Shape& index) {
  std::uint64_t n = model::dtype_size(a.layout.dtype);
  for (std::size_t d = 0; d < index.size(); ++d)
    n *= std::min(a.unit[d], a.layout.shape[d] - index[d] * a.unit[d]);
  return n;
}

void unravel(Index n, const Shape& grid, Shape& index) {
  index.resize(grid.size());
  for (std::size_t d = grid.size(); d-- > 0;) {
    index[d] = n % grid[d];
    n /= grid[d];
  }
}

bool next_index(Shape& index, const Shape& grid) {
  for (std::size_t d = grid.size(); d-- > 0;) {
    if (++index[d] < grid[d]) return true;
    index[d] = 0;
  }
  return false;
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
