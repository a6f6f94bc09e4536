#include "zpmpi/app/run.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <iostream>
#include <string>

#include "zpmpi/app/cli.hpp"
#include "zpmpi/app/environment.hpp"
#include "zpmpi/app/job_phases.hpp"
#include "zpmpi/app/log.hpp"
#include "zpmpi/app/process_memory.hpp"
#include "zpmpi/app/version.hpp"
#include "zpmpi/exec/stop_signals.hpp"
#include "zpmpi/mpi/comm.hpp"
#include "zpmpi/zarr/file_write.hpp"

namespace zpmpi::app {
namespace {

/// The job's hooks from the environment, read once (app/environment.hpp; README "Testing
/// hooks"). Unset, they change nothing.
JobHooks job_hooks(const Environment& env) {
  JobHooks hooks;
  hooks.fail_work = [failure = env.hooks](int rank) -> Status {
    if (const auto message = failure.rank_failure(rank)) return runtime_error(*message);
    return {};
  };
  // The failing write lives as long as the hooks (the rank's work uses it through options).
  hooks.exec = [t = env.hooks, fault = std::make_shared<std::optional<zarr::WriteFault>>()](
                   int rank, exec::ExecOptions& options) {
    if (t.fail_write_rank == rank) options.fail_write = &fault->emplace(t.fail_write_nth);
    options.test_write_delay_ms = t.write_delay_ms;
  };
  hooks.slurm_job_id = env.slurm_job_id;
  hooks.hold_store_lock = env.hooks.hold_store_lock;
  hooks.s3_environment = env.s3;
  return hooks;
}

int run(int argc, char** argv) {
  keep_freed_memory_resident();
  // First: a stop signal during start-up is then recorded and honoured at the first chunk.
  exec::install_stop_signals();
  const Environment env = Environment::of_process();
  mpi::Session session(&argc, &argv, env.hooks.mpi_fail);
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
  return Job(session, std::move(cli).value(), job_hooks(env)).run();
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }

}  // namespace zpmpi::app
