// Module `exec` (DESIGN.md, "Modules"): one rank's work. For each batch of the rank's
// regions it reads the source hyperslab, assembles each output chunk from it (edge chunks
// padded with the fill value) and hands the chunk to a sink, which encodes it and writes
// its file atomically. Depends on source, plan, codec, zarr, transform and model. Never:
// MPI (the caller agrees on the outcome across ranks), getenv (test hooks come in
// ExecOptions).
//
// Three concerns, kept apart so that each can change alone (a Zarr v3 shard is a new sink,
// nothing else):
//  - scheduling: the rank's worker threads and the batches in flight. ThreadRunner runs one
//    batch's tasks now; TaskPool keeps threads for batches in flight, whose slots
//    BatchSlots hands out (acquire, queue the decoding then the chunks, release, drain,
//    the first error); RankExecutor (executor.cpp) walks the batches and picks the way;
//  - assembly: which boxes of the hyperslab make an output chunk and which of its elements
//    are padding is pure arithmetic in model (model/chunk_assembly.hpp, tested without
//    I/O); chunk_gather copies the bytes into a worker's buffers, converting values
//    (value_transforms.hpp) on the way;
//  - the sink (chunk_sink.hpp): takes each assembled chunk from any worker, in any order,
//    and has a step at the end of each batch and of the rank. StoreSink encodes and writes
//    chunk files (the run), VerifySink compares them with the store (`zpmpi verify`).
//
//   executor.hpp       run_rank and its options (below)
//   chunk_sink.hpp     the sink interface; store_sink.hpp, verify_sink.hpp its two sinks;
//                      statistics_sink.hpp and boundary_sink.hpp (an append's partly filled
//                      chunks merged with the store's rows) in front of them
//   stored_chunk.hpp   a store's chunk read back and decoded (kept chunks, kept rows)
//   stats.hpp          what a rank did, and how each figure combines over ranks
//   value_transforms.hpp   a value stage (astype, clip, ...) applied to a chunk's elements
//   text_arrays.hpp, tile_index_arrays.hpp   the small arrays rank 0 writes whole
//   stop_signals.hpp   SIGTERM, SIGINT, SIGUSR1 recorded; the work stops between chunks
// src/exec: thread_runner, task_pool, batch_slots (scheduling); hyperslab_reader (a
// batch's source read through the index map, and its cost); present_chunks (resume:
// chunks already written); chunk_gather; stage_clock (the stage seconds' clock).
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
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::exec {

struct ExecOptions {
  std::filesystem::path store;
  codec::CodecSpec codec;
  int rank = 0;  ///< whose regions to run; also makes temporary chunk names unique
  /// The store's format: chunk file keys, and for a sharded array (ArrayLayout::shards, v3
  /// only) one file per shard (store_sink.hpp).
  zarr::ZarrFormat format = zarr::ZarrFormat::kV2;
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
  /// `zpmpi verify`: when set, each chunk is handed here (the array, its grid index, and the bytes
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
