// The per-rank executor: for each batch of this rank's regions, read the source hyperslab,
// gather each output chunk (padding edge chunks with the fill value), encode it and write
// it atomically. Plain C++: no MPI; the caller agrees on the outcome across ranks.
//
// The module's map, one concept per file:
//  - scheduling (src/exec): the rank's worker threads, ThreadRunner (one batch's tasks,
//    now) and TaskPool (tasks that outlive a batch); BatchSlots, the batches in flight
//    (acquire a slot, queue its decode then its chunks, release, drain, the first error);
//    RankExecutor (executor.cpp), which walks the batches and chooses between the two;
//  - reading (src/exec/hyperslab_reader): a batch's hyperslab from the source through the
//    index map, and what it cost (Stats::bytes_decoded); resume's bitmap of chunks already
//    present (present_chunks) decides which batches and chunks are skipped;
//  - assembly: which boxes of the hyperslab make an output chunk and what is padding is
//    pure arithmetic in model (model/chunk_assembly.hpp, tested without I/O); exec's
//    chunk_gather copies the bytes with the worker's buffers, converting values
//    (value_transforms.hpp) on the way;
//  - the sink (chunk_sink.hpp): where each assembled chunk goes, from any worker thread,
//    with a step at the end of each batch and of the rank: StoreSink encodes and writes
//    chunk files (the run), VerifySink compares them with the store (`zpmpi verify`).
// Around it: stats.hpp (what a rank did), text_arrays.hpp and tile_index_arrays.hpp (the
// small arrays rank 0 writes whole), stop_signals.hpp (SIGINT/SIGTERM).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/exec/chunk_sink.hpp"
#include "zpmpi/exec/stats.hpp"
#include "zpmpi/exec/verify_sink.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/plan/region_plan.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/zarr/file_write.hpp"

namespace zpmpi::exec {

struct ExecOptions {
  std::filesystem::path store;
  codec::CodecSpec codec;
  int rank = 0;  ///< whose regions to run; also makes temporary chunk names unique
  /// Asked before each batch and each chunk, from any worker thread: an error stops the
  /// rank (chunks already started on other threads are finished, none is half-written)
  /// and is returned by run_rank. Empty: never stop. The run uses it for stop signals and
  /// for the run channel (a failure on another rank).
  std::function<Status()> check{};
  /// Live counters of chunk files written and their bytes (the run channel's progress);
  /// may be null.
  struct Progress {
    std::atomic<std::uint64_t> chunks{0}, bytes{0};
  }* progress = nullptr;
  /// Resume: per array of the plan, which chunks already exist (by linear index in C order
  /// of the array's chunk grid); they are not written again, and a batch whose chunks all
  /// exist is not read. Null, or an empty vector for an array: none exists.
  const std::vector<std::vector<bool>>* present = nullptr;
  /// `zpmpi verify`: when set, each chunk is handed here (the array, its key, and the bytes
  /// it must hold, decoded, edge chunks padded) instead of being encoded and written
  /// (run_rank's sink is then a VerifySink, not a StoreSink). It may be called from several
  /// worker threads at once; an error stops the rank.
  VerifyChunk verify_chunk{};
  /// Sync each chunk file and its directory (the config's "fsync").
  bool fsync = false;
  /// Test hook (ZPMPI_TEST_WRITE_DELAY_MS): sleep this long before each chunk write, so
  /// the integration tests can stop or kill a run of small data mid-write.
  int test_write_delay_ms = 0;
  /// Test hook (ZPMPI_TEST_FAIL_WRITE): the chunk writes count down on it; null: none.
  zarr::WriteFault* fail_write = nullptr;
};

/// Runs every batch of `options.rank`'s regions; stops at the first error, which names the
/// array and the chunk. Returns what was done. The chunks go to a StoreSink of `options`,
/// or a VerifySink when options.verify_chunk is set.
Result<Stats> run_rank(const plan::RegionPlan& plan, source::Source& source,
                       const ExecOptions& options);

/// The same with the chunks going to `sink` (which must take worker numbers up to
/// plan.options.workers - 1); the options' store, codec, fsync, progress, verify_chunk and
/// write hooks are the sink's business and unused here.
Result<Stats> run_rank(const plan::RegionPlan& plan, source::Source& source, const ExecOptions& options,
                       ChunkSink& sink);

/// Source chunk bytes touched by reading `box` (elements, C order) of a variable with
/// `shape` stored in `chunks`: the decode cost of the read. Pure; exposed for tests.
std::uint64_t touched_elements(const model::Box& box, const model::Shape& shape,
                               const model::Shape& chunks);

}  // namespace zpmpi::exec
