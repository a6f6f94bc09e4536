// Module `app` (DESIGN.md, "Modules"): the program and the job as a library. It reads what
// comes from outside (command line, job file, environment, test hooks), drives one job
// through its phases on every rank, and reports. The one module that sees all the others
// (exec, mpi, plan, source, transform, codec, zarr, model; Boost.Program_options and
// Boost.JSON). Only app calls getenv and makes process-wide settings (process_memory.hpp),
// mpi/launch.hpp's start-up of Open MPI aside. app never calls MPI itself (it goes
// through mpi::Collectives) and keeps no figure another module owns (plan_bounds.hpp asks
// the owners).
//
//   run.hpp            the program: MPI up, command line, test hooks, then a Job (below)
//   job_phases.hpp     the Job: prepare, agree on the plan, work, agree on the outcome,
//                      commit, with their collective points named
//   job.hpp            job file + described source -> output arrays, metadata, plan specs
//   job_message.hpp    what rank 0 broadcasts to every rank, as one JSON message
//   config.hpp, config_keys.hpp, cli.hpp   the job file, its one key table, the flags
//   environment.hpp    the environment and the test hooks, read once
//   plan_bounds.hpp    the bounds the planner asks of the codec and the source
//   plan_report.hpp, verify.hpp   `zpmpi plan` and `zpmpi verify`
//   append.hpp         "mode": "append": the job checked against the store, the plan's parts
//   store_statistics.hpp, job_statistics.hpp   `zpmpi statistics`, the "statistics" key
//   resume_record.hpp  what a store's content depends on, for --resume
//   rank_stats.hpp, run_summary.hpp, progress.hpp, log.hpp   what the user is told
//   cpu_affinity.hpp, process_memory.hpp, version.hpp   the process and its libraries
// src/app also keeps job_state.hpp (the Job's state between phases), job_prepare.cpp and
// job_verify.cpp (phases of the Job), and strict_json.hpp (the job file read strictly).
//
// The program: start MPI, parse the command line, read the test hooks (the one place they
// are read), and run one job across the ranks: a thin shell over app/job_phases.hpp, whose
// header describes the phases (prepare, agree on the plan, work, agree on the outcome,
// commit) and their collective points. A failure anywhere makes every rank return the same
// non-zero code; rank 0 prints the cause once and removes a store this run created but
// could not complete.
#pragma once

namespace zpmpi::app {

/// Returns the process exit code (0 ok, 1 runtime error, 2 usage/config error).
int main(int argc, char** argv);

}  // namespace zpmpi::app
