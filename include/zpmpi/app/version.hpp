// `zpmpi --version`: zpmpi's version and the versions of the libraries it runs with (as
// loaded, not as built: on a cluster the module loaded at run time is what counts).
#pragma once

#include <string>

namespace zpmpi::app {

/// "zpmpi 0.1.0\n" then one line per library: MPI, HDF5, netCDF-C, zstd, lz4 and libcurl
/// as loaded; libdeflate, blosc and Boost as built with (no run-time query). HDF5 is
/// reached through netCDF-C (zpmpi does not link it): "not loaded" when netCDF-C has none.
std::string version_text();

}  // namespace zpmpi::app
