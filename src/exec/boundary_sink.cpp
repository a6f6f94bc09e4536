#include "zpmpi/exec/boundary_sink.hpp"

#include <algorithm>
#include <cstring>

namespace zpmpi::exec {

void merge_boundary_rows(const model::Shape& store_chunk, std::size_t axis, model::Index kept, std::size_t esize,
                         std::span<const std::byte> old_chunk, std::span<const std::byte> part_chunk,
                         std::span<std::byte> merged) {
  std::size_t outer = 1, inner = esize;
  for (std::size_t d = 0; d < axis; ++d) outer *= store_chunk[d];
  for (std::size_t d = axis + 1; d < store_chunk.size(); ++d) inner *= store_chunk[d];
  const std::size_t rows = store_chunk[axis], fresh = rows - kept;
  for (std::size_t o = 0; o < outer; ++o) {
    std::byte* to = merged.data() + o * rows * inner;
    std::memcpy(to, old_chunk.data() + o * rows * inner, kept * inner);
    std::memcpy(to + kept * inner, part_chunk.data() + o * fresh * inner, fresh * inner);
  }
}

BoundarySink::BoundarySink(ChunkSink& inner, StoredChunks old_store, const std::vector<model::ArrayLayout>& arrays,
                           int workers)
    : inner_(inner), old_(std::move(old_store)), lanes_(static_cast<std::size_t>(std::max(workers, 1))) {
  for (const model::ArrayLayout& a : arrays) {
    if (!a.placement || a.placement->kept == 0) continue;
    model::ArrayLayout store = a;
    store.chunks[a.placement->axis] += a.placement->kept;
    store.placement->kept = 0;
    store_chunk_.emplace(a.name, std::move(store));
  }
  for (Lane& lane : lanes_) lane.codec = codec::make_codec(old_.codec);
}

Status BoundarySink::put(int worker, const AssembledChunk& chunk, Stats& stats) {
  const auto it = chunk.array.placement && chunk.array.placement->kept ? store_chunk_.find(chunk.array.name)
                                                                       : store_chunk_.end();
  if (it == store_chunk_.end()) return inner_.put(worker, chunk, stats);
  const model::ArrayLayout& store = it->second;
  Lane& lane = lanes_[static_cast<std::size_t>(worker)];
  ZPMPI_RETURN_IF_ERROR(load_stored_chunk(old_, *lane.codec, store, store.store_chunk_index(chunk.index), true,
                                          "append: the last chunk of " + store.name + " in the store", lane.encoded,
                                          lane.old));
  lane.merged.resize(lane.old.size());
  merge_boundary_rows(store.chunks, store.placement->axis, chunk.array.placement->kept,
                      model::dtype_size(store.dtype), lane.old, chunk.raw, lane.merged);
  return inner_.put(worker, AssembledChunk{store, chunk.index, lane.merged}, stats);
}

std::uint64_t BoundarySink::buffer_bytes(int worker) const {
  const Lane& lane = lanes_[static_cast<std::size_t>(worker)];
  return inner_.buffer_bytes(worker) + lane.encoded.capacity() + lane.old.capacity() + lane.merged.capacity();
}

}  // namespace zpmpi::exec
