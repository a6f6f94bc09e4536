// What each store format names on disk: keys both ways, metadata names, the file grid.
#include "zpmpi/zarr/store_format.hpp"

#include <gtest/gtest.h>

namespace zpmpi::zarr {
namespace {

constexpr auto kV2 = ZarrFormat::kV2;
constexpr auto kV3 = ZarrFormat::kV3;

TEST(ZarrFormat, OnlyTwoAndThree) {
  EXPECT_EQ(zarr_format_from(2), kV2);
  EXPECT_EQ(zarr_format_from(3), kV3);
  for (std::int64_t other : {0, 1, 4, -2}) EXPECT_EQ(zarr_format_from(other), std::nullopt) << other;
  EXPECT_EQ(static_cast<int>(kV3), 3);  // the number the documents spell
}

TEST(MetadataNames, EachFormatsDocumentsAndTheOneWrittenLast) {
  EXPECT_EQ(metadata_names(kV2).group, (std::vector<std::string_view>{".zgroup", ".zattrs"}));
  EXPECT_EQ(metadata_names(kV2).array, (std::vector<std::string_view>{".zarray", ".zattrs"}));
  EXPECT_EQ(metadata_names(kV2).complete, ".zmetadata");
  EXPECT_EQ(metadata_names(kV3).group, std::vector<std::string_view>{"zarr.json"});
  EXPECT_EQ(metadata_names(kV3).array, std::vector<std::string_view>{"zarr.json"});
  EXPECT_EQ(metadata_names(kV3).complete, "zarr.json");
}

TEST(ChunkFileKey, DotsInV2AndTheCTreeInV3) {
  EXPECT_EQ(chunk_file_key(kV2, {3, 0, 1}), "3.0.1");
  EXPECT_EQ(chunk_file_key(kV2, {}), "0");
  EXPECT_EQ(chunk_file_key(kV3, {3, 0, 1}), "c/3/0/1");
  EXPECT_EQ(chunk_file_key(kV3, {}), "c");
  EXPECT_EQ((ArrayFiles{kV3, {4, 4}, {}}.key({1, 2})), "c/1/2");
}

TEST(ChunkFileIndex, InvertsTheKeyInCOrder) {
  const model::Shape grid{2, 3, 4};
  std::uint64_t n = 0;
  for (model::Index i = 0; i < 2; ++i)
    for (model::Index j = 0; j < 3; ++j)
      for (model::Index k = 0; k < 4; ++k, ++n)
        for (ZarrFormat f : {kV2, kV3}) EXPECT_EQ(chunk_file_index(f, chunk_file_key(f, {i, j, k}), grid), n);
  EXPECT_EQ(chunk_file_index(kV2, "0", {}), 0u);
  EXPECT_EQ(chunk_file_index(kV3, "c", {}), 0u);
  EXPECT_EQ(chunk_file_index(kV3, "c/12345678901", {12345678902}), 12345678901u);
}

TEST(ChunkFileIndex, RefusesWhatIsNoKeyOfTheGrid) {
  const model::Shape grid{2, 3};
  for (const char* key : {"c/1/2", "2.0", "1.3", "1", "1.2.0", "01.2", "1.02", "+1.2", "1.", ".1", "", "1..2",
                          "1.2 ", "c", "0"})
    EXPECT_EQ(chunk_file_index(kV2, key, grid), std::nullopt) << key;
  for (const char* key : {"1.2", "c/2/0", "c/1", "c/1/2/0", "c/01/2", "c/1/", "c//1", "c.1.2", "d/1/2", "c/1/2/",
                          "c", "1/2"})
    EXPECT_EQ(chunk_file_index(kV3, key, grid), std::nullopt) << key;
  EXPECT_EQ(chunk_file_index(kV3, "c/0", {}), std::nullopt);
  EXPECT_EQ(chunk_file_index(kV3, "c/99999999999999999999", {UINT64_MAX}), std::nullopt);  // overflows
}

TEST(ArrayFiles, TheShardGridRoundsUpAndCountsSlots) {
  const ArrayFiles chunks = array_files(kV3, {5, 4});
  EXPECT_FALSE(chunks.sharded());
  EXPECT_EQ(chunks.grid, (model::Shape{5, 4}));
  EXPECT_EQ(chunks.file_count(), 20u);
  EXPECT_EQ(chunks.shard_slots(), 1u);
  const ArrayFiles shards = array_files(kV3, {5, 4}, {2, 4});  // 3 x 1 shards, the last half beyond the edge
  EXPECT_TRUE(shards.sharded());
  EXPECT_EQ(shards.grid, (model::Shape{3, 1}));
  EXPECT_EQ(shards.file_count(), 3u);
  EXPECT_EQ(shards.shard_slots(), 8u);
  EXPECT_EQ(array_files(kV2, {}).file_count(), 1u);  // 0-d: one file
}

}  // namespace
}  // namespace zpmpi::zarr
