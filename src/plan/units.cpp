// Units: the boxes that are planned as a whole. Aligned to lcm(source chunk, output chunk)
// a unit decodes each of its source chunks once and writes each of its output chunks once;
// narrowing gives up that alignment (some source chunks are then decoded by two units)
// only when there would otherwise be idle or overloaded jobs. A sharded array's units are
// made of whole shards (grid::unit_cell), before and after narrowing.
#include <algorithm>
#include <queue>
#include <utility>

#include "chunk_grid.hpp"
#include "planner_steps.hpp"

namespace zpmpi::plan::steps {

ArrayPlan aligned_units(model::ArrayLayout spec) {
  ArrayPlan a;
  a.layout = std::move(spec);
  const std::size_t rank = a.layout.shape.size();
  a.unit.resize(rank);
  a.unit_grid.resize(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    const Index dim = std::max<Index>(a.layout.shape[d], 1);
    a.unit[d] = grid::lcm_capped(grid::unit_cell(a.layout)[d], a.layout.alignment[d], dim);
    a.unit_grid[d] = grid::ceil_div(a.layout.shape[d], a.unit[d]);
  }
  return a;
}

void narrow_units(std::vector<ArrayPlan>& arrays, Index jobs, std::uint64_t total_bytes) {
  Index total = 0;
  for (const ArrayPlan& a : arrays) total = grid::sat_add(total, grid::num_units(a));

  // A unit bigger than a job's share (total_bytes / jobs) leaves some job short however the
  // cuts fall: one unit of a contiguous source's variable beside its three one-chunk
  // coordinates is 4 units for 4 ranks, and used to put the whole variable on one rank.
  // Counting units alone is not enough; their bytes decide.
  using U128 = unsigned __int128;
  auto over_share = [&](std::uint64_t unit) {
    return static_cast<U128>(unit) * static_cast<U128>(jobs) > static_cast<U128>(total_bytes);
  };

  // Largest units first (ties: the earlier array), so narrowing also evens out unit sizes.
  // Each round halves one array's chunks per unit along one dim, so there are at most
  // ~log2(chunks per unit) rounds per dim and array, each O(log arrays).
  using Entry = std::pair<std::uint64_t, std::size_t>;  // (full unit bytes, -index order)
  auto less = [](const Entry& x, const Entry& y) {
    return x.first != y.first ? x.first < y.first : x.second > y.second;
  };
  std::priority_queue<Entry, std::vector<Entry>, decltype(less)> queue(less);
  auto narrowable = [](const ArrayPlan& a) {
    const Shape per_unit = grid::cells_per_unit(a);
    return grid::num_units(a) > 0 && std::any_of(per_unit.begin(), per_unit.end(), [](Index c) { return c > 1; });
  };
  auto push = [&](std::size_t i) {
    if (narrowable(arrays[i])) queue.push({grid::unit_bytes(arrays[i], Shape(arrays[i].unit.size(), 0)), i});
  };
  for (std::size_t i = 0; i < arrays.size(); ++i) push(i);

  while (!queue.empty() && (total < jobs || over_share(queue.top().first))) {
    const std::size_t i = queue.top().second;
    queue.pop();
    ArrayPlan& a = arrays[i];
    Shape per_unit = grid::cells_per_unit(a);
    for (Index& c : per_unit) {
      if (c > 1) {
        c = grid::ceil_div(c, 2);
        break;
      }
    }
    total -= grid::num_units(a);
    grid::set_units(a, per_unit);
    total = grid::sat_add(total, grid::num_units(a));
    push(i);
  }
}

}  // namespace zpmpi::plan::steps
