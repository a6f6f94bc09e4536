// Zarr v3 stores on disk: the skeleton without a root zarr.json, chunk files in the "c"
// tree whose directories are made as chunks arrive, never through a link.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <latch>
#include <thread>

#include "store_test_util.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_entry.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

Status put(const fs::path& store, const std::string& array, const std::string& key, const std::string& text,
           int writer = 0, bool durable = false) {
  return write_chunk(store, array, key, std::as_bytes(std::span(text)), writer, durable);
}

std::string link_message(const fs::path& link) {
  return link.string() + " is a symbolic link where a store entry should be; zpmpi writes nothing in a store through "
                         "a link: remove the link";
}

TEST(CreateStoreV3, MakesTheArraysAndNoDocumentThatCouldLookComplete) {
  const fs::path store = fresh_dir("v3_create") / "deeper" / "s.zarr";
  ASSERT_TRUE(create_store(store, {"t2m", "c"}, ZarrFormat::kV3).ok());  // "c" is a fine array name
  EXPECT_EQ(names_in(store), (std::vector<std::string>{"c", "t2m"}));
  EXPECT_TRUE(names_in(store / "t2m").empty());
  EXPECT_EQ(complete_store_format(store), std::nullopt);
  const Status refused = create_store(fresh_dir("v3_create_refused") / "s.zarr", {"zarr.json"}, ZarrFormat::kV3);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("invalid array name 'zarr.json'"), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(create_store(fresh_dir("v3_create_v2") / "s.zarr", {"zarr.json"}).ok());  // a v2 directory name
}

TEST(WriteChunkV3, MakesTheDirectoriesOfTheKeyAndLeavesNoTemporaries) {
  const fs::path store = fresh_dir("v3_chunk") / "s.zarr";
  ASSERT_TRUE(create_store(store, {"t2m", "scalar"}, ZarrFormat::kV3).ok());
  ASSERT_TRUE(put(store, "t2m", "c/3/0/1", "a", 4).ok());
  ASSERT_TRUE(put(store, "t2m", "c/3/0/2", "b", 4, /*durable=*/true).ok());
  ASSERT_TRUE(put(store, "t2m", "c/3/1/0", "first").ok());
  ASSERT_TRUE(put(store, "t2m", "c/3/1/0", "second", 1).ok());  // replaced whole
  ASSERT_TRUE(put(store, "scalar", "c", "s", 2).ok());
  EXPECT_EQ(slurp(store / "t2m" / "c" / "3" / "0" / "1"), "a");
  EXPECT_EQ(slurp(store / "t2m" / "c" / "3" / "0" / "2"), "b");
  EXPECT_EQ(slurp(store / "t2m" / "c" / "3" / "1" / "0"), "second");
  EXPECT_EQ(names_in(store / "t2m" / "c" / "3" / "0"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(names_in(store / "scalar"), std::vector<std::string>{"c"});
  // The array's directory itself is never made: a missing array is an error.
  const Status missing = put(store, "nope", "c/0", "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "cannot write " + (store / "nope" / "c" / "0").string() +
                                         ": No such file or directory");
  EXPECT_FALSE(fs::exists(store / "nope"));
}

/// Runs `step(w, i)` for i = 0, 1, ... `rounds` - 1 on each of `writers` threads started
/// at once, so that they meet at each step; what each thread's first failure said ("" if none).
std::vector<std::string> race(int writers, int rounds, const std::function<std::string(int, int)>& step) {
  std::vector<std::string> failures(static_cast<std::size_t>(writers));
  std::latch start(writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      start.arrive_and_wait();
      for (int i = 0; i < rounds && failures[w].empty(); ++i) failures[w] = step(w, i);
    });
  for (auto& t : threads) t.join();
  return failures;
}

TEST(WriteChunkV3, ConcurrentWritersCreateTheSameDirectoriesWithoutFailing) {
  const fs::path store = fresh_dir("v3_concurrent") / "s.zarr";
  ASSERT_TRUE(create_store(store, {"t2m"}, ZarrFormat::kV3).ok());
  constexpr int kWriters = 8;
  constexpr int kLevels = 40;
  // Every writer walks the same new levels in the same order, so they race on each mkdir:
  // the losers see EEXIST (or find the level made between their open and mkdir).
  const auto failures = race(kWriters, kLevels, [&](int w, int i) {
    const std::string key = "c/" + std::to_string(i) + "/0/" + std::to_string(w);
    const Status st = put(store, "t2m", key, key, w);
    return st.ok() ? std::string() : st.error().message;
  });
  EXPECT_EQ(failures, std::vector<std::string>(kWriters));
  for (int i = 0; i < kLevels; ++i)
    EXPECT_EQ(names_in(store / "t2m" / "c" / std::to_string(i) / "0").size(), static_cast<std::size_t>(kWriters));
}

TEST(WriteChunkV3, ALinkAtALevelOfTheTreeIsRefusedAndNothingLandsBehindIt) {
  for (const std::string level : {"c", "c/0"}) {
    const fs::path dir = fresh_dir("v3_link_level");
    const fs::path store = dir / "s.zarr";
    ASSERT_TRUE(create_store(store, {"t2m"}, ZarrFormat::kV3).ok());
    fs::create_directories((store / "t2m" / level).parent_path());
    fs::create_directory(dir / "elsewhere");
    fs::create_directory_symlink(dir / "elsewhere", store / "t2m" / level);
    const Status st = put(store, "t2m", "c/0/1", "chunk");
    ASSERT_FALSE(st.ok()) << level;
    EXPECT_EQ(st.error().message, link_message(store / "t2m" / level));
    EXPECT_TRUE(fs::is_empty(dir / "elsewhere")) << level;
    // A dangling link is refused too, not created through.
    fs::remove(store / "t2m" / level);
    fs::create_directory_symlink(dir / "missing", store / "t2m" / level);
    const Status dangling = put(store, "t2m", "c/0/1", "chunk");
    ASSERT_FALSE(dangling.ok()) << level;
    EXPECT_EQ(dangling.error().message, link_message(store / "t2m" / level));
    EXPECT_FALSE(fs::exists(dir / "missing")) << level;
  }
}

TEST(WriteChunkV3, AFileWhereADirectoryShouldBeIsAnErrorNamingIt) {
  const fs::path store = fresh_dir("v3_file_level") / "s.zarr";
  ASSERT_TRUE(create_store(store, {"t2m"}, ZarrFormat::kV3).ok());
  spit(store / "t2m" / "c" / "0", "a stray file");
  const Status st = put(store, "t2m", "c/0/1", "chunk");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, (store / "t2m" / "c" / "0").string() + " is not a directory where the store has one");
  EXPECT_EQ(slurp(store / "t2m" / "c" / "0"), "a stray file");
}

