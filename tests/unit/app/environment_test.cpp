// The environment a run reads once: the test hooks and the SLURM job, parsed from a table.
#include "zpmpi/app/environment.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace zpmpi::app {
namespace {

Environment parse(const std::map<std::string, std::string>& vars) {
  return Environment::parse([&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(Environment, UnsetChangesNothing) {
  const Environment env = parse({});
  EXPECT_FALSE(env.hooks.fail_rank);
  EXPECT_FALSE(env.hooks.rank_failure(0));
  EXPECT_TRUE(env.hooks.mpi_fail.operation.empty());
  EXPECT_FALSE(env.hooks.mpi_fail.applies("MPI_Bcast", 0));
  EXPECT_EQ(env.hooks.fail_write_rank, -1);
  EXPECT_EQ(env.hooks.write_delay_ms, 0);
  EXPECT_TRUE(env.hooks.hold_store_lock.empty());
  EXPECT_TRUE(env.slurm_job_id.empty());
}

TEST(Environment, EveryHookIsParsed) {
  const Environment env = parse({{"ZPMPI_TEST_FAIL_RANK", "1"},
                                 {"ZPMPI_TEST_MPI_FAIL", "MPI_Allreduce@2"},
                                 {"ZPMPI_TEST_FAIL_WRITE", "1:3"},
                                 {"ZPMPI_TEST_WRITE_DELAY_MS", "40"},
                                 {"ZPMPI_TEST_HOLD_STORE_LOCK", "/tmp/release"},
                                 {"SLURM_JOB_ID", "4242"}});
  EXPECT_FALSE(env.hooks.rank_failure(0));
  EXPECT_EQ(env.hooks.rank_failure(1), "injected failure (ZPMPI_TEST_FAIL_RANK=1)");
  EXPECT_TRUE(env.hooks.mpi_fail.applies("MPI_Allreduce", 2));
  EXPECT_FALSE(env.hooks.mpi_fail.applies("MPI_Allreduce", 1));
  EXPECT_FALSE(env.hooks.mpi_fail.applies("MPI_Allreduc", 2));
  EXPECT_EQ(env.hooks.fail_write_rank, 1);
  EXPECT_EQ(env.hooks.fail_write_nth, 3u);
  EXPECT_EQ(env.hooks.write_delay_ms, 40);
  EXPECT_EQ(env.hooks.hold_store_lock, "/tmp/release");
  EXPECT_EQ(env.slurm_job_id, "4242");
}

TEST(Environment, TheS3VariablesSetAndNoOthers) {
  const Environment env = parse({{"AWS_ACCESS_KEY_ID", "AKID"},
                                 {"AWS_PROFILE", "jasmin"},
                                 {"HOME", "/home/u"},
                                 {"AWS_UNRELATED", "x"},
                                 {"PATH", "/bin"}});
  EXPECT_EQ(env.s3, (std::map<std::string, std::string>{
                        {"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_PROFILE", "jasmin"}, {"HOME", "/home/u"}}));
  EXPECT_TRUE(parse({}).s3.empty());
}

TEST(Environment, AMalformedHookInjectsNothing) {
  const Environment env = parse({{"ZPMPI_TEST_MPI_FAIL", "MPI_Bcast"}, {"ZPMPI_TEST_FAIL_WRITE", "x:1"}});
  EXPECT_TRUE(env.hooks.mpi_fail.operation.empty());
  EXPECT_EQ(env.hooks.fail_write_rank, -1);
  EXPECT_FALSE(parse({{"ZPMPI_TEST_MPI_FAIL", "MPI_Bcast@one"}}).hooks.mpi_fail.applies("MPI_Bcast", 0));
}

}  // namespace
}  // namespace zpmpi::app
