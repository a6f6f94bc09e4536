// open_netcdf: the file-level errors a user meets first, each naming the path.
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

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

/// A private directory for a file user "nobody" must reach but not read: mkdtemp under
/// /tmp (not under the build tree, nor $TMPDIR, which may sit below a directory other
/// users cannot enter, as home and project directories often do), opened to others for
/// traversal only (0711). Removed with its contents when the test ends.
class TraversableDir {
 public:
  TraversableDir() {
    char name[] = "/tmp/zpmpi-unreadable.XXXXXX";
    if (::mkdtemp(name) != nullptr && ::chmod(name, 0711) == 0) path_ = name;
  }
  ~TraversableDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }  ///< empty if it could not be made

 private:
  std::string path_;
};

/// What open_netcdf(path) says as user "nobody" (uid/gid 65534), from a child process:
/// the message and the exit code, or why it could not be asked.
struct AsNobody {
  std::string failure;  ///< non-empty: the check itself could not run
  std::string message;
  int code = 0;

  static AsNobody failed(std::string why) { return AsNobody{std::move(why), "", 0}; }
};

AsNobody open_as_nobody(const std::string& path, bool must_reach = true) {
  int fds[2];
  if (::pipe(fds) != 0) return AsNobody::failed("pipe: " + std::string(std::strerror(errno)));
  const pid_t child = ::fork();
  if (child < 0) return AsNobody::failed("fork: " + std::string(std::strerror(errno)));
  if (child == 0) {
    ::close(fds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    // The directories on the way must let nobody through, or the test proves nothing.
    struct stat st{};
    if (must_reach && ::stat(path.c_str(), &st) != 0) ::_exit(3);
    auto source = open_netcdf(path);
    const std::string out = source.ok() ? std::string("opened") : source.error().message;
    if (::write(fds[1], out.data(), out.size()) != static_cast<ssize_t>(out.size())) ::_exit(4);
    ::_exit(source.ok() ? 0 : 10 + static_cast<int>(source.error().code));
  }
  ::close(fds[1]);
  AsNobody result;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) result.message.append(buffer, n);
  ::close(fds[0]);
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return AsNobody::failed("the child did not exit normally");
  switch (WEXITSTATUS(status)) {
    case 2: return AsNobody::failed("cannot become user nobody (no CAP_SETUID/CAP_SETGID?)");
    case 3: return AsNobody::failed("user nobody cannot reach " + path + " (a directory on the way is closed to others)");
    case 4: return AsNobody::failed("the child could not report its result");
    default: break;
  }
  result.code = WEXITSTATUS(status) >= 10 ? WEXITSTATUS(status) - 10 : 0;
  return result;
}

TEST_F(NetcdfOpenTest, UnreadableFileSaysSo) {
  // Root reads anything: then the check runs as user "nobody", who must reach the file.
  const bool root = ::geteuid() == 0;
  TraversableDir private_dir;
  if (root) {
    ASSERT_FALSE(private_dir.path().empty()) << "mkdtemp/chmod in /tmp: " << std::strerror(errno);
  }
  const std::string p = root ? private_dir.path() + "/secret.nc" : path("secret.nc");
  int ncid;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER, &ncid));
  NC_OK(nc_close(ncid));
  ASSERT_EQ(::chmod(p.c_str(), 0), 0);
  const std::string expected = p + ": cannot read: " + std::strerror(EACCES);
  if (!root) {
    auto source = open_netcdf(p);
    ASSERT_FALSE(source.ok());
    EXPECT_EQ(source.error().code, ExitCode::kRuntime);
    EXPECT_EQ(source.error().message, expected);
    return;
  }
  const AsNobody nobody = open_as_nobody(p);
  ASSERT_EQ(nobody.failure, "");
  EXPECT_EQ(nobody.code, static_cast<int>(ExitCode::kRuntime));
  EXPECT_EQ(nobody.message, expected);
}

TEST_F(NetcdfOpenTest, AClosedDirectoryOnTheWaySaysSo) {
  // A directory above the file keeps the user out: the file is fine, the path is not, and
  // the message says which (it was a bare "Permission denied"). Root passes any directory,
  // so as root the check runs as user "nobody" behind a 0700 directory; any other user is
  // kept out of its own directory by mode 0.
  const bool root = ::geteuid() == 0;
  TraversableDir private_dir;
  ASSERT_FALSE(private_dir.path().empty());
  const std::string p = private_dir.path() + "/data.nc";
  int ncid;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER, &ncid));
  NC_OK(nc_close(ncid));
  ASSERT_EQ(::chmod(p.c_str(), 0644), 0);
  ASSERT_EQ(::chmod(private_dir.path().c_str(), root ? 0700 : 0), 0);
  const std::string expected =
      p + ": cannot reach (a directory on the way is closed to this user): " + std::strerror(EACCES);
  if (!root) {
    auto source = open_netcdf(p);
    ::chmod(private_dir.path().c_str(), 0700);  // so that it can be removed
    ASSERT_FALSE(source.ok());
    EXPECT_EQ(source.error().code, ExitCode::kRuntime);
    EXPECT_EQ(source.error().message, expected);
    return;
  }
  const AsNobody nobody = open_as_nobody(p, false);
  ASSERT_EQ(nobody.failure, "");
  EXPECT_EQ(nobody.code, static_cast<int>(ExitCode::kRuntime));
  EXPECT_EQ(nobody.message, expected);
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
