// Which chunk and shard files a v3 array holds (--resume), and a shard's checked index
// (verify): through no link, trusting no shard whose index does not check.
#include "zpmpi/zarr/chunk_files.hpp"

#include <gtest/gtest.h>

#include "store_test_util.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

std::string link_message(const fs::path& link) {
  return link.string() + " is a symbolic link where a store entry should be; zpmpi reads nothing in a store through "
                         "a link: remove the link";
}

/// A shard file of `slots` inner chunks holding `chunks` (slot -> bytes), as the writer
/// lays it out: the chunks in slot order, then the index.
std::string shard_bytes(std::uint64_t slots, const std::map<std::uint64_t, std::string>& chunks) {
  ShardIndexBuilder builder(slots);
  std::string file;
  for (const auto& [slot, bytes] : chunks) {
    EXPECT_TRUE(builder.append(slot, bytes.size()).ok());
    file += bytes;
  }
  const std::vector<std::byte> index = builder.index();
  file.append(reinterpret_cast<const char*>(index.data()), index.size());
  return file;
}

TEST(ListChunkFilesV3, MarksTheFilesOfTheGridInCOrderAndRemovesStaleTemporaries) {
  const fs::path s = fresh_dir("files_v3") / "s.zarr";
  for (const char* key : {"c/0/0", "c/1/2", "c/2/0", "c/1/02", "c/1/x", "c/0/.1.tmp3", "c/.1.tmp0", "zarr.json"})
    spit(s / "t2m" / key, "x");
  fs::create_directories(s / "t2m" / "c" / "0" / "2");  // a directory where a chunk file goes: not a chunk
  fs::create_directories(s / "t2m" / "c" / "7" / "0");  // beyond the grid: left alone
  auto listing = list_chunk_files(s, "t2m", array_files(ZarrFormat::kV3, {2, 3}));
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->present, (std::vector<bool>{true, false, false, false, false, true}));
  EXPECT_EQ(listing->count, 2u);
  EXPECT_EQ(listing->removed_temps, 2u);
  EXPECT_TRUE(listing->rejected.empty());
  EXPECT_FALSE(fs::exists(s / "t2m" / "c" / "0" / ".1.tmp3"));
  EXPECT_FALSE(fs::exists(s / "t2m" / "c" / ".1.tmp0"));
  EXPECT_TRUE(fs::exists(s / "t2m" / "c" / "1" / "02"));  // not a key: not judged, not removed
  EXPECT_TRUE(fs::exists(s / "t2m" / "c" / "2" / "0"));
}

TEST(ListChunkFilesV3, ZeroDimsMissingTreesAndV2) {
  const fs::path s = fresh_dir("files_v3_edge") / "s.zarr";
  const ArrayFiles scalar = array_files(ZarrFormat::kV3, {});
  spit(s / "a" / ".c.tmp4", "x");
  auto none = list_chunk_files(s, "a", scalar);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(none->present, std::vector<bool>{false});
  EXPECT_EQ(none->removed_temps, 1u);
  spit(s / "a" / "c", "x");
  EXPECT_EQ(list_chunk_files(s, "a", scalar)->present, std::vector<bool>{true});
  // No array directory, or no "c" in it yet: nothing written.
  EXPECT_EQ(list_chunk_files(s, "missing", array_files(ZarrFormat::kV3, {2}))->present,
            (std::vector<bool>{false, false}));
  fs::create_directories(s / "b");
  EXPECT_EQ(list_chunk_files(s, "b", array_files(ZarrFormat::kV3, {2}))->present, (std::vector<bool>{false, false}));
  // v2 is list_chunks.
  spit(s / "v2" / "1.0", "x");
  spit(s / "v2" / "01.0", "x");  // not how the key is spelt: no chunk
  EXPECT_EQ(list_chunk_files(s, "v2", array_files(ZarrFormat::kV2, {2, 1}))->present, (std::vector<bool>{false, true}));
}

TEST(ListChunkFilesV3, ALinkOrFileWhereADirectoryShouldBeIsAnErrorNamingIt) {
  for (const std::string level : {"c", "c/0"}) {
    const fs::path dir = fresh_dir("files_v3_link");
    const fs::path s = dir / "s.zarr";
    fs::create_directories((s / "t2m" / level).parent_path());
    spit(dir / "elsewhere" / "1", "foreign");
    spit(dir / "elsewhere" / "0" / "1", "foreign");
    spit(dir / "elsewhere" / ".1.tmp3", "foreign");
    fs::create_directory_symlink(dir / "elsewhere", s / "t2m" / level);
    auto linked = list_chunk_files(s, "t2m", array_files(ZarrFormat::kV3, {2, 2}));
    ASSERT_FALSE(linked.ok()) << level;
    EXPECT_EQ(linked.error().message, link_message(s / "t2m" / level));
    EXPECT_TRUE(fs::exists(dir / "elsewhere" / ".1.tmp3")) << level;  // nothing removed through it
    fs::remove(s / "t2m" / level);
    spit(s / "t2m" / level, "a file");
    auto file = list_chunk_files(s, "t2m", array_files(ZarrFormat::kV3, {2, 2}));
    ASSERT_FALSE(file.ok()) << level;
    EXPECT_EQ(file.error().message, (s / "t2m" / level).string() + " is not a directory where the store has one");
  }
}

