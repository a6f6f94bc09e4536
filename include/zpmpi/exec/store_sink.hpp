// The run's chunk sink (chunk_sink.hpp): each chunk is encoded with the job's codec and
// written to its own file, <store>/<array>/<key>, atomically (zarr/store.hpp's
// write_chunk: a temporary name, then rename, synced first with the config's "fsync"), so
// that a chunk file that exists is complete. Each worker has its own codec (zstd keeps a
// context) and encoded buffer, so puts share nothing but the progress counters.
#pragma once

#include <memory>
#include <vector>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/exec/chunk_sink.hpp"
#include "zpmpi/exec/executor.hpp"
#include "zpmpi/model/byte_buffer.hpp"

namespace zpmpi::exec {

class StoreSink final : public ChunkSink {
 public:
  /// Writes into options.store with options.codec, for worker numbers 0 .. workers - 1,
  /// with the options' fsync, progress counters and test hooks (write delay, write fault).
  /// `options` must outlive the sink.
  StoreSink(const ExecOptions& options, int workers);

  /// Encodes and writes `chunk`; an encode error names the array, a write error the file.
  Status put(int worker, const AssembledChunk& chunk, Stats& stats) override;
  std::uint64_t buffer_bytes(int worker) const override;

 private:
  struct Lane {  ///< what one worker's puts use
    std::unique_ptr<codec::Codec> codec;
    model::ByteBuffer encoded;
  };
  const ExecOptions& options_;
  std::vector<Lane> lanes_;
};

}  // namespace zpmpi::exec
