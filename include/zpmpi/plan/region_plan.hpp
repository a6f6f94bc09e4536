// Module `plan` (DESIGN.md, "Modules"): the pure planner. From the output arrays
// (model::ArrayLayout), the ranks and the memory limit it decides each array's output
// chunks, the units (lcm-aligned boxes), which rank writes which regions and the batches
// that fit memory; the plan round-trips through JSON for the broadcast. Depends on model
// (and Boost.JSON). Never: I/O, MPI, threads, its own estimate of a size another module
// owns (OwnerBounds carries the codec's and the source's). The recommendations about
// misaligned selections are transform's (dataset_transform.hpp), not plan's as DESIGN.md
// first had it.
//
//   region_plan.hpp    make_plan, for_each_batch, regions_of_rank, the plan's JSON (below)
//   output_chunks.hpp  which output chunk each dim of an array gets
//   shard_choice.hpp   which shard each dim of an array gets (Zarr v3), "auto" included
//   chunk_warnings.hpp a valid plan that will be slow: many small chunk files
// src/plan: planner_steps.hpp names make_plan's stages, one file each (validate, units,
// batches, balance); chunk_grid.* is the grid arithmetic they share; plan_json.cpp.
//
// The region plan: which rank writes which output chunks, in which batches.
//
// Per output array the planner works on the grid of *units*: boxes whose extent per dim
// is lcm(source chunk, output chunk) (capped at the dim length). A unit holds whole
// output chunks and whole source chunks, so reading a unit decodes each source chunk once
// and writes each output chunk once, with no other rank touching either. If there are
// fewer units than jobs, or a unit holds more than a job's share of the bytes (a
// contiguous source's variable is one unit, however small its output chunks), units are
// narrowed along output chunk boundaries (outermost dim first) until every job can have
// its share; this trades some read amplification for balance.
//
// A sharded array (ArrayLayout::shards set) is planned the same way with the shard in
// place of the output chunk: units are lcm(source chunk, shard) and are narrowed along
// shard boundaries only, so a unit holds whole shards and every shard is written by the
// one rank of the one region that holds it (unit_shards). Batches stay boxes of output
// chunks inside a unit, so memory is bounded by the batch, never by the shard; when the
// walk of a region (for_each_batch) leaves a unit, every shard of that unit is complete.
//
// The units of all arrays, in array order then C order, are cut into `num_jobs` contiguous
// runs of nearly equal bytes; each run (split at array boundaries) is a Region, and job j
// runs on rank j % num_ranks. Inside a unit, output chunks are processed in batches: boxes
// of `batch_chunks` output chunks whose footprint (source hyperslab + per worker one padded
// chunk buffer and one compressed buffer; plus a staging copy of the hyperslab when the
// index map is not the identity; plus, for a compressed source, the decode buffers) fits
// memory_limit. The sizes it does not own it asks of their owners (PlanOptions::bounds:
// the chunk codec's encoded size bound, the source's decode buffers and stored chunk
// size) and keeps no estimate of its own; with several workers, as
// many batches as fit (up to one per worker) may be in flight, each with its hyperslab and
// its stored source chunks fetched ahead (ArrayPlan::batches_in_flight). The plan is a pure,
// deterministic function of its inputs and round-trips through JSON (rank 0 broadcasts it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/dtype.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/model/array_layout.hpp"

