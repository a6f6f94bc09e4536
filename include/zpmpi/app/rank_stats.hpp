// exec::Stats across ranks: the glue between the Stats field list and the MPI layer, which
// knows no struct (it reduces and gathers plain numbers).
#pragma once

#include <vector>

#include "zpmpi/exec/stats.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/mpi/collectives.hpp"

namespace zpmpi::app {

/// Every field of `local` combined over all ranks as fields() declares (sums and maxima);
/// every rank gets the totals. A collective: every rank calls it. Errors are MPI failures.
Result<exec::Stats> combine_over_ranks(const mpi::Collectives& session, const exec::Stats& local);

/// Every rank's `local`, in rank order, on `root` (empty elsewhere). A collective.
Result<std::vector<exec::Stats>> gather_per_rank(const mpi::Collectives& session, const exec::Stats& local, int root = 0);

}  // namespace zpmpi::app
