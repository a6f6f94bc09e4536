// The run's chunk sink (chunk_sink.hpp): each chunk is encoded with the job's codec and
// written to its own file, <store>/<array>/<key> (key: zarr::chunk_file_key of the store's
// format), atomically (zarr/store.hpp's write_chunk: a temporary name, then rename, synced
// first with the config's "fsync"), so that a chunk file that exists is complete. Each
// worker has its own codec (zstd keeps a context) and encoded buffer, so puts share
// nothing but the progress counters.
//
// The chunks of a sharded array (Zarr v3, ArrayLayout::shards) are inner chunks instead:
// appended to their shard's file, which is renamed into place once its last chunk is in
// (src/exec/open_shards.hpp); one entirely of fill is counted but not stored.
#pragma once

#include <memory>
#include <vector>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/exec/chunk_sink.hpp"
#include "zpmpi/exec/executor.hpp"
#include "zpmpi/model/byte_buffer.hpp"

namespace zpmpi::exec {

class OpenShards;

class StoreSink final : public ChunkSink {
 public:
  /// Writes into options.store with options.codec, for worker numbers 0 .. workers - 1,
  /// with the options' fsync, progress counters and test hooks (write delay, write fault).
  /// `options` must outlive the sink.
  StoreSink(const ExecOptions& options, int workers);
  ~StoreSink() override;

  /// Encodes and writes `chunk`; an encode error names the array, a write error the file.
  Status put(int worker, const AssembledChunk& chunk, Stats& stats) override;
  /// Every shard begun was finished (an internal error otherwise: a chunk never put).
  Status finish() override;
  std::uint64_t buffer_bytes(int worker) const override;

 private:
  struct Lane {  ///< what one worker's puts use
    std::unique_ptr<codec::Codec> codec;
    model::ByteBuffer encoded;
  };
  Status write(const AssembledChunk& chunk, std::span<const std::byte> encoded, bool fill);

  const ExecOptions& options_;
  std::vector<Lane> lanes_;
  std::unique_ptr<OpenShards> shards_;
};

}  // namespace zpmpi::exec