TEST(WriteChunkV3, AKeyThatClimbsOutOfTheArrayIsRefused) {
  const fs::path store = fresh_dir("v3_climb") / "s.zarr";
  ASSERT_TRUE(create_store(store, {"t2m", "u"}, ZarrFormat::kV3).ok());
  EXPECT_FALSE(put(store, "t2m", "c/../../u/x", "chunk").ok());
  EXPECT_FALSE(put(store, "t2m", "c/./0", "chunk").ok());
  EXPECT_TRUE(names_in(store / "u").empty());
  EXPECT_FALSE(fs::exists(store / "t2m" / "c"));
}

TEST(OpenOrMakeStoreDir, ConcurrentCreatorsOfOneLevelAllEnterIt) {
  // The race of the test above, many times over: without a file write between two levels,
  // writers meet at each mkdir often (EEXIST), and every one must enter the level.
  const fs::path store = fresh_dir("v3_concurrent_dirs") / "s.zarr";
  fs::create_directories(store / "t2m");
  constexpr int kWriters = 8;
  constexpr int kLevels = 200;
  const auto failures = race(kWriters, kLevels, [&](int, int i) {
    UniqueFd fd;
    const auto failure = open_or_make_store_dir(store, "t2m", "c/" + std::to_string(i) + "/0", fd);
    return failure ? failure->path.string() + ": " + std::strerror(failure->error) : std::string();
  });
  EXPECT_EQ(failures, std::vector<std::string>(kWriters));
  EXPECT_EQ(names_in(store / "t2m" / "c").size(), static_cast<std::size_t>(kLevels));
}

TEST(OpenOrMakeStoreDir, MakesOnlyBelowTheExistingPart) {
  const fs::path store = fresh_dir("v3_open_or_make") / "s.zarr";
  fs::create_directories(store / "a");
  UniqueFd fd;
  EXPECT_EQ(open_or_make_store_dir(store, "a", "c/1/2", fd), std::nullopt);
  EXPECT_GE(fd.fd, 0);
  EXPECT_TRUE(fs::is_directory(store / "a" / "c" / "1" / "2"));
  const auto missing = open_or_make_store_dir(store, "b", "c", fd);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->kind, EntryKind::kMissing);
  EXPECT_EQ(missing->path, store / "b");
  EXPECT_FALSE(fs::exists(store / "b"));
}

TEST(TemporaryName, HiddenBesideItsFileAndReadBack) {
  EXPECT_EQ(temporary_name("0.3.1", 7), ".0.3.1.tmp7");
  EXPECT_EQ(temporary_name("1", 0), ".1.tmp0");
  EXPECT_EQ(temporary_name("c", 12), ".c.tmp12");
  for (const char* name : {"0.3.1", "1", "c"}) EXPECT_EQ(temporary_of(temporary_name(name, 3)), name);
  for (const char* other : {".zarray.tmp", "0.3", ".x.tmp", ".1.tmp", ".tmp3", "1.tmp3", ".1.tmp3x"})
    EXPECT_EQ(temporary_of(other), "") << other;
}

}  // namespace
}  // namespace zpmpi::zarr
