// The shard shape of an array: see shard_choice.hpp.
#include "zpmpi/plan/shard_choice.hpp"

#include <algorithm>
#include <string>

#include "chunk_grid.hpp"
#include "zpmpi/model/dtype.hpp"

namespace zpmpi::plan {
namespace {

using model::Index;
using model::Shape;

/// Chunks along d: ceil(shape / chunk), at least 1 (a zero-length dim has one chunk).
Index chunks_along(const model::ArrayLayout& a, std::size_t d) {
  return std::max<Index>(grid::ceil_div(a.shape[d], a.chunks[d]), 1);
}

/// Bytes of a shard of `per_shard` chunks, clipped to the shape, leaving out dim `skip`
/// (rank: none); saturating.
std::uint64_t bytes_without(const model::ArrayLayout& a, const Shape& per_shard, std::size_t skip) {
  std::uint64_t bytes = model::dtype_size(a.dtype);
  for (std::size_t d = 0; d < per_shard.size(); ++d)
    if (d != skip)
      bytes = grid::sat_mul(bytes, std::min(grid::sat_mul(per_shard[d], a.chunks[d]), std::max<Index>(a.shape[d], 1)));
  return bytes;
}

/// Chunks per step along d: a whole block of source chunks (lcm(chunk, alignment), capped
/// at the dim) when the source stores chunks decoded whole and d reads the source; else 1.
Index aligned_step(const model::ArrayLayout& a, std::size_t d) {
  if (!a.source.chunked || a.map.new_dim(d)) return 1;
  const Index n = chunks_along(a, d);
  return grid::lcm_capped(a.chunks[d], a.alignment[d], grid::sat_mul(n, a.chunks[d])) / a.chunks[d];
}

/// "auto" along d with the other dims as in `per_shard`: the whole dim when it fits (then
/// `whole_dim` is set), else the most whole steps within `target`, at least one step.
Index auto_chunks(const model::ArrayLayout& a, const Shape& per_shard, std::size_t d, std::uint64_t target,
                  bool& whole_dim) {
  const Index n = chunks_along(a, d);
  const std::uint64_t others = bytes_without(a, per_shard, d);
  whole_dim = grid::sat_mul(others, std::max<Index>(a.shape[d], 1)) <= target;
  if (whole_dim) return n;
  const Index fit = target / others / a.chunks[d];  // chunks within target (less than the dim)
  const Index step = aligned_step(a, d);
  return std::min(n, std::max(step, fit / step * step));
}

}  // namespace

Result<Shape> choose_shards(const model::ArrayLayout& array, const ShardRequest& request, bool whole,
                            std::uint64_t target_bytes) {
  const std::size_t rank = array.shape.size();
  Shape per_shard(rank, 1);  // in chunks
  std::vector<bool> automatic(rank, !whole && request.all_auto);
  for (std::size_t d = 0; d < rank && !whole; ++d) {
    const auto it = request.sizes.find(array.dims[d]);
    if (it == request.sizes.end()) continue;
    if (!it->second) {
      automatic[d] = true;
      continue;
    }
    const std::uint64_t size = *it->second;
    if (size == 0 || size % array.chunks[d] != 0)
      return usage_error("shards." + array.dims[d] + ": " + std::to_string(size) + " is not a multiple of the chunk " +
                         std::to_string(array.chunks[d]) + " of array " + array.name + " along " + array.dims[d]);
    per_shard[d] = std::min(size / array.chunks[d], chunks_along(array, d));
  }
  for (std::size_t d = 0; d < rank; ++d) {
    if (!automatic[d]) continue;
    bool whole_dim = false;
    per_shard[d] = auto_chunks(array, per_shard, d, target_bytes, whole_dim);
    if (!whole_dim) break;  // the shard is as large as it gets: inner dims keep one chunk
  }
  Shape shards(rank);
  for (std::size_t d = 0; d < rank; ++d) shards[d] = per_shard[d] * array.chunks[d];
  return shards;
}

}  // namespace zpmpi::plan
