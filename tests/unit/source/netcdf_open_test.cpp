// open_netcdf: the file-level errors a user meets first, each naming the path.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <sys/wait.h>
#include <unistd.h>

#include "netcdf_fixture.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {
namespace {

using testing::NetcdfTest;

class NetcdfOpenTest : public NetcdfTest {};

TEST_F(NetcdfOpenTest, MissingFileIsARuntimeErrorNamingThePath) {
  const std::string p = path("absent.nc");
  auto source = open_netcdf(p);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().code, ExitCode::kRuntime);
  EXPECT_EQ(source.error().message, p + ": no such file");
}

TEST_F(NetcdfOpenTest, GarbageIsNotANetcdfFile) {
  const std::string p = path("garbage.nc");
  std::ofstream(p, std::ios::binary) << "this is not a netCDF file, just some bytes\x01\x02\x03";
  auto source = open_netcdf(p);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().code, ExitCode::kRuntime);
  EXPECT_EQ(source.error().message, p + ": not a netCDF file (" + nc_strerror(NC_ENOTNC) + ")");
}

TEST_F(NetcdfOpenTest, EmptyFileIsNotANetcdfFile) {
  const std::string p = path("empty.nc");
  std::ofstream(p, std::ios::binary).flush();
  auto source = open_netcdf(p);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().message.rfind(p + ": ", 0), 0u) << source.error().message;
}

TEST_F(NetcdfOpenTest, DirectoryIsRejected) {
  auto source = open_netcdf(dir_.string());
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().message, dir_.string() + ": is a directory, not a netCDF file");
}

TEST_F(NetcdfOpenTest, UnreadableFileSaysSo) {
  const std::string p = path("secret.nc");
  int ncid;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER, &ncid));
  NC_OK(nc_close(ncid));
  ASSERT_EQ(::chmod(p.c_str(), 0), 0);
  const std::string expected = p + ": cannot read: " + std::strerror(EACCES);
  auto refused = [&] {
    auto source = open_netcdf(p);
    return !source.ok() && source.error().code == ExitCode::kRuntime && source.error().message == expected;
  };
  if (::geteuid() != 0) {
    EXPECT_TRUE(refused()) << expected;
    return;
  }
  // Root reads anything: check as user "nobody" in a child process.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    ::_exit(refused() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "as nobody, expected: " << expected;
}

TEST_F(NetcdfOpenTest, UriIsThePath) {
  const std::string p = path("empty_dataset.nc");
  int ncid;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid));
  NC_OK(nc_close(ncid));
  auto source = open_netcdf(p);
  ASSERT_TRUE(source.ok()) << source.error().message;
  const model::Dataset& ds = (*source)->dataset();
  EXPECT_EQ(ds.uri, p);
  EXPECT_TRUE(ds.dims.empty());
  EXPECT_TRUE(ds.variables.empty());
  EXPECT_TRUE(ds.attributes.empty());
  EXPECT_TRUE(ds.skipped.empty());
}

TEST_F(NetcdfOpenTest, EveryOpenHasItsOwnHandle) {
  // Ranks (and tests) open the same file independently; closing one leaves the other usable.
  const std::string p = path("shared.nc");
  int ncid, dim, var;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER, &ncid));
  NC_OK(nc_def_dim(ncid, "x", 3, &dim));
  NC_OK(nc_def_var(ncid, "v", NC_INT, 1, &dim, &var));
  NC_OK(nc_enddef(ncid));
  const int values[3] = {7, 8, 9};
  NC_OK(nc_put_var_int(ncid, var, values));
  NC_OK(nc_close(ncid));

  auto first = open_netcdf(p);
  auto second = open_netcdf(p);
  ASSERT_TRUE(first.ok() && second.ok());
  first->reset();
  std::vector<std::int32_t> out(3);
  ASSERT_TRUE((*second)->read("v", {{0}, {3}}, testing::bytes_of(out)).ok());
  EXPECT_EQ(out, (std::vector<std::int32_t>{7, 8, 9}));
}

}  // namespace
}  // namespace zpmpi::source
