// The program: parse the command line, then run one job across the MPI ranks.
//
//   rank 0 : load the job -> open and describe the source -> choose arrays, resolve chunks
//            -> plan -> prepare the store -> broadcast the job (or the error)
//   all    : open the source, write this rank's chunks, agree on the outcome
//   rank 0 : write the metadata (.zmetadata last), agree again, print the summary
// A failure anywhere makes every rank return the same non-zero code; rank 0 prints the
// cause once and removes a store this run created but could not complete.
#pragma once

namespace zpmpi::app {

/// Returns the process exit code (0 ok, 1 runtime error, 2 usage/config error).
int main(int argc, char** argv);

}  // namespace zpmpi::app
