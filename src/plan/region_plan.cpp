// make_plan, for_each_batch and regions_of_rank (the algorithm is in region_plan.hpp).
#include "zpmpi/plan/region_plan.hpp"

#include <algorithm>
#include <numeric>

#include "chunk_grid.hpp"
#include "zpmpi/model/bytes.hpp"

namespace zpmpi::plan {
namespace {

using grid::ceil_div;

/// lcm(a, b), or `cap` if it would exceed `cap` (so it never overflows).
Index lcm_capped(Index a, Index b, Index cap) {
  const Index step = a / std::gcd(a, b);
  if (step > cap / b) return cap;
  return std::min(step * b, cap);
}

Status validate(const ArraySpec& a) {
  const std::size_t rank = a.shape.size();
  if (a.chunks.size() != rank || a.source_chunks.size() != rank || a.map.output_rank() != rank ||
      a.source_var_shape.size() != a.map.dims.size() || a.source_var_chunks.size() != a.map.dims.size())
    return usage_error("array " + a.name + ": shape, chunks, source chunks and map differ in rank");
  for (std::size_t d = 0; d < rank; ++d)
    if (a.chunks[d] == 0 || a.source_chunks[d] == 0)
      return usage_error("array " + a.name + ": chunk sizes must be positive");
  return {};
}

/// Uncompressed bytes of the elements of the unit at `index` (clipped to the shape).
std::uint64_t unit_bytes(const ArrayPlan& a, const Shape& index) {
  std::uint64_t n = model::dtype_size(a.spec.dtype);
  for (std::size_t d = 0; d < index.size(); ++d)
    n *= std::min(a.unit[d], a.spec.shape[d] - index[d] * a.unit[d]);
  return n;
}

Index num_units(const ArrayPlan& a) { return model::num_elements(a.unit_grid); }

void set_unit(ArrayPlan& a, const Shape& unit_chunks) {
  const std::size_t rank = a.spec.shape.size();
  a.unit.resize(rank);
  a.unit_grid.resize(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    a.unit[d] = unit_chunks[d] * a.spec.chunks[d];
    a.unit_grid[d] = ceil_div(a.spec.shape[d], a.unit[d]);
  }
}

/// Footprint of a batch of `batch` chunks: hyperslab (twice when reads are staged through a
/// second buffer to be reversed or reassembled) + per worker a chunk and its encoding.
std::uint64_t footprint(const ArraySpec& s, const Shape& batch, int workers) {
  const std::uint64_t esize = model::dtype_size(s.dtype);
  std::uint64_t hyper = esize, chunk = esize;
  for (std::size_t d = 0; d < batch.size(); ++d) {
    hyper *= std::min(batch[d] * s.chunks[d], std::max<Index>(s.shape[d], 1));
    chunk *= s.chunks[d];
  }
  const std::uint64_t copies = s.map.is_identity() ? 1 : 2;
  return copies * hyper + static_cast<std::uint64_t>(workers) * (chunk + max_encoded_size(chunk));
}

/// The largest batch inside a unit that fits the limit, shrinking outermost dims first.
Status size_batches(ArrayPlan& a, const PlanOptions& options) {
  const ArraySpec& s = a.spec;
  const std::size_t rank = s.shape.size();
  const Shape counts = grid::chunk_counts(s.shape, s.chunks);
  Shape batch(rank);
  for (std::size_t d = 0; d < rank; ++d) batch[d] = std::max<Index>(1, std::min(a.unit[d] / s.chunks[d], counts[d]));
  for (std::size_t d = 0; d < rank && footprint(s, batch, options.workers) > options.memory_limit; ++d) {
    // Largest count along d that fits, the inner dims as they are.
    Shape one = batch;
    one[d] = 1;
    const std::uint64_t fixed = footprint(s, one, options.workers);
    if (fixed > options.memory_limit) {
      batch[d] = 1;
      continue;
    }
    const std::uint64_t per_chunk = (fixed - (footprint(s, Shape(rank, 0), options.workers)));
    const std::uint64_t room = options.memory_limit - fixed;
    batch[d] = std::min<Index>(batch[d], 1 + (per_chunk ? room / per_chunk : batch[d]));
    while (batch[d] > 1 && footprint(s, batch, options.workers) > options.memory_limit) --batch[d];
  }
  a.batch_chunks = batch;
  a.batch_footprint = footprint(s, batch, options.workers);
  if (a.batch_footprint > options.memory_limit)
    return usage_error("memory_limit " + model::format_bytes(options.memory_limit) +
                       " is too low: one batch of array " + s.name + " needs " +
                       model::format_bytes(a.batch_footprint));
  return {};
}

/// Narrows units along output chunk boundaries until there are at least `jobs` of them.
void narrow_units(std::vector<ArrayPlan>& arrays, std::vector<Shape>& unit_chunks, Index jobs) {
  auto total = [&] {
    Index n = 0;
    for (const auto& a : arrays) n += num_units(a);
    return n;
  };
  while (total() < jobs) {
    // Narrow the array with the largest units, on its outermost dim with > 1 chunk per unit.
    std::size_t best = arrays.size();
    std::uint64_t best_bytes = 0;
    for (std::size_t i = 0; i < arrays.size(); ++i) {
      const auto& uc = unit_chunks[i];
      if (num_units(arrays[i]) == 0 || std::all_of(uc.begin(), uc.end(), [](Index c) { return c <= 1; })) continue;
      const std::uint64_t b = unit_bytes(arrays[i], Shape(uc.size(), 0));
      if (best == arrays.size() || b > best_bytes) {
        best = i;
        best_bytes = b;
      }
    }
    if (best == arrays.size()) return;
    auto& uc = unit_chunks[best];
    for (auto& c : uc) {
      if (c > 1) {
        c = ceil_div(c, 2);
        break;
      }
    }
    set_unit(arrays[best], uc);
  }
}

}  // namespace

std::uint64_t max_encoded_size(std::uint64_t n) {
  // Bounds ZSTD_compressBound (n + n/256 + 64) and 4 + LZ4_compressBound (n + n/255 + 20).
  return n + n / 128 + 1024;
}

Result<RegionPlan> make_plan(std::vector<ArraySpec> arrays, const PlanOptions& options) {
  if (options.num_jobs < 1) return usage_error("num_jobs must be at least 1");
  if (options.num_ranks < 1) return usage_error("the number of ranks must be at least 1");
  if (options.workers < 1) return usage_error("workers must be at least 1");
  RegionPlan plan;
  plan.options = options;

  std::vector<Shape> unit_chunks;
  for (auto& spec : arrays) {
    ZPMPI_RETURN_IF_ERROR(validate(spec));
    ArrayPlan a;
    a.spec = std::move(spec);
    const std::size_t rank = a.spec.shape.size();
    Shape uc(rank);
    for (std::size_t d = 0; d < rank; ++d) {
      const Index chunk = a.spec.chunks[d];
      const Index whole = ceil_div(std::max<Index>(a.spec.shape[d], 1), chunk) * chunk;
      // A unit that would reach past the dim covers it whole.
      uc[d] = lcm_capped(chunk, a.spec.source_chunks[d], whole) / chunk;
    }
    set_unit(a, uc);
    unit_chunks.push_back(uc);
    plan.arrays.push_back(std::move(a));
  }
  narrow_units(plan.arrays, unit_chunks, static_cast<Index>(options.num_jobs));
  for (auto& a : plan.arrays) {
    ZPMPI_RETURN_IF_ERROR(size_batches(a, options));
    plan.max_batch_footprint = std::max(plan.max_batch_footprint, a.batch_footprint);
    plan.total_bytes += model::num_elements(a.spec.shape) * model::dtype_size(a.spec.dtype);
  }

  // Cut the sequence of units into num_jobs runs: a unit goes to the job its byte midpoint
  // falls in, so job sizes differ from total/num_jobs by at most one unit.
  const unsigned __int128 total = plan.total_bytes, jobs = static_cast<unsigned>(options.num_jobs);
  std::uint64_t cumulative = 0;
  Shape index;
  for (std::uint32_t ai = 0; ai < plan.arrays.size(); ++ai) {
    const ArrayPlan& a = plan.arrays[ai];
    const Index n = num_units(a);
    for (Index u = 0; u < n; ++u) {
      grid::unravel(u, a.unit_grid, index);
      const std::uint64_t bytes = unit_bytes(a, index);
      const unsigned __int128 mid = 2 * static_cast<unsigned __int128>(cumulative) + bytes;  // 2x midpoint
      int job = total == 0 ? 0 : static_cast<int>(std::min<unsigned __int128>(jobs - 1, mid * jobs / (2 * total)));
      cumulative += bytes;
      Region* last = plan.regions.empty() ? nullptr : &plan.regions.back();
      if (last && last->array == ai && last->job == job && last->unit_end == u) {
        last->unit_end = u + 1;
        last->bytes += bytes;
      } else {
        plan.regions.push_back(Region{ai, u, u + 1, job, job % options.num_ranks, bytes});
      }
    }
  }
  return plan;
}

void for_each_batch(const RegionPlan& plan, const Region& region, const std::function<void(const Batch&)>& fn) {
  const ArrayPlan& a = plan.arrays[region.array];
  const ArraySpec& s = a.spec;
  const std::size_t rank = s.shape.size();
  const Shape counts = grid::chunk_counts(s.shape, s.chunks);
  Shape unit_index, batch_index, unit_start(rank), unit_count(rank), batch_grid(rank);
  Batch batch{region.array, {Shape(rank), Shape(rank)}, {}};
  for (Index u = region.unit_begin; u < region.unit_end; ++u) {
    grid::unravel(u, a.unit_grid, unit_index);
    for (std::size_t d = 0; d < rank; ++d) {
      const Index per_unit = a.unit[d] / s.chunks[d];
      unit_start[d] = unit_index[d] * per_unit;
      unit_count[d] = std::min(per_unit, counts[d] - unit_start[d]);
      batch_grid[d] = ceil_div(unit_count[d], a.batch_chunks[d]);
    }
    const Index n = model::num_elements(batch_grid);
    for (Index b = 0; b < n; ++b) {
      grid::unravel(b, batch_grid, batch_index);
      for (std::size_t d = 0; d < rank; ++d) {
        const Index offset = batch_index[d] * a.batch_chunks[d];
        batch.chunks.start[d] = unit_start[d] + offset;
        batch.chunks.count[d] = std::min(a.batch_chunks[d], unit_count[d] - offset);
      }
      batch.elements = grid::element_box(batch.chunks, s.shape, s.chunks);
      fn(batch);
    }
  }
}

std::vector<Region> regions_of_rank(const RegionPlan& plan, int rank) {
  std::vector<Region> mine;
  for (const auto& r : plan.regions)
    if (r.rank == rank) mine.push_back(r);
  return mine;
}

}  // namespace zpmpi::plan
