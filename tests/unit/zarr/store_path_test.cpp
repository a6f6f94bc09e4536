// Resolving the configured store path once: trailing "/" and ".", "..", links, the cwd.
#include "zpmpi/zarr/store_path.hpp"

#include <gtest/gtest.h>

#include "store_test_util.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

fs::path resolved(const std::string& spec, const fs::path& cwd) {
  auto r = resolve_store_path(spec, cwd);
  EXPECT_TRUE(r.ok()) << spec << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? r->path : fs::path();
}

TEST(ResolveStorePath, TrailingSlashesAndDotsNameTheEntryItself) {
  const fs::path base = fresh_dir("path_trailing");
  for (const char* spec : {"s.zarr", "s.zarr/", "s.zarr/.", "s.zarr/./", "s.zarr//.//", "./s.zarr", "x/../s.zarr"})
    EXPECT_EQ(resolved(spec, base), base / "s.zarr") << spec;
  EXPECT_EQ(resolved((base / "s.zarr/.").string(), "/"), base / "s.zarr");
  auto r = resolve_store_path("s.zarr/.", base);
  EXPECT_EQ(r->name(), "s.zarr");
  EXPECT_EQ(r->parent(), base);
  EXPECT_EQ(r->spec, "s.zarr/.");
}

TEST(ResolveStorePath, ANulByteIsRefused) {
  // The last guard (the job file refuses it first): every system call would see "run".
  auto r = resolve_store_path(std::string("run\0/x", 6), fresh_dir("path_nul"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "store: the path contains a NUL byte");
}

TEST(ResolveStorePath, DotIsTheWorkingDirectory) {
  const fs::path base = fresh_dir("path_dot");
  fs::create_directories(base / "s.zarr");
  EXPECT_EQ(resolved(".", base / "s.zarr"), base / "s.zarr");
  EXPECT_EQ(resolved("./", base / "s.zarr"), base / "s.zarr");
  EXPECT_EQ(resolved("..", base / "s.zarr"), base);
  EXPECT_EQ(resolved("sub/..", base), base);
}

TEST(ResolveStorePath, TheFinalLinkIsKeptAndTheParentIsCanonical) {
  const fs::path base = fresh_dir("path_links");
  fs::create_directories(base / "real" / "s.zarr");
  fs::create_directory_symlink(base / "real" / "s.zarr", base / "l.zarr");
  fs::create_directory_symlink(base / "real", base / "dirlink");
  // "l.zarr/" would follow the link in POSIX; the store is the link itself.
  EXPECT_EQ(resolved("l.zarr/", base), base / "l.zarr");
  EXPECT_EQ(resolved("l.zarr/.", base), base / "l.zarr");
  // A link in the parent is resolved, so both spellings meet at one lock and one sibling.
  EXPECT_EQ(resolved("dirlink/s.zarr", base), base / "real" / "s.zarr");
  EXPECT_EQ(resolved("dirlink/new.zarr", base), base / "real" / "new.zarr");
  EXPECT_EQ(resolved("missing/deeper/new.zarr", base), base / "missing" / "deeper" / "new.zarr");
  // ".." after a link is the kernel's: the parent of the link's target.
  EXPECT_EQ(resolved("l.zarr/..", base), base / "real");
}

TEST(ResolveStorePath, EmptyAndRootAreErrors) {
  for (const char* spec : {"", "/", "/.", "//", "/..", "/../."}) {
    auto r = resolve_store_path(spec, "/tmp");
    ASSERT_FALSE(r.ok()) << spec;
    EXPECT_EQ(r.error().code, ExitCode::kRuntime);
  }
  EXPECT_EQ(resolve_store_path("", "/tmp").error().message, "store: the path is empty");
  EXPECT_EQ(resolve_store_path("/.", "/tmp").error().message, "store /.: cannot be the root directory");
}

TEST(IsWithin, ComparesWholeComponents) {
  EXPECT_TRUE(is_within("/a/b", "/a/b"));
  EXPECT_TRUE(is_within("/a/b/c.nc", "/a/b"));
  EXPECT_TRUE(is_within("/a/b/c/d", "/a/b/"));
  EXPECT_TRUE(is_within("/a/b/./c", "/a/b"));
  EXPECT_FALSE(is_within("/a/bc", "/a/b"));
  EXPECT_FALSE(is_within("/a", "/a/b"));
  EXPECT_FALSE(is_within("/a/b/../c", "/a/b"));
  EXPECT_TRUE(is_within("/anything", "/"));
}

}  // namespace
}  // namespace zpmpi::zarr
