// Issue 25, item 7: the --stats file overwrote the job's source, the job file and files of
// the store. It is judged like the store path, before anything runs.
#include "zpmpi/zarr/side_file.hpp"

#include <gtest/gtest.h>

#include "store_test_util.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

struct Check {
  fs::path cwd;
  std::vector<ProtectedPath> protect;
  Status operator()(const std::string& file, const std::string& store = "out.zarr") const {
    return check_side_file("--stats", file, store, protect, cwd);
  }
};

Check in(const fs::path& dir) {
  spit(dir / "era5.nc", "netcdf");
  spit(dir / "more" / "era5_b.nc", "netcdf");
  spit(dir / "job.json", "{}");
  return Check{dir, {{"the source", "era5.nc"}, {"the source", "more/era5_b.nc"}, {"the job file", "job.json"}}};
}

TEST(SideFile, NeverTheSourceOrTheJobFileHoweverSpelt) {
  const fs::path dir = fresh_dir("side_protected");
  const Check check = in(dir);
  const Status st = check("era5.nc");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "--stats era5.nc: refusing to write the run's summary over the source era5.nc");
  EXPECT_EQ(st.error().code, ExitCode::kUsage);
  fs::create_symlink(dir / "more" / "era5_b.nc", dir / "link.json");
  fs::create_hard_link(dir / "job.json", dir / "hard.json");
  for (const std::string& spelling : std::vector<std::string>{"./era5.nc", (dir / "era5.nc").string(), "more/../more/era5_b.nc",
                                      "link.json", "hard.json", "job.json"})
    EXPECT_FALSE(check(spelling).ok()) << spelling;
  EXPECT_NE(check("hard.json").error().message.find("over the job file job.json"), std::string::npos);
  EXPECT_TRUE(check("stats.json").ok());
  EXPECT_TRUE(check("more/stats.json").ok());
}

TEST(SideFile, NeverInsideTheStoreOrItsCopiesAndLock) {
  const fs::path dir = fresh_dir("side_store");
  const Check check = in(dir);
  make_store(dir / "out.zarr");
  for (const std::string& inside : std::vector<std::string>{"out.zarr", "out.zarr/.zmetadata", "out.zarr/t2m/0.0.0", "./out.zarr/new.json"}) {
    const Status st = check(inside);
    ASSERT_FALSE(st.ok()) << inside;
    EXPECT_EQ(st.error().message, "--stats " + inside + ": refusing to write the run's summary inside the store " +
                                      (dir / "out.zarr").string());
  }
  // The store does not exist yet: the same.
  EXPECT_FALSE(check("new.zarr/.zmetadata", "new.zarr").ok());
  for (const std::string& sibling : std::vector<std::string>{".out.zarr.zpmpi-new-host-12/.zmetadata", ".out.zarr.zpmpi-lock",
                                     ".out.zarr.zpmpi-old-host-12/t2m/0"}) {
    const Status st = check(sibling);
    ASSERT_FALSE(st.ok()) << sibling;
    EXPECT_NE(st.error().message.find("a copy or the lock zpmpi keeps beside the store"), std::string::npos)
        << st.error().message;
  }
  // Beside the store is fine, and so is a store-like name of another store.
  EXPECT_TRUE(check("out.zarr.stats.json").ok());
  EXPECT_TRUE(check(".out.zarr.json").ok());
  EXPECT_TRUE(check("out.zarr2/x.json").ok());
  // Through a link to the store's parent.
  fs::create_directory_symlink(dir, dir / "here");
  EXPECT_FALSE(check("here/out.zarr/.zmetadata").ok());
}

}  // namespace
}  // namespace zpmpi::zarr
