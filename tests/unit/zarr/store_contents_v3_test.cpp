// What zpmpi may delete, and when a store is complete, for Zarr v3 stores (and v2 beside them).
#include "zpmpi/zarr/store_contents.hpp"

#include <gtest/gtest.h>

#include "store_test_util.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

const char* kGroupDoc = R"({"zarr_format": 3, "node_type": "group", "attributes": {}})";
const char* kArrayDoc = R"({"zarr_format": 3, "node_type": "array", "shape": [4, 4]})";
const char* kRootDoc =
    R"({"zarr_format": 3, "node_type": "group", "consolidated_metadata": {"kind": "inline", "metadata": {}}})";

/// Every kind of entry zpmpi or zarr-python 3 may leave in a v3 store.
void make_v3_store(const fs::path& s) {
  spit(s / "zarr.json", kRootDoc);
  spit(s / "t2m" / "zarr.json", kArrayDoc);
  spit(s / "t2m" / "c" / "0" / "1", "chunk or shard");
  spit(s / "t2m" / "c" / "0" / ".2.tmp3", "half a shard of writer 3");
  spit(s / "t2m" / "zarr.json.tmp", "{");
  spit(s / "scalar" / "zarr.json", kArrayDoc);
  spit(s / "scalar" / "c", "the 0-d chunk");
  spit(s / "scalar" / ".c.tmp0", "c");
  spit(s / "dotted" / "zarr.json", kArrayDoc);
  spit(s / "dotted" / "c.0.1", "separator '.'");
  spit(s / "sub" / "zarr.json", kGroupDoc);  // a sub-group with an array named "c"
  spit(s / "sub" / "c" / "zarr.json", kArrayDoc);
  spit(s / "sub" / "c" / "c" / "0", "c");
  spit(s / ".zpmpi" / "owner", "zpmpi-lock 1\n");
}

TEST(FindForeignEntriesV3, AStoreOfEveryKindHasNone) {
  const fs::path s = fresh_dir("contents_v3_full") / "s.zarr";
  make_v3_store(s);
  const ForeignEntries found = find_foreign_entries(s);
  EXPECT_EQ(found.count, 0u) << found.first;
  // A run's copy before any document: arrays are known by what they hold.
  const fs::path copy = fresh_dir("contents_v3_copy") / "copy";
  spit(copy / ".zpmpi" / "owner", "x");
  spit(copy / "t2m" / "c" / "3" / "0" / ".1.tmp0", "x");
  spit(copy / "t2m" / "c" / "3" / "0" / "0", "x");
  fs::create_directories(copy / "u");
  EXPECT_EQ(find_foreign_entries(copy).count, 0u) << find_foreign_entries(copy).first;
  // A store that is one v3 array.
  const fs::path a = fresh_dir("contents_v3_array") / "a.zarr";
  spit(a / "zarr.json", kArrayDoc);
  spit(a / "c" / "0" / "1", "c");
  EXPECT_EQ(find_foreign_entries(a).count, 0u) << find_foreign_entries(a).first;
}

TEST(FindForeignEntriesV3, NamesWhatIsNotPartOfTheStore) {
  struct Case {
    const char* what;
    fs::path entry;
  };
  const std::vector<Case> cases = {
      {"a name in the chunk tree", "t2m/c/0/readme"},
      {"a non-digit directory below c", "t2m/c/x/0"},
      {"a directory other than c in a v3 array", "t2m/d/0"},
      {"c with a letter", "dotted/c.0.x"},
      {"a temporary of a foreign name", "t2m/c/0/.notes.tmp1"},
      {"the 0-d chunk in a group", "sub/c.tmp"},
  };
  for (const auto& c : cases) {
    const fs::path s = fresh_dir("contents_v3_foreign") / "s.zarr";
    make_v3_store(s);
    spit(s / c.entry, "user data");
    const ForeignEntries found = find_foreign_entries(s);
    EXPECT_EQ(found.count, 1u) << c.what << ": " << found.first;
    EXPECT_TRUE(found.first == s / c.entry || found.first == s / c.entry.parent_path()) << c.what << ": "
                                                                                        << found.first;
  }
}

TEST(FindForeignEntriesV3, AGroupHoldsNoChunkFilesItsNodeTypeDecides) {
  const fs::path s = fresh_dir("contents_v3_group") / "s.zarr";
  make_v3_store(s);
  spit(s / "grp" / "zarr.json", kGroupDoc);
  spit(s / "grp" / "c" / "0" / "1", "below an array 'c' a run has not finished: fine");
  EXPECT_EQ(find_foreign_entries(s).count, 0u) << find_foreign_entries(s).first;
  spit(s / "grp" / "0", "a chunk key in a group");
  spit(s / "grp" / "c.0", "a v3 key in a group");
  EXPECT_EQ(find_foreign_entries(s).count, 2u);
  // The same names in an array are its chunks.
  spit(s / "grp" / "zarr.json", kArrayDoc);
  EXPECT_EQ(find_foreign_entries(s).count, 0u) << find_foreign_entries(s).first;
}

