// Batches: how many output chunks of a unit one rank holds in memory at once.
#include <algorithm>

#include "chunk_grid.hpp"
#include "planner_steps.hpp"
#include "zpmpi/model/bytes.hpp"
#include "zpmpi/model/dtype.hpp"

namespace zpmpi::plan {

namespace {

std::uint64_t source_chunk_bytes(const model::ArrayLayout& s) {
  std::uint64_t bytes = model::dtype_size(s.read_dtype());
  for (Index c : s.source.chunks) bytes = grid::sat_mul(bytes, c);
  return bytes;
}

}  // namespace

namespace steps {
namespace {

/// Elements along d of `batch` chunks, clipped to the dim (the interior case: the largest).
Index extent(const model::ArrayLayout& s, const Shape& batch, std::size_t d) {
  return std::min(grid::sat_mul(batch[d], s.chunks[d]), std::max<Index>(s.shape[d], 1));
}

/// Staged reads hold the hyperslab twice (see batch_footprint).
std::uint64_t copies(const model::ArrayLayout& s) { return s.map.is_identity() ? 1 : 2; }

/// The source's decode buffers of a compressed array: options.bounds.decode_chunk_buffers
/// source chunks (HDF5's on the reading thread, or each worker's when zpmpi decodes on the
/// workers); 0 for an uncompressed one.
std::uint64_t decode_bytes(const model::ArrayLayout& s, const PlanOptions& options) {
  if (!s.source.compressed) return 0;
  std::uint64_t decode = grid::sat_mul(options.bounds.decode_chunk_buffers, model::dtype_size(s.read_dtype()));
  decode = grid::sat_mul(decode, static_cast<std::uint64_t>(s.source.decoded_on_workers ? options.workers : 1));
  for (Index c : s.source.chunks) decode = grid::sat_mul(decode, c);
  return decode;
}

/// Bytes that do not depend on the batch: per worker, one padded chunk and its encoding
/// (the codec's bound); the source's decode buffers.
std::uint64_t worker_bytes(const model::ArrayLayout& s, const PlanOptions& options) {
  std::uint64_t chunk = model::dtype_size(s.dtype);
  for (Index c : s.chunks) chunk = grid::sat_mul(chunk, c);
  // A value stage converts row by row into the chunk (in the output dtype: float16 halves
  // it), a strided row first gathered in the read type (exec/value_transforms.hpp).
  const std::uint64_t gathered =
      s.values ? grid::sat_mul(model::max_row_length(s.chunks), model::dtype_size(s.read_dtype())) : 0;
  const std::uint64_t encoded = options.bounds.encoded_size(chunk);
  return grid::sat_add(decode_bytes(s, options),
                       grid::sat_mul(static_cast<std::uint64_t>(options.workers),
                                     grid::sat_add(grid::sat_add(chunk, gathered), encoded)));
}

/// copies * read dtype size * the elements of `batch` along every dim except `skip` (the
/// hyperslab holds source elements: a packed short decoded to float32 reads 2 bytes each).
std::uint64_t hyperslab_bytes_without(const model::ArrayLayout& s, const Shape& batch, std::size_t skip) {
  std::uint64_t bytes = copies(s) * model::dtype_size(s.read_dtype());
  for (std::size_t d = 0; d < batch.size(); ++d)
    if (d != skip && !s.map.new_dim(d)) bytes = grid::sat_mul(bytes, extent(s, batch, d));  // a new dim is not read
  return bytes;
}

}  // namespace

std::uint64_t batch_footprint(const model::ArrayLayout& s, const Shape& batch, const PlanOptions& options) {
  return grid::sat_add(hyperslab_bytes_without(s, batch, batch.size()), worker_bytes(s, options));
}

namespace {

/// The memory a batch may use: memory_limit, or for an uncompressed source no more than
/// kPreferredBatchBytes (unless one chunk alone needs more). Such a source reads any part
/// of its chunks at the same cost per byte, so a bigger batch buys nothing but resident
/// memory and first-touch page faults; a compressed one decodes whole source chunks, and
/// the largest batch that fits decodes each of them the fewest times.
std::uint64_t batch_limit(const model::ArrayLayout& s, const PlanOptions& options) {
  if (s.source.compressed) return options.memory_limit;
  const std::uint64_t one_chunk = batch_footprint(s, Shape(s.shape.size(), 1), options);
  return std::min(options.memory_limit, std::max(kPreferredBatchBytes, one_chunk));
}

}  // namespace

namespace {

/// The chunks of a batch before memory has its say: the unit's, but for a sharded array at
/// most the source-aligned cell a v2 unit would be (lcm(chunk, alignment) per dim). A unit of
/// whole shards (1 GiB with "auto") read as one batch holds the whole shard in memory and
/// leaves nothing to overlap; its batches still leave each shard complete within the unit.
Shape first_batch(const ArrayPlan& a) {
  Shape batch = grid::chunks_per_unit(a);
  const model::ArrayLayout& s = a.layout;
  if (s.shards.empty()) return batch;
  for (std::size_t d = 0; d < batch.size(); ++d) {
    const Index cell = grid::lcm_capped(s.chunks[d], s.alignment[d], std::max<Index>(s.shape[d], 1));
    batch[d] = std::min(batch[d], grid::ceil_div(cell, s.chunks[d]));
  }
  return batch;
}

}  // namespace

Status size_batches(ArrayPlan& a, const PlanOptions& options) {
  const model::ArrayLayout& s = a.layout;
  a.batch_chunks = first_batch(a);
  if (grid::num_units(a) == 0) {
    a.batch_footprint = 0;
    return {};
  }
  const std::uint64_t limit = batch_limit(s, options);
  Shape& batch = a.batch_chunks;
  const std::uint64_t fixed = worker_bytes(s, options);
  for (std::size_t d = 0; d < batch.size() && batch_footprint(s, batch, options) > limit; ++d) {
    if (s.map.new_dim(d)) continue;  // the hyperslab does not hold a new dim (expand_dims)
    // The footprint is fixed + per_element * extent(d) with the other dims held, so the
    // largest count along d that fits is one division away.
    const std::uint64_t per_element = hyperslab_bytes_without(s, batch, d);
    const std::uint64_t smallest = grid::sat_add(fixed, grid::sat_mul(per_element, extent(s, Shape(batch.size(), 1), d)));
    if (smallest > limit) {
      batch[d] = 1;  // even one chunk along d is too much: shrink the next dim too
      continue;
    }
    const Index room = (limit - fixed) / per_element;  // elements along d that fit
    batch[d] = std::clamp<Index>(room / s.chunks[d], 1, batch[d]);
    break;
  }
  a.batch_footprint = batch_footprint(s, batch, options);
  if (a.batch_footprint > limit)
    return usage_error(too_low_message(options, s, a.batch_footprint));
  a.batches_in_flight = 1;
  a.fetched_ahead = 0;
  if (options.workers > 1 && s.source.compressed && s.source.decoded_on_workers && s.map.is_identity()) {
    // Every batch in flight holds its stored chunks, fetched ahead: along a dim not read
    // whole, a box may straddle one source chunk more than its extent covers; each further
    // batch also holds its hyperslab.
    std::uint64_t chunks = 1;
    for (std::size_t d = 0; d < batch.size() && d < s.source.chunks.size(); ++d) {
      const Index c = std::max<Index>(s.source.chunks[d], 1), e = extent(s, batch, d);
      const Index along = (s.shape[d] + c - 1) / c;
      chunks = grid::sat_mul(chunks, e >= s.shape[d] ? along : std::min(along, (e + c - 1) / c + 1));
    }
    const std::uint64_t ahead = grid::sat_mul(chunks, options.bounds.stored_size(source_chunk_bytes(s)));
    const std::uint64_t slot = grid::sat_add(hyperslab_bytes_without(s, batch, batch.size()), ahead);
    const std::uint64_t spare = limit - a.batch_footprint;
    if (spare >= grid::sat_add(ahead, slot)) {
      const std::uint64_t more = std::min<std::uint64_t>(options.workers - 1, (spare - ahead) / slot);
      a.batches_in_flight = static_cast<int>(1 + more);
      a.fetched_ahead = ahead;
      a.batch_footprint = grid::sat_add(a.batch_footprint, grid::sat_add(ahead, grid::sat_mul(slot, more)));
    }
  }
  return {};
}

std::string too_low_message(const PlanOptions& options, const model::ArrayLayout& array, std::uint64_t need) {
  // Rounded up, so that the figure printed is always enough when passed back.
  const std::string head = "memory_limit " + model::format_bytes(options.memory_limit) + " is too low: ";
  if (!array.map.tile) return head + "one batch of array " + array.name + " needs " + model::format_bytes_up(need);
  PlanOptions one_worker = options;  // the figure of the reading thread's decode
  one_worker.workers = 1;
  const std::uint64_t decode = decode_bytes(array, one_worker);
  std::uint64_t tile = model::dtype_size(array.read_dtype());
  for (std::size_t d = 1; d < array.shape.size(); ++d) tile = grid::sat_mul(tile, array.shape[d]);
  return head + "one tile of array " + array.name + " needs " + model::format_bytes_up(need) + " (the tile of " +
         model::format_bytes_up(tile) + " twice, " + model::format_bytes_up(decode) +
         " for the source chunks being decoded, and the output chunk buffers)";
}

}  // namespace steps
}  // namespace zpmpi::plan
