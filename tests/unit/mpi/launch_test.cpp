#include "zpmpi/mpi/launch.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace zpmpi::mpi {
namespace {

/// An environment made of `vars` only.
EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(LaunchedOnOneNode, MpirunComparesTheLocalAndWorldSizes) {
  EXPECT_TRUE(launched_on_one_node(env_of({{"OMPI_COMM_WORLD_SIZE", "4"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"}})));
  EXPECT_FALSE(launched_on_one_node(env_of({{"OMPI_COMM_WORLD_SIZE", "64"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "32"}})));
  // Half the pair is no answer: keep the defaults.
  EXPECT_FALSE(launched_on_one_node(env_of({{"OMPI_COMM_WORLD_SIZE", "4"}})));
  // mpirun inside a multi-node SLURM allocation: mpirun's own variables decide.
  EXPECT_TRUE(launched_on_one_node(env_of({{"OMPI_COMM_WORLD_SIZE", "2"},
                                           {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
                                           {"SLURM_STEP_NUM_NODES", "8"}})));
}

TEST(LaunchedOnOneNode, SrunUsesTheStepsNodeCount) {
  EXPECT_TRUE(launched_on_one_node(env_of({{"SLURM_STEP_NUM_NODES", "1"}, {"SLURM_PROCID", "3"}})));
  EXPECT_FALSE(launched_on_one_node(env_of({{"SLURM_STEP_NUM_NODES", "2"}, {"SLURM_PROCID", "3"}})));
  EXPECT_FALSE(launched_on_one_node(env_of({{"SLURM_STEP_NUM_NODES", "10"}})));
}

TEST(LaunchedOnOneNode, OtherLaunchersMaySpanNodes) {
  EXPECT_FALSE(launched_on_one_node(env_of({{"PMIX_RANK", "0"}})));
  EXPECT_FALSE(launched_on_one_node(env_of({{"PMI_RANK", "5"}})));
  EXPECT_FALSE(launched_on_one_node(env_of({{"SLURM_PROCID", "0"}})));
}

TEST(LaunchedOnOneNode, NoLauncherIsASingleton) { EXPECT_TRUE(launched_on_one_node(env_of({}))); }

TEST(PreferredPml, Ob1OnOneNodeOnly) {
  EXPECT_STREQ(preferred_pml(env_of({})), "ob1");
  EXPECT_STREQ(preferred_pml(env_of({{"SLURM_STEP_NUM_NODES", "1"}})), "ob1");
  EXPECT_EQ(preferred_pml(env_of({{"SLURM_STEP_NUM_NODES", "4"}})), nullptr);
}

TEST(PreferredPml, TheUsersChoiceStands) {
  EXPECT_EQ(preferred_pml(env_of({{"OMPI_MCA_pml", "ucx"}})), nullptr);
  EXPECT_EQ(preferred_pml(env_of({{"OMPI_MCA_pml", ""}})), nullptr);
}

}  // namespace
}  // namespace zpmpi::mpi
