// Where the executor's assembled chunks go. The executor gathers each output chunk on a
// worker thread (model/chunk_assembly.hpp) and hands its decoded bytes to a ChunkSink,
// which does the rest: StoreSink encodes it and writes its file (store_sink.hpp), and
// VerifySink hands it to `zpmpi verify`'s comparison with the store (verify_sink.hpp).
//
// The calls, in the order a sink that gathers many chunks into one file needs them (a
// Zarr v3 shard: inner chunks streamed into the shard's temporary file, the index appended
// and the file renamed once its last chunk is in):
//  - put(): from any of the rank's worker threads, chunks in any order (the workers race,
//    and with batches in flight one batch's chunks are put while another's are read); the
//    calls with one `worker` number never overlap, so per-worker state (a codec, buffers)
//    needs no lock, and state shared by workers does;
//  - end_batch(): once per batch, after every chunk of it was put (or found present on
//    resume), from whichever thread finished it; no chunk of that batch is put afterwards.
//    Batches end in the order they finish, which with batches in flight is not the plan's;
//  - finish(): once, on the thread that called run_rank, after every batch has ended,
//    only when the rank succeeded: what is still buffered is flushed. After a failure it
//    is not called, and a sink must leave nothing half-written (as a chunk file's
//    temporary name is removed when its write fails).
// An error from any call stops the rank (zarr/file_write.hpp has the chunk file's).
#pragma once

#include <cstdint>
#include <span>

#include "zpmpi/exec/stats.hpp"
#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/plan/region_plan.hpp"

namespace zpmpi::exec {

/// One output chunk, assembled.
struct AssembledChunk {
  const model::ArrayLayout& array;
  const model::Shape& index;       ///< its grid index, e.g. {0, 1, 2} for key "0.1.2"
  std::span<const std::byte> raw;  ///< its decoded bytes in C order, edge chunks padded to the full chunk shape
};

class ChunkSink {
 public:
  virtual ~ChunkSink() = default;

  /// Takes `chunk` (its bytes are the caller's again on return), on worker thread number
  /// `worker` (0 .. workers - 1), and adds what it did to `stats`, that worker's counters:
  /// chunks, bytes_raw, bytes_written, seconds_encode, seconds_write.
  virtual Status put(int worker, const AssembledChunk& chunk, Stats& stats) = 0;

  /// Chunk `index` of `array` is not put because a resumed run keeps it (ExecOptions::
  /// present): on `worker` (0 for a batch kept whole, on the reading thread); nothing to
  /// do unless the sink needs every chunk's values (statistics_sink.hpp).
  virtual Status kept(int worker, const model::ArrayLayout& array, const model::Shape& index) {
    (void)worker, (void)array, (void)index;
    return {};
  }

  /// Every chunk of `batch` has been put (see above); nothing to do unless the sink
  /// buffers chunks across puts.
  virtual Status end_batch(const plan::Batch& batch) {
    (void)batch;
    return {};
  }

  /// Every batch of the rank has ended, without an error (see above).
  virtual Status finish() { return {}; }

  /// The buffer bytes the sink holds for `worker` now (its encoded chunk buffer): the
  /// executor counts them into the rank's peak, which the plan bounds.
  virtual std::uint64_t buffer_bytes(int worker) const = 0;
};

}  // namespace zpmpi::exec
