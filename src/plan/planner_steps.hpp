// The stages of make_plan, one file each (region_plan.cpp runs them in this order):
//   validate.cpp  options and specs in range, ranks consistent, sizes within 64 bits,
//                 at most max_chunks chunks
//   units.cpp     lcm-aligned units per array; narrowing when there are fewer than jobs
//   batches.cpp   the largest batch inside a unit that fits memory_limit
//   balance.cpp   units cut into num_jobs runs of nearly equal bytes -> Regions
#pragma once

#include <cstdint>
#include <vector>

#include "zpmpi/model/result.hpp"
#include "zpmpi/plan/region_plan.hpp"

namespace zpmpi::plan::steps {

/// kUsage errors for: num_jobs, num_ranks or workers < 1; a spec whose shape, chunks,
/// alignment and map output disagree in rank (or whose map's output shape is not
/// `shape`); shards (when set) not of that rank or not a positive multiple of the chunk; source.shape/source.chunks not of the map's source rank; a chunk or
/// source chunk of 0; an empty or repeated array name; more arrays than 2^32; an array, or
/// all arrays together, of more than 2^64 - 1 bytes; max_chunks < 1, or more files in all
/// than max_chunks (output chunks, or shards of a sharded array; counted from the shapes,
/// O(arrays), so a huge plan is refused before anything loops over its units).
Status validate(const std::vector<model::ArrayLayout>& arrays, const PlanOptions& options);

/// The array with its lcm-aligned units: unit[d] = min(lcm(cell[d], alignment[d]),
/// max(shape[d], 1)), the cell being the shard of a sharded array, else the chunk
/// (grid::unit_cell). A unit that reaches the dim length covers the whole dim.
ArrayPlan aligned_units(model::ArrayLayout spec);

/// While the arrays have fewer units than `jobs` in total, or the largest unit that can
/// still be narrowed holds more than a job's share (total_bytes / jobs), halves (rounding
/// up) the cells per unit of the array with the largest units, on its outermost dim with
/// more than one cell per unit (a cell: a shard when sharded, else a chunk). Stops when
/// both hold or every unit is one cell. Then no multi-cell unit exceeds a share, so
/// balance() gives every job work and none more than two shares (when cells are small
/// against the share).
void narrow_units(std::vector<ArrayPlan>& arrays, Index jobs, std::uint64_t total_bytes);

/// Bytes one batch of `batch` output chunks per dim needs at most (its interior case):
///   copies * hyperslab + workers * (padded chunk + its encoded size bound)
///   + the source's decode buffers (options.bounds),
/// where the hyperslab is the batch's elements clipped to the shape and copies is 2 when
/// the index map is not the identity (reads are staged, then reversed or reassembled).
/// Saturates at UINT64_MAX.
std::uint64_t batch_footprint(const model::ArrayLayout& spec, const Shape& batch, const PlanOptions& options);

/// Sets a.batch_chunks to the largest box of chunks inside a unit that fits
/// memory_limit (and, for an uncompressed source, kPreferredBatchBytes unless one chunk
/// needs more), shrinking the outermost dims first, and a.batch_footprint to its
/// footprint. kUsage error when one chunk alone does not fit. An array without units
/// (a zero-length dim) runs no batch: its batch is one unit and its footprint 0.
/// "memory_limit X is too low: one batch of array A needs Y", Y never rounded below `need`;
/// for a tiled array "one tile of array A needs Y (the tile twice, and Z of source
/// chunks being decoded)", since its source footprint, not the tile, is what does not fit.
std::string too_low_message(const PlanOptions& options, const model::ArrayLayout& array, std::uint64_t need);

Status size_batches(ArrayPlan& a, const PlanOptions& options);

/// Cuts the units of all arrays (array order, then C order) into options.num_jobs
/// contiguous runs, split at array boundaries; `total_bytes` is the bytes of all units.
/// `stop` is asked every kStopCheckEvery units; its error ends the pass.
Result<std::vector<Region>> balance(const std::vector<ArrayPlan>& arrays, const PlanOptions& options,
                                    std::uint64_t total_bytes, const StopCheck& stop = {});

}  // namespace zpmpi::plan::steps
