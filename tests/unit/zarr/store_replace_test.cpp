// The run's copy and the swap: exchange, the two-rename fallback, a new store, leftovers.
#include "zpmpi/zarr/store_replace.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "store_test_util.hpp"
#include "zpmpi/zarr/store_contents.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

ProcessIdentity who() {
  ProcessIdentity p;
  p.host = "node7";
  p.pid = 4242;
  return p;
}

/// A complete copy with its marker, as StoreTransaction leaves it before commit.
fs::path built_copy(const StorePath& store) {
  const fs::path built = build_copy_path(store, who());
  make_store(built, "new chunk");
  spit(built / kMarkerName / "owner", "zpmpi-lock 1\n");
  return built;
}

TEST(CopyNames, HiddenSiblingsNamedByHostAndPid) {
  const StorePath store{"s.zarr", "/scratch/cache/s.zarr"};
  EXPECT_EQ(build_copy_path(store, who()), "/scratch/cache/.s.zarr.zpmpi-new-node7-4242");
  EXPECT_EQ(aside_path(store, who()), "/scratch/cache/.s.zarr.zpmpi-old-node7-4242");
}

TEST(SwapIntoPlace, ExchangeLeavesTheOldStoreAtTheCopysNameMarked) {
  const fs::path base = fresh_dir("replace_exchange");
  const StorePath store{"s.zarr", base / "s.zarr"};
  make_store(store.path, "old chunk");
  const auto old = snapshot(store.path);
  const fs::path built = built_copy(store);
  auto swapped = swap_into_place(built, store, aside_path(store, who()), true);
  ASSERT_TRUE(swapped.ok()) << swapped.error().message;
  EXPECT_EQ(swapped->old_store, built);
  EXPECT_EQ(slurp(store.path / "t2m" / "0.0.0"), "new chunk");
  EXPECT_FALSE(fs::exists(store.path / kMarkerName));
  auto old_now = snapshot(built);
  EXPECT_EQ(old_now.erase(".zpmpi"), 1u);  // marked, to be removed with it
  EXPECT_EQ(old_now, old);
}

/// A copy as StoreTransaction leaves it, with the run's stats and resume record.
fs::path built_copy_with_stats(const StorePath& store) {
  const fs::path built = built_copy(store);
  spit(built / kMarkerName / "resume.json", "{\"output\": \"d1\"}");
  spit(built / kMarkerName / kStatsName, "{\"chunks\": 1}\n");
  return built;
}

TEST(SwapIntoPlace, TheNewStoreKeepsOnlyItsStatsAndRecordOfTheMarkerEveryWay) {
  for (const int way : {0, 1, 2}) {  // a new store; exchange; two renames
    SCOPED_TRACE(way);
    const fs::path base = fresh_dir("replace_stats_" + std::to_string(way));
    const StorePath store{"s.zarr", base / "s.zarr"};
    if (way > 0) make_store(store.path, "old chunk");
    auto swapped = swap_into_place(built_copy_with_stats(store), store, aside_path(store, who()), way > 0, way == 1);
    ASSERT_TRUE(swapped.ok()) << swapped.error().message;
    // The resume record becomes the store's record (a later --resume compares it).
    EXPECT_EQ(names_in(store.path / kMarkerName), (std::vector<std::string>{"record.json", kStatsName}));
    EXPECT_EQ(slurp(store.path / kMarkerName / kStatsName), "{\"chunks\": 1}\n");
    EXPECT_EQ(slurp(store.path / kMarkerName / "record.json"), "{\"output\": \"d1\"}");
    if (way > 0) {
      EXPECT_TRUE(fs::is_directory(swapped->old_store / kMarkerName));
    }
  }
}

TEST(SwapIntoPlace, AMarkerPlantedAsALinkIsDroppedAndItsTargetKept) {
  // Settling the marker empties it: through a link planted in its place (by whoever could
  // write to the build copy during the run) that would have emptied the link's target.
  for (const int way : {0, 1, 2}) {  // a new store; exchange; two renames
    SCOPED_TRACE(way);
    const fs::path base = fresh_dir("replace_marker_link_" + std::to_string(way));
    const StorePath store{"s.zarr", base / "s.zarr"};
    if (way > 0) make_store(store.path, "old chunk");
    const fs::path victim = base / "precious";
    spit(victim / "data.bin", "keep me");
    spit(victim / "owner", "not zpmpi's");
    const fs::path built = build_copy_path(store, who());
    make_store(built, "new chunk");
    fs::create_directory_symlink(victim, built / kMarkerName);
    auto swapped = swap_into_place(built, store, aside_path(store, who()), way > 0, way == 1);
    ASSERT_TRUE(swapped.ok()) << swapped.error().message;
    EXPECT_EQ(names_in(victim), (std::vector<std::string>{"data.bin", "owner"}));
    EXPECT_EQ(slurp(victim / "data.bin"), "keep me");
    EXPECT_FALSE(fs::exists(fs::symlink_status(store.path / kMarkerName)));
    EXPECT_EQ(slurp(store.path / "t2m" / "0.0.0"), "new chunk");
  }
}

