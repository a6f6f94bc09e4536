#include "zpmpi/app/cpu_affinity.hpp"

#include <sched.h>

namespace zpmpi::app {

int cpus_of_this_process() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
  return CPU_COUNT(&set);
}

std::optional<std::string> workers_cpu_warning(int workers, int cpus) {
  if (cpus <= 0 || workers <= cpus) return std::nullopt;
  const std::string w = std::to_string(workers);
  return "workers " + w + ", but rank 0 may run on " + std::to_string(cpus) + (cpus == 1 ? " CPU" : " CPUs") +
         " (its affinity): its threads take turns there. Give each rank " + w +
         " CPUs: mpirun --bind-to none (or --map-by slot:PE=" + w + "), srun --cpus-per-task=" + w;
}

}  // namespace zpmpi::app
