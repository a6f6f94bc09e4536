// The MPI library's own version line (MPI_Get_library_version), for `zpmpi --version`.
#pragma once

#include <string>

namespace zpmpi::mpi {

/// E.g. "Open MPI v4.1.4, package: Debian OpenMPI, ..." (first line only); callable before
/// MPI_Init and after MPI_Finalize, as the standard allows.
std::string library_version();

}  // namespace zpmpi::mpi