TEST(ListChunkFilesV3, ALinkAtAKeyIsNoChunk) {
  const fs::path dir = fresh_dir("files_v3_leaf_link");
  const fs::path s = dir / "s.zarr";
  spit(dir / "outside", shard_bytes(2, {{0, "abc"}}));
  spit(s / "t2m" / "c" / "0", shard_bytes(2, {{1, "xyz"}}));
  fs::create_symlink(dir / "outside", s / "t2m" / "c" / "1");
  auto listing = list_chunk_files(s, "t2m", array_files(ZarrFormat::kV3, {4}, {2}));
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->present, (std::vector<bool>{true, false}));
  EXPECT_TRUE(fs::is_symlink(s / "t2m" / "c" / "1"));  // the run's rename replaces it
}

TEST(ListChunkFilesV3, AShardWhoseIndexDoesNotCheckIsReportedAndRemoved) {
  const fs::path s = fresh_dir("files_v3_shards") / "s.zarr";
  const ArrayFiles files = array_files(ZarrFormat::kV3, {4, 2}, {2, 2});  // 2 x 1 shards of 4 slots
  ASSERT_EQ(files.grid, (model::Shape{2, 1}));
  const std::string good = shard_bytes(4, {{1, "0123456789"}, {2, "abcdefg"}});
  std::string bad_crc = good;
  bad_crc[17] ^= 0x01;  // one bit of the index (after 17 bytes of chunks)
  spit(s / "t2m" / "c" / "0" / "0", good);
  spit(s / "t2m" / "c" / "1" / "0", bad_crc);
  spit(s / "u" / "c" / "0" / "0", good.substr(0, 40));  // cut short: no whole index
  auto listing = list_chunk_files(s, "t2m", files);
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->present, (std::vector<bool>{true, false}));
  EXPECT_EQ(listing->count, 1u);
  ASSERT_EQ(listing->rejected.size(), 1u);
  EXPECT_EQ(listing->rejected[0].find((s / "t2m" / "c" / "1" / "0").string() + ": shard index crc32c is 0x"), 0u)
      << listing->rejected[0];
  EXPECT_FALSE(fs::exists(s / "t2m" / "c" / "1" / "0"));
  EXPECT_EQ(slurp(s / "t2m" / "c" / "0" / "0"), good);
  auto short_listing = list_chunk_files(s, "u", files);
  ASSERT_TRUE(short_listing.ok());
  EXPECT_EQ(short_listing->present, (std::vector<bool>{false, false}));
  ASSERT_EQ(short_listing->rejected.size(), 1u);
  EXPECT_EQ(short_listing->rejected[0], (s / "u" / "c" / "0" / "0").string() +
                                            ": shard index has 40 bytes, expected 68 (4 inner chunks)");
}

TEST(ReadShardIndex, TheCheckedEntriesOrWhyNot) {
  const fs::path dir = fresh_dir("files_shard_index");
  const fs::path s = dir / "s.zarr";
  spit(s / "t2m" / "c" / "0" / "1", shard_bytes(4, {{1, "0123456789"}, {2, "abcdefg"}}));
  auto index = read_shard_index(s, "t2m/c/0/1", 4);
  ASSERT_TRUE(index.ok()) << index.error().message;
  ASSERT_TRUE(index->has_value());
  EXPECT_EQ(**index, (std::vector<ShardEntry>{{}, {0, 10}, {10, 7}, {}}));
  // Absent: no file, no directory on the way.
  EXPECT_EQ(*read_shard_index(s, "t2m/c/0/2", 4), std::nullopt);
  EXPECT_EQ(*read_shard_index(s, "t2m/c/5/0", 4), std::nullopt);
  // The wrong slot count is an index that does not check.
  auto wrong = read_shard_index(s, "t2m/c/0/1", 2);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message.find((s / "t2m/c/0/1").string() + ": shard index crc32c is "), 0u)
      << wrong.error().message;
  // Links: at the file, or on the way; a directory at the file.
  spit(dir / "outside", shard_bytes(4, {}));
  fs::create_symlink(dir / "outside", s / "t2m" / "c" / "0" / "3");
  EXPECT_EQ(read_shard_index(s, "t2m/c/0/3", 4).error().message, link_message(s / "t2m/c/0/3"));
  fs::create_directory_symlink(s / "t2m" / "c" / "0", s / "t2m" / "c" / "1");
  EXPECT_EQ(read_shard_index(s, "t2m/c/1/1", 4).error().message, link_message(s / "t2m/c/1"));
  fs::create_directories(s / "t2m" / "c" / "0" / "4");
  EXPECT_EQ(read_shard_index(s, "t2m/c/0/4", 4).error().message,
            (s / "t2m/c/0/4").string() + " is a directory where a shard file should be");
}

TEST(ReadShardIndex, TheSpecsExampleAndAnAllFillShard) {
  const fs::path s = fresh_dir("files_shard_spec") / "s.zarr";
  // shard_index.hpp: chunk (0,1) of 10 bytes at 0, chunk (1,0) of 7 bytes at 10: 85 bytes.
  const std::string spec = shard_bytes(4, {{1, std::string(10, 'a')}, {2, std::string(7, 'b')}});
  ASSERT_EQ(spec.size(), 85u);
  spit(s / "a" / "c" / "0" / "0", spec);
  spit(s / "a" / "c" / "0" / "1", shard_bytes(4, {}));  // every inner chunk fill: the index alone
  EXPECT_EQ((*read_shard_index(s, "a/c/0/0", 4))->at(2), (ShardEntry{10, 7}));
  EXPECT_EQ(**read_shard_index(s, "a/c/0/1", 4), std::vector<ShardEntry>(4));
}

}  // namespace
}  // namespace zpmpi::zarr
