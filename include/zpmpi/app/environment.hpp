// What a run takes from its environment, read once, in app, and handed to the module each
// item concerns: nothing below app calls getenv (the MPI layer's detection of its
// launcher aside, mpi/launch.hpp).
//
// The test hooks (README "Testing hooks") make a run do what a real one never does, so
// that the integration tests can prove a failure reaches the user and no rank hangs. Unset,
// they change nothing:
//   ZPMPI_TEST_FAIL_RANK=R          rank R's chunk work fails at once ("injected failure")
//   ZPMPI_TEST_MPI_FAIL=CALL@R      every CALL (MPI_Allreduce, ...) of rank R fails
//   ZPMPI_TEST_FAIL_WRITE=R:N       rank R's N-th chunk file write writes half, then ENOSPC
//   ZPMPI_TEST_WRITE_DELAY_MS=M     every chunk write waits M ms first (stop/kill tests)
//   ZPMPI_TEST_HOLD_STORE_LOCK=F    after taking the store's lock, wait until file F exists
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "zpmpi/mpi/comm.hpp"

namespace zpmpi::app {

struct TestHooks {
  std::optional<int> fail_rank;  ///< ZPMPI_TEST_FAIL_RANK (as atoi reads it)
  std::string fail_rank_text;    ///< its value as given, for the message
  mpi::InjectedFailure mpi_fail;  ///< ZPMPI_TEST_MPI_FAIL
  int fail_write_rank = -1;       ///< ZPMPI_TEST_FAIL_WRITE's R (-1: none)
  std::uint64_t fail_write_nth = 0;  ///< and N
  int write_delay_ms = 0;         ///< ZPMPI_TEST_WRITE_DELAY_MS
  std::string hold_store_lock;    ///< ZPMPI_TEST_HOLD_STORE_LOCK

  /// The error of rank `rank`'s chunk work under ZPMPI_TEST_FAIL_RANK, if it is the one.
  std::optional<std::string> rank_failure(int rank) const;
};

struct Environment {
  TestHooks hooks;
  std::string slurm_job_id;  ///< SLURM_JOB_ID: written into the store's lock and owner records
  /// The variables S3 credentials and endpoints come from (source/s3_options.hpp: AWS_*,
  /// HOME for ~/.aws), those that are set; rank 0 resolves a source's S3 options with them.
  std::map<std::string, std::string> s3;
  /// The names of Environment::s3.
  static const std::vector<std::string>& s3_variables();

  /// Parses the variables above as `lookup` (getenv, or a test's table) gives them; a
  /// malformed hook value injects nothing.
  static Environment parse(const std::function<const char*(const char*)>& lookup);
  /// parse(getenv): the one read of the process environment.
  static Environment of_process();
};

}  // namespace zpmpi::app
