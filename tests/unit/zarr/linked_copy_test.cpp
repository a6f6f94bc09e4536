// Append mode's copy (linked_copy.hpp): the store's files hard-linked into the copy but the
// metadata and the rewritten ones; idempotent; a symbolic link in the store refused.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "store_test_util.hpp"
#include "zpmpi/zarr/linked_copy.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

ino_t inode(const fs::path& p) {
  struct stat st{};
  return ::lstat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(LinkStoreFiles, LinksChunksNotMetadataNorRewritten) {
  const fs::path dir = fresh_dir("linked_copy");
  const fs::path store = dir / "s.zarr", copy = dir / "copy";
  spit(store / ".zmetadata", "{}");
  spit(store / ".zgroup", "{}");
  spit(store / "t" / ".zarray", "{}");
  spit(store / "t" / "0.0", "a");
  spit(store / "t" / "1.0", "b");
  spit(store / "time" / "0", "c");
  spit(store / ".zpmpi" / "stats.json", "{}");
  spit(store / "v" / "c" / "0" / "1", "d");  // v3 nested keys
  spit(store / "v" / "zarr.json", "{}");
  fs::create_directories(copy);
  const auto linked = link_store_files(store, copy, {"t/1.0", "time/0"});
  ASSERT_TRUE(linked.ok()) << linked.error().message;
  EXPECT_EQ(*linked, 2u);
  EXPECT_EQ(inode(copy / "t" / "0.0"), inode(store / "t" / "0.0"));
  EXPECT_EQ(inode(copy / "v" / "c" / "0" / "1"), inode(store / "v" / "c" / "0" / "1"));
  for (const char* absent : {".zmetadata", ".zgroup", "t/.zarray", "t/1.0", "time/0", ".zpmpi", "v/zarr.json"})
    EXPECT_FALSE(fs::exists(fs::symlink_status(copy / absent))) << absent;
  // Again (a resumed copy): nothing more, nothing replaced.
  spit(copy / "t" / "1.0", "rewritten");
  const auto again = link_store_files(store, copy, {"t/1.0", "time/0"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
  EXPECT_EQ(slurp(copy / "t" / "1.0"), "rewritten");
  EXPECT_EQ(slurp(store / "t" / "1.0"), "b");
}

TEST(LinkStoreFiles, RefusesASymbolicLinkNamingIt) {
  const fs::path dir = fresh_dir("linked_copy_link");
  const fs::path store = dir / "s.zarr", copy = dir / "copy";
  spit(dir / "elsewhere", "x");
  spit(store / "t" / "0.0", "a");
  fs::create_symlink(dir / "elsewhere", store / "t" / "1.0");
  fs::create_directories(copy);
  const auto linked = link_store_files(store, copy, {});
  ASSERT_FALSE(linked.ok());
  EXPECT_NE(linked.error().message.find("t/1.0"), std::string::npos) << linked.error().message;
  EXPECT_NE(linked.error().message.find("not a regular file"), std::string::npos);
  EXPECT_FALSE(fs::exists(fs::symlink_status(copy / "t" / "1.0")));
}

}  // namespace
}  // namespace zpmpi::zarr
