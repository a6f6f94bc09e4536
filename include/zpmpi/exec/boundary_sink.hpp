// Append mode's chunk sink in front of the store's (chunk_sink.hpp): the chunks of a
// boundary part (model::StorePlacement::kept > 0) hold only the new rows of the store's
// partly filled last chunk along the append dim. Each is merged here with the rows the
// store's chunk already holds - read from the old store, which the run never writes - into
// a whole store chunk, which goes on to `inner` (StoreSink: encoded, written to the run's
// copy under a temporary name, renamed). Every other chunk passes through unchanged.
//
// Example: store chunks of 24 steps, 100 steps stored: the boundary part's chunk holds new
// steps 0..19 (20 rows); store chunk 4 is the old chunk's rows 0..3 and those 20 rows.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "zpmpi/exec/chunk_sink.hpp"
#include "zpmpi/exec/stored_chunk.hpp"

namespace zpmpi::exec {

class BoundarySink final : public ChunkSink {
 public:
  /// `old_store`: the store appended to; `arrays`: the plan's (each boundary part's store
  /// chunk layout is derived once); `inner` must outlive the sink.
  BoundarySink(ChunkSink& inner, StoredChunks old_store, const std::vector<model::ArrayLayout>& arrays, int workers);

  Status put(int worker, const AssembledChunk& chunk, Stats& stats) override;
  Status end_batch(const plan::Batch& batch) override { return inner_.end_batch(batch); }
  Status finish() override { return inner_.finish(); }
  std::uint64_t buffer_bytes(int worker) const override;

 private:
  struct Lane {
    std::unique_ptr<codec::Codec> codec;
    std::vector<std::byte> encoded, old, merged;
  };
  ChunkSink& inner_;
  StoredChunks old_;
  /// Per boundary part (by name): the store's chunk as a layout (chunks along the axis
  /// grown by `kept`, kept 0), which inner_ writes.
  std::map<std::string, model::ArrayLayout> store_chunk_;
  std::vector<Lane> lanes_;
};

/// Rows [0, kept) along `axis` of `old_chunk` followed by every row of `part_chunk`, into
/// `merged`: C-order chunks of `store_chunk` elements, the part's extent along `axis`
/// being store_chunk[axis] - kept; `esize` bytes per element. Pure; exposed for tests.
void merge_boundary_rows(const model::Shape& store_chunk, std::size_t axis, model::Index kept, std::size_t esize,
                         std::span<const std::byte> old_chunk, std::span<const std::byte> part_chunk,
                         std::span<std::byte> merged);

}  // namespace zpmpi::exec
