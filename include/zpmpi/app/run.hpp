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
