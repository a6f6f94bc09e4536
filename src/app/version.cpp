#include "zpmpi/app/version.hpp"

#include <blosc.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <libdeflate.h>
#include <lz4.h>
#include <netcdf.h>
#include <zstd.h>

#include <boost/version.hpp>
#include <string>

#include "zpmpi/mpi/library_version.hpp"

namespace zpmpi::app {
namespace {

/// The HDF5 that netCDF-C loaded, looked up at run time: zpmpi does not link HDF5.
std::string hdf5_version() {
  using GetVersion = int (*)(unsigned*, unsigned*, unsigned*);
  auto get = reinterpret_cast<GetVersion>(dlsym(RTLD_DEFAULT, "H5get_libversion"));
  unsigned major = 0, minor = 0, release = 0;
  if (!get || get(&major, &minor, &release) < 0) return "not loaded (netCDF-C without HDF5)";
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

std::string netcdf_version() {
  std::string v = nc_inq_libvers();  // "4.9.0 of Aug  7 2022 ..."
  return v.substr(0, v.find(' '));
}

}  // namespace

std::string version_text() {
  std::string t = "zpmpi " ZPMPI_VERSION "\n";
  auto add = [&](const char* name, const std::string& v) { t += std::string("  ") + name + ": " + v + "\n"; };
  add("MPI", mpi::library_version());
  add("HDF5", hdf5_version());
  add("netCDF-C", netcdf_version());
  add("zstd", ZSTD_versionString());
  add("lz4", LZ4_versionString());
  add("libdeflate (built with)", LIBDEFLATE_VERSION_STRING);
  add("blosc (built with)", BLOSC_VERSION_STRING);
  add("libcurl", curl_version_info(CURLVERSION_NOW)->version);
  add("Boost (built with)", std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
                                "." + std::to_string(BOOST_VERSION % 100));
  return t;
}

}  // namespace zpmpi::app