TEST(SwapIntoPlace, TheOldStoreKeepsItsOwnStatsAndNeverGetsTheNewRunsRecord) {
  // Before, the new run's whole marker (owner, resume.json) moved to the old store at the
  // copy's name: an old store whose removal was cut short looked like this job's
  // interrupted copy to --resume. And when the old store had a marker of its own, the new
  // store's was deleted.
  for (const bool exchange : {true, false}) {
    SCOPED_TRACE(exchange);
    const fs::path base = fresh_dir(std::string("replace_old_stats_") + (exchange ? "x" : "r"));
    const StorePath store{"s.zarr", base / "s.zarr"};
    make_store(store.path, "old chunk");
    spit(store.path / kMarkerName / kStatsName, "old stats");
    spit(store.path / kMarkerName / "record.json", "{}");
    // Swapped in by a run killed before its marker was settled: a resume record is left.
    spit(store.path / kMarkerName / "resume.json", "{}");
    auto swapped = swap_into_place(built_copy_with_stats(store), store, aside_path(store, who()), true, exchange);
    ASSERT_TRUE(swapped.ok()) << swapped.error().message;
    EXPECT_EQ(names_in(swapped->old_store / kMarkerName), (std::vector<std::string>{"record.json", kStatsName}));
    EXPECT_EQ(slurp(swapped->old_store / kMarkerName / kStatsName), "old stats");
    EXPECT_EQ(slurp(store.path / kMarkerName / kStatsName), "{\"chunks\": 1}\n");
  }
}

TEST(SwapIntoPlace, WithoutExchangeTheOldStoreGoesAside) {
  const fs::path base = fresh_dir("replace_two_renames");
  const StorePath store{"s.zarr", base / "s.zarr"};
  make_store(store.path, "old chunk");
  const fs::path built = built_copy(store);
  auto swapped = swap_into_place(built, store, aside_path(store, who()), true, /*allow_exchange=*/false);
  ASSERT_TRUE(swapped.ok()) << swapped.error().message;
  EXPECT_EQ(swapped->old_store, aside_path(store, who()));
  EXPECT_EQ(slurp(store.path / "t2m" / "0.0.0"), "new chunk");
  EXPECT_EQ(slurp(swapped->old_store / "t2m" / "0.0.0"), "old chunk");
  EXPECT_TRUE(fs::is_directory(swapped->old_store / kMarkerName));
  EXPECT_FALSE(fs::exists(built));
  EXPECT_FALSE(fs::exists(store.path / kMarkerName));
}

TEST(SwapIntoPlace, ANewStoreIsRenamedIntoPlaceWithoutItsMarker) {
  const fs::path base = fresh_dir("replace_new");
  const StorePath store{"s.zarr", base / "s.zarr"};
  const fs::path built = built_copy(store);
  auto swapped = swap_into_place(built, store, aside_path(store, who()), false);
  ASSERT_TRUE(swapped.ok()) << swapped.error().message;
  EXPECT_TRUE(swapped->old_store.empty());
  EXPECT_EQ(names_in(base), (std::vector<std::string>{"s.zarr"}));
  EXPECT_EQ(names_in(store.path), (std::vector<std::string>{".zattrs", ".zgroup", ".zmetadata", "t2m"}));
}

TEST(SwapIntoPlace, ANewStoreNeverReplacesWhatAppearedMeanwhile) {
  const fs::path base = fresh_dir("replace_appeared");
  const StorePath store{"s.zarr", base / "s.zarr"};
  const fs::path built = built_copy(store);
  spit(store.path / "mine.txt", "user");
  auto swapped = swap_into_place(built, store, aside_path(store, who()), false);
  ASSERT_FALSE(swapped.ok());
  EXPECT_EQ(swapped.error().message,
            "store " + store.path.string() + " appeared while this run was writing; not replacing it");
  EXPECT_EQ(slurp(store.path / "mine.txt"), "user");
  EXPECT_TRUE(fs::exists(built / "t2m" / "0.0.0"));
}

TEST(SwapIntoPlace, TheNewStoreTakesTheOldOnesPermissions) {
  const fs::path base = fresh_dir("replace_mode");
  const StorePath store{"s.zarr", base / "s.zarr"};
  make_store(store.path);
  for (bool exchange : {true, false}) {
    fs::permissions(store.path, fs::perms(exchange ? 0750 : 0705));
    auto swapped = swap_into_place(built_copy(store), store, aside_path(store, who()), true, exchange);
    ASSERT_TRUE(swapped.ok());
    EXPECT_EQ(fs::status(store.path).permissions() & fs::perms::mask, fs::perms(exchange ? 0750 : 0705));
    EXPECT_FALSE(fs::exists(store.path / kMarkerName));
    fs::remove_all(swapped->old_store);
  }
}

TEST(FindLeftovers, OnlyDirectoriesNamedLikeACopyOfThisStore) {
  const fs::path base = fresh_dir("replace_leftovers");
  const StorePath store{"s.zarr", base / "s.zarr"};
  fs::create_directories(base / ".s.zarr.zpmpi-new-nodeA-1" / kMarkerName);
  fs::create_directories(base / ".s.zarr.zpmpi-old-nodeB-2");
  fs::create_directories(base / ".t.zarr.zpmpi-new-nodeA-1" / kMarkerName);  // another store's
  fs::create_directories(base / ".s.zarr.zpmpi-newer");
  spit(base / ".s.zarr.zpmpi-new-file-3", "a file");
  spit(base / ".s.zarr.zpmpi-lock", "zpmpi-lock 1\n");
  auto found = find_leftovers(store);
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].path, base / ".s.zarr.zpmpi-new-nodeA-1");
  EXPECT_TRUE(found[0].marked);
  EXPECT_EQ(found[1].path, base / ".s.zarr.zpmpi-old-nodeB-2");
  EXPECT_FALSE(found[1].marked);
}

}  // namespace
}  // namespace zpmpi::zarr
