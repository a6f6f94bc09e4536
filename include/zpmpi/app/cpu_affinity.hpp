// The CPUs a rank may run on, against its `workers` threads. mpirun binds each rank to one
// core by default when there are no more ranks than cores (Open MPI 4: `--bind-to core`
// for -n 2 or fewer), and srun to --cpus-per-task CPUs: a rank's workers then take turns on
// one core, slower than one worker (measured: -n 1 --workers 2 ran 2.3x slower bound than
// with --bind-to none). Said once, by rank 0, before the run.
#pragma once

#include <optional>
#include <string>

namespace zpmpi::app {

/// CPUs in this process's affinity mask (sched_getaffinity), or 0 if unknown.
int cpus_of_this_process();

/// The warning for a rank with `workers` threads that may run on `cpus` CPUs (0: unknown),
/// or nothing when there are enough.
std::optional<std::string> workers_cpu_warning(int workers, int cpus);

}  // namespace zpmpi::app