namespace zpmpi::plan {

using model::Box;
using model::Index;
using model::Shape;

/// The most files (output chunks, or shards of a sharded array) a plan may have unless
/// PlanOptions::max_chunks says otherwise. 10^7 admits the largest jobs seen (ERA5 hourly 1940-2024, one step per
/// chunk: 745k chunks per variable, 7.5M for ten) and refuses, before any work, a typo
/// such as 1024^2 chunks of a 2^28 x 2^28 variable (2^36 files): 10^7 files already take
/// hours of file creation on a parallel file system and are a whole inode quota.
inline constexpr std::uint64_t kDefaultMaxChunks = 10'000'000;

/// What the planner asks of the modules that own the figures. The caller sets them
/// (app/plan_bounds.hpp: codec::encoded_size_bound of the job's codec,
/// source/decode_buffers.hpp); make_plan refuses a plan without them. Used while planning only: not part of the plan's JSON, nor compared.
struct OwnerBounds {
  /// The chunk codec's: the most bytes encoding `n` raw bytes yields.
  std::uint64_t (*encoded_size)(std::uint64_t n) = nullptr;
  /// The source's: the most stored bytes of a compressed source chunk of `n` decoded bytes
  /// it fetches ahead (ArrayPlan::fetched_ahead).
  std::uint64_t (*stored_size)(std::uint64_t n) = nullptr;
  /// The source's: source-chunk-sized buffers one decode of a compressed chunk holds.
  std::uint64_t decode_chunk_buffers = 0;
  bool operator==(const OwnerBounds&) const { return true; }  // see above: not compared
};

struct PlanOptions {
  int num_jobs = 1;   ///< >= 1
  int num_ranks = 1;  ///< >= 1
  std::uint64_t memory_limit = 2'000'000'000;  ///< bytes per rank
  int workers = 1;    ///< encode/write workers per rank (each holds one chunk + one compressed buffer)
  std::uint64_t max_chunks = kDefaultMaxChunks;  ///< >= 1; more files (chunks, shards) in all is an error
  OwnerBounds bounds;
  bool operator==(const PlanOptions&) const = default;
};

/// The most one batch of an uncompressed source holds when memory_limit allows more
/// (unless one chunk needs more): such a source reads any part of its chunks at the same
/// cost, so a bigger batch is no faster and only holds more memory.
inline constexpr std::uint64_t kPreferredBatchBytes = 256'000'000;

struct ArrayPlan {
  model::ArrayLayout layout;  ///< chunks decided (choose_output_chunks); the rest as transform left it
  Shape unit;          ///< unit extent in elements per dim (a multiple of chunks, or the dim length)
  Shape unit_grid;     ///< number of units per dim
  Shape batch_chunks;  ///< output chunks per batch per dim (within one unit)
  /// Batches of this array a rank reads and writes at once: with several workers, the
  /// reading thread fetches the next batch's stored chunks while the workers decode and
  /// write the ones before, so that batches of fewer source chunks than workers (one
  /// 100MB chunk each) still keep every worker busy. 1 unless workers > 1, zpmpi decodes
  /// the source (decoded_on_workers), the map is the identity, and memory_limit holds
  /// that many hyperslabs and their stored chunks (fetched_ahead) besides the rest.
  int batches_in_flight = 1;
  /// With batches in flight, the most stored bytes one of them fetches ahead: every source
  /// chunk its box may touch (one more per dim than its extent covers: a box may straddle,
  /// and each file of a multi-file source starts its own chunks), each at most
  /// bounds.stored_size of its decoded bytes; 0
  /// otherwise. A read whose chunks are stored larger is not fetched ahead.
  std::uint64_t fetched_ahead = 0;
  std::uint64_t batch_footprint = 0;  ///< bytes the array's batches in flight need
  bool operator==(const ArrayPlan&) const = default;
};

/// A run of units of one array, [unit_begin, unit_end) in C order of the unit grid.
struct Region {
  std::uint32_t array = 0;
  Index unit_begin = 0;
  Index unit_end = 0;
  int job = 0;
  int rank = 0;
  std::uint64_t bytes = 0;  ///< uncompressed output bytes (unpadded)
  bool operator==(const Region&) const = default;
};

struct RegionPlan {
  std::vector<ArrayPlan> arrays;
  std::vector<Region> regions;  ///< ordered by job, then array
  PlanOptions options;
  std::uint64_t total_bytes = 0;        ///< uncompressed output bytes of all arrays
  std::uint64_t max_batch_footprint = 0;  ///< the plan's own per-rank memory estimate
  bool operator==(const RegionPlan&) const = default;
};

/// Asked now and then by work whose length grows with the grid (planning a plan of 10^7
/// units takes seconds; reporting on it, minutes): an error it returns ends that work with
/// the error. It keeps the planner pure: the caller decides what stops it (zpmpi asks
/// exec::stop_signal(), so SIGTERM and ^C end `zpmpi plan` too). Empty: never stops.
using StopCheck = std::function<Status()>;
/// How many units or batches pass between two questions to a StopCheck.
inline constexpr std::uint64_t kStopCheckEvery = 1 << 16;

/// Builds the plan. `stop` is asked every kStopCheckEvery units while they are balanced
/// (the one pass over all units); its error is returned as is. Errors (ExitCode::kUsage) when an option is out of range, a spec is
/// inconsistent (ranks differ, a chunk is 0, a shard not a multiple of the chunk), when the
/// arrays have more than max_chunks files in all (output chunks, or shards where sharded;
/// checked first, from the shapes alone, so refusing is instant):
///   "the plan has 68719476736 chunks, more than max_chunks 10000000 (array v: ...)"
/// ("the plan has N files" when an array is sharded)
/// or when one output chunk alone does not fit:
///   "memory_limit 100MB is too low: one batch of array t2m needs 310MB"
Result<RegionPlan> make_plan(std::vector<model::ArrayLayout> arrays, const PlanOptions& options,
                             const StopCheck& stop = {});

/// One batch: a box of output chunks of one array, and the elements it covers.
struct Batch {
  std::uint32_t array = 0;
  Box chunks;    ///< chunk indices (start, count) in the array's chunk grid
  Box elements;  ///< output elements covered, clipped to the array shape
};

/// Calls `fn` for every batch of `region`, in a deterministic order.
void for_each_batch(const RegionPlan& plan, const Region& region,
                    const std::function<void(const Batch&)>& fn);
/// The same, until `fn` returns false (then false; true when every batch was seen).
bool for_each_batch_while(const RegionPlan& plan, const Region& region,
                          const std::function<bool(const Batch&)>& fn);

/// The regions of one rank.
std::vector<Region> regions_of_rank(const RegionPlan& plan, int rank);

/// The shards of unit `unit` (linear, C order of a.unit_grid) of a sharded array, as a box
/// of shard grid indices (start, count): a unit holds whole shards. Along a dim the shard
/// grid has ceil(shape / shards) shards. Empty (rank 0 box) for an unsharded array.
Box unit_shards(const ArrayPlan& a, Index unit);

/// The plan as compact JSON, and back. plan_from_json(plan_to_json(p)) == p.
std::string plan_to_json(const RegionPlan& plan);
Result<RegionPlan> plan_from_json(std::string_view json);

}  // namespace zpmpi::plan
