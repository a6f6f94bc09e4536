#include "zpmpi/exec/boundary_sink.hpp"

#include <algorithm>
#include <cstring>

#include "zpmpi/model/chunk_assembly.hpp"

namespace zpmpi::exec {

BoundarySink::BoundarySink(ChunkSink& inner, StoredChunks old_store, const std::vector<model::ArrayLayout>& arrays,
                           int workers)
    : inner_(inner), old_(std::move(old_store)), lanes_(static_cast<std::size_t>(std::max(workers, 1))) {
  for (const model::ArrayLayout& a : arrays) {
    if (!a.placement || a.placement->kept == 0) continue;
    const model::StorePlacement& p = *a.placement;
    Unit u{a, a.chunks, model::Shape(a.chunks.size(), 1)};
    u.shape[p.axis] += p.kept;
    u.store.shape[p.axis] += p.kept;  // from the unit's first row
    u.store.chunks = p.store_chunks.empty() ? u.shape : p.store_chunks;
    u.store.shards = p.store_chunks.empty() ? model::Shape{} : u.shape;
    for (std::size_t d = 0; d < u.shape.size(); ++d) u.chunks[d] = u.shape[d] / u.store.chunks[d];
    u.store.placement = model::StorePlacement{p.axis, p.origin, p.chunk_offset * u.chunks[p.axis], 0};
    units_.emplace(a.name, std::move(u));
  }
  for (Lane& lane : lanes_) lane.codec = codec::make_codec(old_.codec);
}

/// The unit's chunks that hold kept rows, read back from the old store into lane.unit.
Status BoundarySink::load_kept_rows(Lane& lane, const Unit& u, const model::Shape& first, model::Index kept) {
  const std::size_t axis = u.store.placement->axis, esize = model::dtype_size(u.store.dtype);
  const model::Box chunks{model::Shape(u.chunks.size(), 0), u.chunks};
  for (std::uint64_t n = 0; n < model::num_elements(u.chunks); ++n) {
    const model::Shape k = model::nth_index(chunks, n);
    if (k[axis] * u.store.chunks[axis] >= kept) continue;
    model::Shape index = first, at(k.size());
    for (std::size_t d = 0; d < k.size(); ++d) index[d] += k[d], at[d] = k[d] * u.store.chunks[d];
    ZPMPI_RETURN_IF_ERROR(load_stored_chunk(old_, *lane.codec, u.store, u.store.store_chunk_index(index), true,
                                            "append: the last chunk of " + u.store.name + " in the store",
                                            lane.encoded, lane.old));
    model::copy_box(lane.old.data(), u.store.chunks, model::Shape(k.size(), 0), lane.unit.data(), u.shape, at,
                    u.store.chunks, esize);
  }
  return {};
}

/// Every chunk of the unit inside the array goes on to the store's sink.
Status BoundarySink::put_unit_chunks(int worker, Lane& lane, const Unit& u, const model::Shape& first, Stats& stats) {
  const std::size_t esize = model::dtype_size(u.store.dtype);
  const model::Shape grid = u.store.chunk_grid();
  const model::Box chunks{model::Shape(u.chunks.size(), 0), u.chunks};
  lane.chunk.resize(model::num_elements(u.store.chunks) * esize);
  for (std::uint64_t n = 0; n < model::num_elements(u.chunks); ++n) {
    const model::Shape k = model::nth_index(chunks, n);
    model::Shape index = first, at(k.size());
    bool inside = true;
    for (std::size_t d = 0; d < k.size(); ++d) {
      index[d] += k[d], at[d] = k[d] * u.store.chunks[d];
      inside = inside && index[d] < grid[d];
    }
    if (!inside) continue;  // past the array's edge: a shard does not hold it
    model::copy_box(lane.unit.data(), u.shape, at, lane.chunk.data(), u.store.chunks, model::Shape(k.size(), 0),
                    u.store.chunks, esize);
    ZPMPI_RETURN_IF_ERROR(inner_.put(worker, AssembledChunk{u.store, index, lane.chunk}, stats));
  }
  return {};
}

Status BoundarySink::put(int worker, const AssembledChunk& chunk, Stats& stats) {
  const auto it = chunk.array.placement && chunk.array.placement->kept ? units_.find(chunk.array.name) : units_.end();
  if (it == units_.end()) return inner_.put(worker, chunk, stats);
  const Unit& u = it->second;
  Lane& lane = lanes_[static_cast<std::size_t>(worker)];
  const std::size_t axis = u.store.placement->axis, esize = model::dtype_size(u.store.dtype);
  const model::Index kept = chunk.array.placement->kept;
  lane.unit.resize(model::num_elements(u.shape) * esize);
  model::fill_elements(lane.unit.data(), model::num_elements(u.shape), u.store.dtype, u.store.fill_value);
  model::Shape first(u.chunks.size());  // the unit's first chunk in the store layout's grid
  for (std::size_t d = 0; d < first.size(); ++d) first[d] = d == axis ? 0 : chunk.index[d] * u.chunks[d];
  ZPMPI_RETURN_IF_ERROR(load_kept_rows(lane, u, first, kept));
  model::Shape at(u.shape.size(), 0);
  at[axis] = kept;
  model::copy_box(chunk.raw.data(), chunk.array.chunks, model::Shape(at.size(), 0), lane.unit.data(), u.shape, at,
                  chunk.array.chunks, esize);
  return put_unit_chunks(worker, lane, u, first, stats);
}

std::uint64_t BoundarySink::buffer_bytes(int worker) const {
  const Lane& lane = lanes_[static_cast<std::size_t>(worker)];
  return inner_.buffer_bytes(worker) + lane.encoded.capacity() + lane.old.capacity() + lane.unit.capacity() +
         lane.chunk.capacity();
}

}  // namespace zpmpi::exec
