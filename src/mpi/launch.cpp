#include "zpmpi/mpi/launch.hpp"

#include <cstdlib>
#include <string_view>

namespace zpmpi::mpi {
namespace {

/// The variable's value when it is set and not empty.
std::string_view value(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  return v ? std::string_view(v) : std::string_view();
}

}  // namespace

bool launched_on_one_node(const EnvLookup& env) {
  // mpirun sets both on every rank; more ranks in the world than on this node means others
  // run elsewhere (the same answer on every rank, so all choose the same layer).
  const std::string_view world = value(env, "OMPI_COMM_WORLD_SIZE");
  const std::string_view local = value(env, "OMPI_COMM_WORLD_LOCAL_SIZE");
  if (!world.empty() || !local.empty()) return !world.empty() && world == local;
  // srun (direct launch through PMI/PMIx): the step's node count.
  const std::string_view nodes = value(env, "SLURM_STEP_NUM_NODES");
  if (!nodes.empty()) return nodes == "1";
  // Some other launcher (PMIx or PMI without the above): it may span nodes.
  for (const char* rank : {"PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (!value(env, rank).empty()) return false;
  return true;  // no launcher: a singleton, one process
}

const char* preferred_pml(const EnvLookup& env) {
  if (env("OMPI_MCA_pml") != nullptr) return nullptr;  // the user's choice, even empty
  return launched_on_one_node(env) ? "ob1" : nullptr;
}

void prefer_local_messaging() {
  if (const char* pml = preferred_pml([](const char* name) { return std::getenv(name); }))
    setenv("OMPI_MCA_pml", pml, /*overwrite=*/0);
}

}  // namespace zpmpi::mpi
