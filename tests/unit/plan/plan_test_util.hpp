// Helpers of the plan tests: spec builders, and checks written independently of the
// planner's code (they recompute chunk grids, footprints and job bytes from scratch).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/dtype.hpp"
#include "zpmpi/plan/region_plan.hpp"

namespace zpmpi::plan::testing {

inline Index ceil_div(Index a, Index b) { return (a + b - 1) / b; }

/// An identity-mapped array whose source variable has the output's shape.
inline model::ArrayLayout spec(std::string name, Shape shape, Shape chunks, Shape source_chunks,
                      model::DType dtype = model::DType::f4) {
  model::ArrayLayout s;
  s.name = name;
  s.source.name = std::move(name);
  s.dtype = dtype;
  s.map = model::IndexMap::identity(shape);
  s.source.shape = shape;
  s.source.chunks = source_chunks;
  s.shape = std::move(shape);
  s.chunks = std::move(chunks);
  s.alignment = std::move(source_chunks);
  s.source.chunked = true;
  return s;
}

/// The same array read reversed along dim 0 (a non-identity map: reads are staged).
inline model::ArrayLayout reversed_spec(std::string name, Shape shape, Shape chunks, Shape source_chunks) {
  model::ArrayLayout s = spec(std::move(name), shape, std::move(chunks), std::move(source_chunks));
  s.map.dims[0].segments = {{0, shape[0], static_cast<std::int64_t>(shape[0]) - 1, -1}};
  return s;
}

/// The encoded size bound these tests plan with, standing for the codec's and the
/// source's (plan::OwnerBounds): n + n/128 + 1024, above zstd's and lz4's (saturating).
inline std::uint64_t max_encoded_size(std::uint64_t n) {
  const std::uint64_t extra = n / 128 + 1024;
  return n > UINT64_MAX - extra ? UINT64_MAX : n + extra;
}

/// Bounds as a codec and a source publish them: max_encoded_size above for both sizes,
/// 4 source chunks per decode.
inline OwnerBounds test_bounds() {
  OwnerBounds b;
  b.encoded_size = &max_encoded_size;
  b.stored_size = &max_encoded_size;
  b.decode_chunk_buffers = 4;
  return b;
}

inline PlanOptions opts(int jobs, int ranks, std::uint64_t memory = 2'000'000'000, int workers = 1) {
  PlanOptions o;
  o.bounds = test_bounds();
  o.num_jobs = jobs;
  o.num_ranks = ranks;
  o.memory_limit = memory;
  o.workers = workers;
  return o;
}

inline std::vector<Batch> all_batches(const RegionPlan& p) {
  std::vector<Batch> out;
  for (const auto& r : p.regions) for_each_batch(p, r, [&](const Batch& b) { out.push_back(b); });
  return out;
}

inline Index num_chunks(const model::ArrayLayout& s) {
  Index n = 1;
  for (std::size_t d = 0; d < s.shape.size(); ++d) n *= ceil_div(s.shape[d], s.chunks[d]);
  return n;
}

/// Bytes a batch really needs (its own element box): the bound the executor lives in.
inline std::uint64_t footprint_of(const model::ArrayLayout& s, const Batch& b, int workers) {
  const std::uint64_t esize = model::dtype_size(s.dtype);
  const std::uint64_t chunk = model::num_elements(s.chunks) * esize;
  const std::uint64_t copies = s.map.is_identity() ? 1 : 2;
  return copies * b.elements.num_elements() * esize + workers * (chunk + max_encoded_size(chunk));
}

/// The interior footprint of `batch` chunks per dim (what the planner sizes with).
inline std::uint64_t interior_footprint(const model::ArrayLayout& s, const Shape& batch, int workers) {
  const std::uint64_t esize = model::dtype_size(s.dtype);
  std::uint64_t hyper = esize * (s.map.is_identity() ? 1 : 2);
  for (std::size_t d = 0; d < batch.size(); ++d)
    hyper *= std::min(batch[d] * s.chunks[d], std::max<Index>(s.shape[d], 1));
  const std::uint64_t chunk = model::num_elements(s.chunks) * esize;
  return hyper + workers * (chunk + max_encoded_size(chunk));
}

/// Every output chunk of every array is in exactly one batch; each batch's element box is
/// its chunk box clipped to the shape, starting on a chunk boundary, inside one unit.
inline void expect_exact_cover(const RegionPlan& p) {
  std::vector<std::vector<int>> seen(p.arrays.size());
  for (std::size_t i = 0; i < p.arrays.size(); ++i) seen[i].assign(num_chunks(p.arrays[i].layout), 0);
  for (const auto& b : all_batches(p)) {
    const ArrayPlan& a = p.arrays[b.array];
    const model::ArrayLayout& s = a.layout;
    const std::size_t rank = s.shape.size();
    ASSERT_EQ(b.chunks.rank(), rank);
    ASSERT_EQ(b.elements.rank(), rank);
    for (std::size_t d = 0; d < rank; ++d) {
      ASSERT_GE(b.chunks.count[d], 1u);
      ASSERT_LE(b.chunks.count[d], a.batch_chunks[d]);
      EXPECT_EQ(b.elements.start[d], b.chunks.start[d] * s.chunks[d]);  // on a chunk boundary
      EXPECT_EQ(b.elements.count[d],
                std::min(b.chunks.count[d] * s.chunks[d], s.shape[d] - b.elements.start[d]));
      ASSERT_LE(b.elements.start[d] + b.elements.count[d], s.shape[d]);
      // Inside one unit: first and last element fall in the same unit.
      EXPECT_EQ(b.elements.start[d] / a.unit[d], (b.elements.start[d] + b.elements.count[d] - 1) / a.unit[d]);
    }
    // Linear chunk numbers of the batch's chunk box, by an odometer over it.
    Shape pos(rank, 0);
    for (Index n = 0; n < b.chunks.num_elements(); ++n) {
      Index linear = 0;
      for (std::size_t d = 0; d < rank; ++d)
        linear = linear * ceil_div(s.shape[d], s.chunks[d]) + b.chunks.start[d] + pos[d];
      ++seen[b.array][linear];
      for (std::size_t d = rank; d-- > 0;) {
        if (++pos[d] < b.chunks.count[d]) break;
        pos[d] = 0;
      }
    }
  }
  for (std::size_t i = 0; i < seen.size(); ++i)
    for (std::size_t c = 0; c < seen[i].size(); ++c)
      ASSERT_EQ(seen[i][c], 1) << "array " << p.arrays[i].layout.name << " chunk #" << c;
}

/// Bytes per job (jobs without regions have 0).
inline std::vector<std::uint64_t> job_bytes(const RegionPlan& p) {
  std::vector<std::uint64_t> bytes(static_cast<std::size_t>(p.options.num_jobs), 0);
  for (const auto& r : p.regions) bytes.at(static_cast<std::size_t>(r.job)) += r.bytes;
  return bytes;
}

/// Bytes of every unit, recomputed from the unit grid, in plan order.
inline std::vector<std::uint64_t> unit_bytes(const ArrayPlan& a) {
  std::vector<std::uint64_t> out;
  const std::size_t rank = a.layout.shape.size();
  const Index n = model::num_elements(a.unit_grid);
  for (Index u = 0; u < n; ++u) {
    Index rem = u;
    std::uint64_t bytes = model::dtype_size(a.layout.dtype);
    for (std::size_t d = rank; d-- > 0;) {
      const Index i = rem % a.unit_grid[d];
      rem /= a.unit_grid[d];
      bytes *= std::min(a.unit[d], a.layout.shape[d] - i * a.unit[d]);
    }
    out.push_back(bytes);
  }
  return out;
}

inline std::uint64_t max_unit_bytes(const RegionPlan& p) {
  std::uint64_t m = 0;
  for (const auto& a : p.arrays)
    for (std::uint64_t b : unit_bytes(a)) m = std::max(m, b);
  return m;
}

/// Structure every plan has: regions ordered by job then array (then unit), contiguous,
/// non-empty, bytes that match their units, rank = job % num_ranks, totals that add up.
inline void expect_well_formed(const RegionPlan& p) {
  std::uint64_t sum = 0, total = 0;
  for (const auto& a : p.arrays) total += model::num_elements(a.layout.shape) * model::dtype_size(a.layout.dtype);
  EXPECT_EQ(p.total_bytes, total);
  std::vector<Index> next_unit(p.arrays.size(), 0);
  std::vector<std::vector<std::uint64_t>> units_of(p.arrays.size());
  for (std::size_t i = 0; i < p.arrays.size(); ++i) units_of[i] = unit_bytes(p.arrays[i]);
  for (std::size_t i = 0; i < p.regions.size(); ++i) {
    const Region& r = p.regions[i];
    ASSERT_LT(r.array, p.arrays.size());
    ASSERT_LT(r.unit_begin, r.unit_end);
    EXPECT_EQ(r.unit_begin, next_unit[r.array]) << "units of an array are dealt out in order";
    next_unit[r.array] = r.unit_end;
    EXPECT_GE(r.job, 0);
    EXPECT_LT(r.job, p.options.num_jobs);
    EXPECT_EQ(r.rank, r.job % p.options.num_ranks);
    if (i > 0) {
      const Region& q = p.regions[i - 1];
      EXPECT_TRUE(q.job < r.job || (q.job == r.job && q.array < r.array)) << "region " << i;
    }
    const auto& units = units_of[r.array];
    std::uint64_t bytes = 0;
    for (Index u = r.unit_begin; u < r.unit_end; ++u) bytes += units.at(u);
    EXPECT_EQ(r.bytes, bytes);
    sum += r.bytes;
  }
  for (std::size_t i = 0; i < p.arrays.size(); ++i)
    EXPECT_EQ(next_unit[i], model::num_elements(p.arrays[i].unit_grid)) << "every unit is in a region";
  EXPECT_EQ(sum, p.total_bytes);
  std::uint64_t max_footprint = 0;
  for (const auto& a : p.arrays) max_footprint = std::max(max_footprint, a.batch_footprint);
  EXPECT_EQ(p.max_batch_footprint, max_footprint);
}

}  // namespace zpmpi::plan::testing
