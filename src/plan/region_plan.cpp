// make_plan runs the stages of planner_steps.hpp; for_each_batch and regions_of_rank
// read a finished plan (on every rank, after the broadcast).
#include "zpmpi/plan/region_plan.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include "chunk_grid.hpp"
#include "planner_steps.hpp"
#include "zpmpi/model/dtype.hpp"

namespace zpmpi::plan {

Result<RegionPlan> make_plan(std::vector<model::ArrayLayout> arrays, const PlanOptions& options,
                             const StopCheck& stop) {
  ZPMPI_RETURN_IF_ERROR(steps::validate(arrays, options));
  if (!options.bounds.encoded_size || !options.bounds.stored_size)
    return runtime_error("plan: the codec's and the source's bounds are not set (PlanOptions::bounds)");
  RegionPlan plan;
  plan.options = options;
  plan.arrays.reserve(arrays.size());
  for (model::ArrayLayout& spec : arrays) {
    plan.total_bytes += model::num_elements(spec.shape) * model::dtype_size(spec.dtype);
    plan.arrays.push_back(steps::aligned_units(std::move(spec)));
  }
  steps::narrow_units(plan.arrays, static_cast<Index>(options.num_jobs), plan.total_bytes);
  // Every array is sized before failing, so the message names the largest need: one
  // retry with that figure is enough.
  const ArrayPlan* worst = nullptr;
  for (ArrayPlan& a : plan.arrays) {
    if (!steps::size_batches(a, options).ok() && (!worst || a.batch_footprint > worst->batch_footprint)) worst = &a;
    plan.max_batch_footprint = std::max(plan.max_batch_footprint, a.batch_footprint);
  }
  if (worst) return usage_error(steps::too_low_message(options, worst->layout, worst->batch_footprint));
  ZPMPI_ASSIGN_OR_RETURN(plan.regions, steps::balance(plan.arrays, options, plan.total_bytes, stop));
  return plan;
}

void for_each_batch(const RegionPlan& plan, const Region& region, const std::function<void(const Batch&)>& fn) {
  for_each_batch_while(plan, region, [&](const Batch& b) {
    fn(b);
    return true;
  });
}

bool for_each_batch_while(const RegionPlan& plan, const Region& region, const std::function<bool(const Batch&)>& fn) {
  const ArrayPlan& a = plan.arrays[region.array];
  const model::ArrayLayout& s = a.layout;
  const std::size_t rank = s.shape.size();
  const Shape counts = grid::chunk_counts(s.shape, s.chunks);
  const Shape per_unit = grid::chunks_per_unit(a);
  Shape unit_index, batch_index(rank), unit_start(rank), unit_count(rank), batch_grid(rank);
  Batch batch{region.array, {Shape(rank), Shape(rank)}, {}};
  for (Index u = region.unit_begin; u < region.unit_end; ++u) {
    grid::unravel(u, a.unit_grid, unit_index);
    for (std::size_t d = 0; d < rank; ++d) {
      unit_start[d] = unit_index[d] * per_unit[d];
      unit_count[d] = std::min(per_unit[d], counts[d] - unit_start[d]);
      batch_grid[d] = grid::ceil_div(unit_count[d], a.batch_chunks[d]);
    }
    std::fill(batch_index.begin(), batch_index.end(), 0);
    do {
      for (std::size_t d = 0; d < rank; ++d) {
        const Index offset = batch_index[d] * a.batch_chunks[d];
        batch.chunks.start[d] = unit_start[d] + offset;
        batch.chunks.count[d] = std::min(a.batch_chunks[d], unit_count[d] - offset);
      }
      batch.elements = grid::element_box(batch.chunks, s.shape, s.chunks);
      if (!fn(batch)) return false;
    } while (grid::next_index(batch_index, batch_grid));
  }
  return true;
}

Box unit_shards(const ArrayPlan& a, Index unit) {
  const model::ArrayLayout& s = a.layout;
  if (s.shards.empty()) return {};
  Shape index;
  grid::unravel(unit, a.unit_grid, index);
  Box box{Shape(index.size()), Shape(index.size())};
  for (std::size_t d = 0; d < index.size(); ++d) {
    const Index per_unit = grid::ceil_div(a.unit[d], s.shards[d]);
    box.start[d] = index[d] * per_unit;
    box.count[d] = std::min(per_unit, grid::ceil_div(s.shape[d], s.shards[d]) - box.start[d]);
  }
  return box;
}

std::vector<Region> regions_of_rank(const RegionPlan& plan, int rank) {
  std::vector<Region> mine;
  std::copy_if(plan.regions.begin(), plan.regions.end(), std::back_inserter(mine),
               [rank](const Region& r) { return r.rank == rank; });
  return mine;
}

}  // namespace zpmpi::plan