TEST(FindForeignEntriesV3, LinksInTheTreeAreForeignAndNotFollowed) {
  for (const std::string level : {"t2m/c", "t2m/c/0", "t2m/c/0/1", "t2m/zarr.json"}) {
    const fs::path base = fresh_dir("contents_v3_links");
    spit(base / "elsewhere" / "precious.nc", "keep");
    const fs::path s = base / "s.zarr";
    make_v3_store(s);
    fs::remove_all(s / level);
    fs::create_directory_symlink(base / "elsewhere", s / level);
    const ForeignEntries found = find_foreign_entries(s);
    EXPECT_EQ(found.count, 1u) << level;
    EXPECT_EQ(found.first, s / level);
    EXPECT_FALSE(remove_zarr_tree(s).ok()) << level;
    EXPECT_EQ(slurp(base / "elsewhere" / "precious.nc"), "keep") << level;
  }
}

TEST(RemoveZarrTreeV3, RemovesAV3StoreAndAV2StoreAlike) {
  const fs::path base = fresh_dir("contents_v3_remove");
  make_v3_store(base / "v3.zarr");
  make_store(base / "v2.zarr");
  ASSERT_TRUE(remove_zarr_tree(base / "v3.zarr").ok());
  ASSERT_TRUE(remove_zarr_tree(base / "v2.zarr").ok());
  EXPECT_TRUE(names_in(base).empty());
}

TEST(IsZarrStoreV3, AV3DocumentMakesAStoreAnotherZarrJsonDoesNot) {
  const fs::path base = fresh_dir("contents_v3_is_store");
  spit(base / "group" / "zarr.json", kGroupDoc);
  spit(base / "array" / "zarr.json", kArrayDoc);
  EXPECT_TRUE(is_zarr_store(base / "group"));
  EXPECT_TRUE(is_zarr_store(base / "array"));
  // A job's own config named zarr.json, or a v2 or broken document of that name: not a store.
  for (const char* text : {R"({"store": "out.zarr", "chunks": {}})", R"({"zarr_format": 2, "node_type": "group"})",
                           R"({"zarr_format": 3})", "{", "[3]"}) {
    spit(base / "other" / "zarr.json", text);
    EXPECT_FALSE(is_zarr_store(base / "other")) << text;
  }
  fs::create_directories(base / "linked");
  fs::create_symlink(base / "group" / "zarr.json", base / "linked" / "zarr.json");
  EXPECT_FALSE(is_zarr_store(base / "linked"));  // a document behind a link is not read
}

TEST(CompleteStoreFormat, TheDocumentWrittenLastOfEitherFormat) {
  const fs::path base = fresh_dir("contents_complete");
  make_store(base / "v2");
  EXPECT_EQ(complete_store_format(base / "v2"), ZarrFormat::kV2);
  make_v3_store(base / "v3");
  EXPECT_EQ(complete_store_format(base / "v3"), ZarrFormat::kV3);
  // Unfinished: v2 without .zmetadata; v3 with a plain group document at the root (what a
  // skeleton would look like if it wrote one) or none.
  spit(base / "v2_open" / ".zgroup", "{}");
  EXPECT_EQ(complete_store_format(base / "v2_open"), std::nullopt);
  spit(base / "v3_plain" / "zarr.json", kGroupDoc);
  EXPECT_TRUE(is_zarr_store(base / "v3_plain"));
  EXPECT_EQ(complete_store_format(base / "v3_plain"), std::nullopt);
  spit(base / "v3_none" / "t2m" / "c" / "0", "x");
  EXPECT_EQ(complete_store_format(base / "v3_none"), std::nullopt);
  spit(base / "v3_not_object" / "zarr.json",
       R"({"zarr_format": 3, "node_type": "group", "consolidated_metadata": null})");
  EXPECT_EQ(complete_store_format(base / "v3_not_object"), std::nullopt);
  // Links: at the completion document, or the store itself.
  spit(base / "linked_v2" / ".zgroup", "{}");
  fs::create_symlink(base / "v2" / ".zmetadata", base / "linked_v2" / ".zmetadata");
  EXPECT_EQ(complete_store_format(base / "linked_v2"), std::nullopt);
  fs::create_directories(base / "linked_v3");
  fs::create_symlink(base / "v3" / "zarr.json", base / "linked_v3" / "zarr.json");
  EXPECT_EQ(complete_store_format(base / "linked_v3"), std::nullopt);
  fs::create_directory_symlink(base / "v3", base / "store_link");
  EXPECT_EQ(complete_store_format(base / "store_link"), std::nullopt);
  EXPECT_EQ(complete_store_format(base / "missing"), std::nullopt);
}

}  // namespace
}  // namespace zpmpi::zarr
