// What zpmpi may delete: only Zarr entries and its own, never what else a directory holds.
#include "zpmpi/zarr/store_contents.hpp"

#include <gtest/gtest.h>

#include "store_test_util.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

/// Every kind of entry zpmpi or zarr-python may leave in a store.
void make_full_store(const fs::path& s) {
  make_store(s);
  spit(s / "t2m" / ".0.0.1.tmp3", "half a chunk");          // a temporary chunk of writer 3
  spit(s / "t2m" / ".zattrs.tmp", "{");                     // a temporary metadata document
  spit(s / "nested" / ".zarray", "{\"dimension_separator\": \"/\"}");
  spit(s / "nested" / "0" / "1" / "2", "c");                // dimension_separator "/"
  spit(s / "nested" / "0" / "1" / ".3.tmp0", "c");
  spit(s / "sub" / ".zgroup", "{}");                        // a sub-group with an array
  spit(s / "sub" / "v" / ".zarray", "{}");
  spit(s / "sub" / "v" / "0", "c");
  spit(s / "unfinished" / "3.4", "c");                      // an array without .zarray yet
  spit(s / ".zpmpi" / "owner", "zpmpi-lock 1\n");           // a run's marker
  fs::create_directories(s / "empty_array");
}

TEST(IsZarrStore, NeedsADirectoryWithAZarrDocument) {
  const fs::path base = fresh_dir("contents_is_store");
  for (const char* doc : {".zgroup", ".zarray", ".zmetadata"}) {
    spit(base / doc / "d" / doc, "{}");
    EXPECT_TRUE(is_zarr_store(base / doc / "d")) << doc;
  }
  spit(base / "plain" / ".zattrs", "{}");  // attributes alone are not a store
  EXPECT_FALSE(is_zarr_store(base / "plain"));
  spit(base / "file", "x");
  EXPECT_FALSE(is_zarr_store(base / "file"));
  EXPECT_FALSE(is_zarr_store(base / "missing"));
  fs::create_directory_symlink(base / ".zgroup" / "d", base / "link");
  EXPECT_FALSE(is_zarr_store(base / "link"));  // a link is not a store, wherever it points
}

TEST(FindForeignEntries, AStoreOfEveryKindHasNone) {
  const fs::path s = fresh_dir("contents_full") / "s.zarr";
  make_full_store(s);
  const ForeignEntries found = find_foreign_entries(s);
  EXPECT_EQ(found.count, 0u) << found.first;
  // An array at the root (a store that is one array).
  const fs::path a = fresh_dir("contents_array") / "a.zarr";
  spit(a / ".zarray", "{}");
  spit(a / "0.1", "c");
  EXPECT_EQ(find_foreign_entries(a).count, 0u);
}

TEST(FindForeignEntries, NamesTheFirstAndCountsTheOthers) {
  struct Case {
    const char* what;
    fs::path entry;  // relative to the store
  };
  const std::vector<Case> cases = {
      {"the source beside a stray .zgroup", "era5.nc"},
      {"a note in an array", "t2m/notes.txt"},
      {"a chunk-like name in the group", "0.0"},
      {"a hidden directory", ".git/HEAD"},
      {"a non-digit directory in an array", "t2m/backup/0.0.0"},
      {"a name in a chunk directory", "nested/0/readme"},
      {"a chunk key with a letter", "t2m/0.0.x"},
      {"a zpmpi marker below the root", "t2m/.zpmpi"},
      {"a temporary with a foreign key", "t2m/.notes.tmp1"},
  };
  for (const auto& c : cases) {
    const fs::path s = fresh_dir("contents_foreign") / "s.zarr";
    make_full_store(s);
    spit(s / c.entry, "user data");
    const ForeignEntries found = find_foreign_entries(s);
    EXPECT_EQ(found.count, 1u) << c.what;
    // The first foreign entry is the file, or the directory that holds it when the
    // directory itself is not Zarr.
    EXPECT_TRUE(found.first == s / c.entry || found.first == s / c.entry.parent_path()) << c.what << ": "
                                                                                        << found.first;
  }
  const fs::path s = fresh_dir("contents_count") / "s.zarr";
  spit(s / ".zgroup", "{}");
  spit(s / "a.nc", "x");
  spit(s / "b.nc", "x");
  spit(s / "c.nc", "x");
  const ForeignEntries found = find_foreign_entries(s);
  EXPECT_EQ(found.count, 3u);
  EXPECT_EQ(found.first.parent_path(), s);
}

TEST(FindForeignEntries, LinksAreForeignAndNotFollowed) {
  const fs::path base = fresh_dir("contents_links");
  spit(base / "elsewhere" / "precious.nc", "keep");
  const fs::path s = base / "s.zarr";
  make_store(s);
  fs::create_symlink(base / "elsewhere" / "precious.nc", s / "t2m" / "2.0.0");
  fs::create_directory_symlink(base / "elsewhere", s / "linked");
  const ForeignEntries found = find_foreign_entries(s);
  EXPECT_EQ(found.count, 2u);
  EXPECT_EQ(find_foreign_entries(base / "elsewhere" / "precious.nc").count, 1u);  // not a directory
}

TEST(RemoveZarrTree, RemovesAWholeStoreAndToleratesAbsence) {
  const fs::path base = fresh_dir("contents_remove");
  make_full_store(base / "s.zarr");
  ASSERT_TRUE(remove_zarr_tree(base / "s.zarr").ok());
  EXPECT_TRUE(names_in(base).empty());
  EXPECT_TRUE(remove_zarr_tree(base / "s.zarr").ok());
}

TEST(RemoveZarrTree, LeavesForeignEntriesAndWhatHoldsThem) {
  const fs::path base = fresh_dir("contents_remove_foreign");
  const fs::path s = base / "s.zarr";
  make_full_store(s);
  spit(s / "t2m" / "notes.txt", "mine");
  spit(base / "elsewhere" / "precious.nc", "keep");
  fs::create_directory_symlink(base / "elsewhere", s / "sub" / "v" / "1");
  auto st = remove_zarr_tree(s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("left " + s.string() + " in place: it holds "), std::string::npos);
  EXPECT_NE(st.error().message.find(", which is not part of a Zarr store (and 1 other such entries)"),
            std::string::npos)
      << st.error().message;
  // What remains: exactly the foreign entries and the directories on their way.
  EXPECT_EQ(snapshot(s), (std::map<std::string, std::string>{
                             {"t2m", "<dir>"},
                             {"t2m/notes.txt", "mine"},
                             {"sub", "<dir>"},
                             {"sub/v", "<dir>"},
                             {"sub/v/1", "<link " + (base / "elsewhere").string() + ">"}}));
  EXPECT_EQ(slurp(base / "elsewhere" / "precious.nc"), "keep");
  EXPECT_FALSE(remove_zarr_tree(base / "elsewhere" / "precious.nc").ok());
  EXPECT_EQ(slurp(base / "elsewhere" / "precious.nc"), "keep");
}

}  // namespace
}  // namespace zpmpi::zarr
