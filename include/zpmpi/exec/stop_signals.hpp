// Walltime and interactive stops: SIGTERM (kill, scancel, mpirun's own stop), SIGINT (^C)
// and SIGUSR1 (what `sbatch --signal=USR1@120` sends before the walltime) ask zpmpi to
// stop taking work. The handler only records the signal; the work loop reads it between
// chunks (stop_signal()), so the chunk in flight is finished and no temporary file is
// left, and the run ends with ExitCode::kInterrupted (75): `--resume` finishes the job.
#pragma once

#include <string>

namespace zpmpi::exec {

/// Installs the handler for SIGTERM, SIGINT and SIGUSR1 (SA_RESTART: file and MPI calls in
/// progress are not interrupted). Idempotent.
void install_stop_signals();

/// The first stop signal received (SIGTERM, SIGINT or SIGUSR1), or 0. Async-signal-safe
/// to set, lock-free to read from any thread.
int stop_signal();

/// "SIGTERM", "SIGINT", "SIGUSR1" (else "signal N").
std::string signal_name(int signal);

/// Test hook: records `signal` as if it had been received (0 clears it).
void set_stop_signal_for_tests(int signal);

}  // namespace zpmpi::exec
