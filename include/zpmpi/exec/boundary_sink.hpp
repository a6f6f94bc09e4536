// Append mode's chunk sink in front of the store's (chunk_sink.hpp): the chunks of a
// boundary part (model::StorePlacement::kept > 0) hold only the new rows of a unit of the
// store partly filled along the append dim - a chunk, or of a sharded array a shard, whose
// extent a boundary chunk has on the other dims. Each is merged here with the rows the
// unit already holds - read from the old store, which the run never writes - into the
// whole unit, whose chunks (one, or the shard's inner chunks) go on to `inner` (StoreSink:
// encoded, written to the run's copy under a temporary name, renamed; a shard once its
// last inner chunk is in). Every other chunk passes through unchanged.
//
// Example: store chunks of 24 steps, 100 steps stored: the boundary part's chunk holds new
// steps 0..19 (20 rows); store chunk 4 is the old chunk's rows 0..3 and those 20 rows.
// Sharded in shards of 48 steps (chunks of 24): the boundary chunk holds new steps 0..43,
// shard 2 is inner chunk 4 (old, read back and written again), and inner chunk 5 made
// of old rows 0..3 and new steps 0..19, then inner chunks 6 and 7 of new steps.
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
    std::vector<std::byte> encoded, old, unit, chunk;
  };
  /// A boundary part's unit as the store holds it.
  struct Unit {
    model::ArrayLayout store;  ///< its files' layout: the store's chunks and shards, from the unit's start
    model::Shape shape;        ///< elements of the unit (the part's chunk and the kept rows)
    model::Shape chunks;       ///< its chunks per dim (1 but for a shard)
  };
  Status load_kept_rows(Lane& lane, const Unit& unit, const model::Shape& first, model::Index kept);
  Status put_unit_chunks(int worker, Lane& lane, const Unit& unit, const model::Shape& first, Stats& stats);

  ChunkSink& inner_;
  StoredChunks old_;
  std::map<std::string, Unit> units_;  ///< per boundary part, by name
  std::vector<Lane> lanes_;
};

}  // namespace zpmpi::exec
