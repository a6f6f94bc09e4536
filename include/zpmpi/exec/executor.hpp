// The per-rank executor: for each batch of this rank's regions, read the source hyperslab,
// gather each output chunk (padding edge chunks with the fill value), encode it and write
// it atomically. Plain C++: no MPI; the caller agrees on the outcome across ranks.
#pragma once

#include <filesystem>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/exec/stats.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/plan/region_plan.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::exec {

struct ExecOptions {
  std::filesystem::path store;
  codec::CodecSpec codec;
  int rank = 0;  ///< whose regions to run; also makes temporary chunk names unique
};

/// Runs every batch of `options.rank`'s regions; stops at the first error, which names the
/// array and the chunk. Returns what was done.
Result<Stats> run_rank(const plan::RegionPlan& plan, source::Source& source,
                       const ExecOptions& options);

/// Source chunk bytes touched by reading `box` (elements, C order) of a variable with
/// `shape` stored in `chunks`: the decode cost of the read. Pure; exposed for tests.
std::uint64_t touched_elements(const model::Box& box, const model::Shape& shape,
                               const model::Shape& chunks);

}  // namespace zpmpi::exec
