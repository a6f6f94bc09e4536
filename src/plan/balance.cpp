// Balancing: one pass over all units, O(total units), a few multiplications each.
#include "chunk_grid.hpp"
#include "planner_steps.hpp"

namespace zpmpi::plan::steps {

Result<std::vector<Region>> balance(const std::vector<ArrayPlan>& arrays, const PlanOptions& options,
                                    std::uint64_t total_bytes, const StopCheck& stop) {
  std::vector<Region> regions;
  using U128 = unsigned __int128;  // 2 * bytes * num_jobs needs up to 96 bits
  const U128 jobs = static_cast<unsigned>(options.num_jobs);
  const U128 twice_total = 2 * static_cast<U128>(total_bytes);
  std::uint64_t before = 0;  // bytes of all earlier units
  int job = 0;
  std::uint64_t until_check = kStopCheckEvery;
  for (std::uint32_t ai = 0; ai < arrays.size(); ++ai) {
    const ArrayPlan& a = arrays[ai];
    const Index n = grid::num_units(a);
    Shape index(a.unit_grid.size(), 0);
    for (Index u = 0; u < n; ++u, grid::next_index(index, a.unit_grid)) {
      if (stop && --until_check == 0) {
        until_check = kStopCheckEvery;
        ZPMPI_RETURN_IF_ERROR(stop());
      }
      const std::uint64_t bytes = grid::unit_bytes(a, index);
      // A unit belongs to the job its byte midpoint falls in: that puts the cut at
      // k * total / num_jobs on the unit boundary closest to it (ties: the earlier one).
      const U128 twice_mid = 2 * static_cast<U128>(before) + bytes;
      while (job + 1 < options.num_jobs && twice_mid * jobs >= twice_total * static_cast<U128>(job + 1)) ++job;
      before += bytes;
      if (!regions.empty() && regions.back().array == ai && regions.back().job == job) {
        regions.back().unit_end = u + 1;
        regions.back().bytes += bytes;
      } else {
        regions.push_back(Region{ai, u, u + 1, job, job % options.num_ranks, bytes});
      }
    }
  }
  return regions;
}

}  // namespace zpmpi::plan::steps
