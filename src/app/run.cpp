#include "zpmpi/app/run.hpp"

#include <cstdlib>
#include <iostream>
#include <string>

#include "zpmpi/app/cli.hpp"
#include "zpmpi/app/job_phases.hpp"
#include "zpmpi/app/log.hpp"
#include "zpmpi/app/version.hpp"
#include "zpmpi/exec/stop_signals.hpp"
#include "zpmpi/mpi/comm.hpp"
#include "zpmpi/source/decode_buffers.hpp"
#include "zpmpi/zarr/file_write.hpp"

namespace zpmpi::app {
namespace {

/// Test hooks read from the environment, here and nowhere else in the job (documented in
/// the README, "Testing hooks"):
///   ZPMPI_TEST_FAIL_RANK=R       rank R's work fails at once (no rank may hang)
///   ZPMPI_TEST_FAIL_WRITE=R:N    the N-th file write of rank R's chunk work fails (half
///                                written, then ENOSPC)
///   ZPMPI_TEST_WRITE_DELAY_MS=M  every chunk write waits M ms first (stop/kill tests)
/// Unset, they change nothing.
JobHooks test_hooks() {
  JobHooks hooks;
  hooks.fail_work = [](int rank) -> Status {
    // Test hook: the integration tests make one rank fail to prove no rank hangs.
    if (const char* fail = std::getenv("ZPMPI_TEST_FAIL_RANK"); fail && std::atoi(fail) == rank)
      return runtime_error("injected failure (ZPMPI_TEST_FAIL_RANK=" + std::string(fail) + ")");
    return {};
  };
  hooks.exec = [](int rank, exec::ExecOptions& options) {
    if (const char* spec = std::getenv("ZPMPI_TEST_FAIL_WRITE")) {
      const std::string s = spec;
      const auto colon = s.find(':');
      if (colon != std::string::npos && s.substr(0, colon) == std::to_string(rank))
        zarr::fail_nth_write_for_tests(std::strtoull(s.c_str() + colon + 1, nullptr, 10));
    }
    if (const char* delay = std::getenv("ZPMPI_TEST_WRITE_DELAY_MS")) options.test_write_delay_ms = std::atoi(delay);
  };
  return hooks;
}

int run(int argc, char** argv) {
  source::keep_decode_buffers_resident();
  // First: a stop signal during start-up is then recorded and honoured at the first chunk.
  exec::install_stop_signals();
  mpi::Session session(&argc, &argv);
  const int rank = session.rank();
  log::init(rank, 1);
  if (const Status& started = session.status(); !started.ok()) {
    const int code = static_cast<int>(started.error().code);
    if (session.must_abort()) {  // a failure other ranks may not share: end them all
      log::error(started.error().message);
      session.abort(code);
    }
    // Every rank failed alike (e.g. the thread level): rank 0 speaks, all return.
    if (rank == 0) log::error(started.error().message);
    return code;
  }

  // Every rank parses the same argv, so every rank reaches the same verdict.
  auto cli = parse_cli(argc, argv);
  if (!cli.ok()) {
    if (rank == 0) log::error(cli.error().message);
    return static_cast<int>(cli.error().code);
  }
  if (cli->help || cli->version) {
    if (rank == 0) std::cout << (cli->help ? cli->usage : version_text()) << std::flush;
    return 0;
  }
  return Job(session, std::move(cli).value(), test_hooks()).run();
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }

}  // namespace zpmpi::app
