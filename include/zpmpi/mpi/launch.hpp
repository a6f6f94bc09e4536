// How zpmpi asks Open MPI to start, before MPI_Init.
//
// Open MPI's default start-up probes every fast messaging layer it was built with (UCX,
// libfabric, PSM2): ~0.2 s of each run's 0.33 s on a single node here, before any work.
// zpmpi sends a few small messages (the plan, statuses, counters), so when every rank runs
// on one node the plain ob1 layer (shared memory) serves as well and starts in ~0.13 s.
// Across nodes nothing changes: the site's transport is what reaches the other nodes.
#pragma once

#include <functional>

namespace zpmpi::mpi {

/// Looks up an environment variable; nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

/// True when every rank of this launch runs on one node, judged from the launcher's
/// environment: Open MPI's mpirun (OMPI_COMM_WORLD_LOCAL_SIZE == OMPI_COMM_WORLD_SIZE),
/// SLURM's srun (SLURM_STEP_NUM_NODES == 1) or no launcher at all (a singleton). False
/// when the launcher is another or says nothing: then the defaults stay.
bool launched_on_one_node(const EnvLookup& env);

/// The Open MPI parameter zpmpi sets before MPI_Init ("OMPI_MCA_pml" = "ob1"), or nullptr
/// to leave Open MPI's defaults: when the user chose a messaging layer (OMPI_MCA_pml is
/// set) or the ranks may span nodes.
const char* preferred_pml(const EnvLookup& env);

/// Applies preferred_pml() to this process's environment (before MPI_Init reads it).
void prefer_local_messaging();

}  // namespace zpmpi::mpi
