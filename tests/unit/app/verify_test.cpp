// zpmpi verify's comparisons (verify.hpp): each kind of damage is reported by key, and
// NaN equals NaN in float arrays.
#include "zpmpi/app/verify.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <map>
#include <vector>

#include <gtest/gtest.h>

#include "zpmpi/zarr/shard_index.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::app {
namespace {
namespace fs = std::filesystem;

fs::path fresh(const std::string& name) {
  std::string leaf = "verify_";  // appended: GCC 12 warns (-Wrestrict) on "literal" + string
  leaf += name;
  fs::path dir = fs::path(ZPMPI_TEST_TMP) / leaf;
  fs::remove_all(dir);
  fs::create_directories(dir / "v");
  return dir;
}

model::ArrayLayout float_array() {
  model::ArrayLayout a;
  a.name.assign(1, 'v');  // not = "v": GCC 12 warns (-Wrestrict) on that assignment here
  a.dtype = model::DType::f4;
  a.shape = {4};
  a.chunks = {4};
  return a;
}

std::vector<std::byte> bytes_of(const std::vector<float>& values) {
  std::vector<std::byte> out(values.size() * 4);
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

void write(const fs::path& store, const std::string& key, std::span<const std::byte> raw, const codec::CodecSpec& spec) {
  auto codec = codec::make_codec(spec);
  std::vector<std::byte> out(codec->max_encoded_size(raw.size()));
  auto n = codec->encode(raw, out);
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE(zarr::write_chunk(store, "v", key, {out.data(), *n}, 0).ok());
}

TEST(ChunkVerifier, ReportsMissingCorruptAndDifferingChunksByKey) {
  const fs::path store = fresh("kinds");
  const codec::CodecSpec zstd{codec::CodecId::kZstd, 1, 1};
  const auto want = bytes_of({1, NAN, 3, 4});
  write(store, "0", want, zstd);                      // equal, NaN included
  write(store, "1", bytes_of({1, NAN, 3, 5}), zstd);  // differs at element 3
  write(store, "2", want, zstd);
  fs::resize_file(store / "v" / "2", 5);              // truncated: undecodable
  ChunkVerifier verifier(store, zstd);
  for (model::Index i : {0, 1, 2, 3}) ASSERT_TRUE(verifier.check(float_array(), {i}, want).ok());
  EXPECT_EQ(verifier.problems().size(), 3u);
  const auto p = verifier.problems();
  EXPECT_EQ(p[0], "differs v/1 (first at element 3)");
  EXPECT_EQ(p[1].rfind("corrupt v/2 (cannot decode: ", 0), 0u) << p[1];
  EXPECT_EQ(p[2], "missing v/3");
}

TEST(ChunkVerifier, WithoutACompressorAWrongSizeIsCorrupt) {
  const fs::path store = fresh("raw");
  const codec::CodecSpec none{codec::CodecId::kNone, 0, 0};
  const auto want = bytes_of({1, 2, 3, 4});
  ASSERT_TRUE(zarr::write_chunk(store, "v", "0", {want.data(), 12}, 0).ok());
  ChunkVerifier verifier(store, none);
  ASSERT_TRUE(verifier.check(float_array(), {0}, want).ok());
  EXPECT_EQ(verifier.problems(), std::vector<std::string>{"corrupt v/0 (12 bytes, expected 16)"});
}

TEST(CompareFiles, NamesMissingAndDifferingFiles) {
  const fs::path expected = fresh("expected"), store = fresh("store");
  for (const auto& [path, text] : std::vector<std::pair<fs::path, std::string>>{
           {".zgroup", "{}"}, {"v/.zarray", "A"}, {"v/.zattrs", "B"}})
    std::ofstream(expected / path) << text;
  std::ofstream(store / ".zgroup") << "{}";
  std::ofstream(store / "v" / ".zarray") << "a";
  const auto problems = compare_files(expected, store);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(std::find(problems.begin(), problems.end(), "differs v/.zarray"), problems.end());
  EXPECT_NE(std::find(problems.begin(), problems.end(), "missing v/.zattrs"), problems.end());
}

// Issue 25, item 11: a chunk key that is a directory aborted verify in
// basic_filebuf::underflow; it is a corrupt chunk.
TEST(ChunkVerifier, AChunkThatIsADirectoryOrALinkIsCorrupt) {
  const fs::path store = fresh("dir_chunk");
  const codec::CodecSpec zstd{codec::CodecId::kZstd, 1, 1};
  const auto want = bytes_of({1, 2, 3, 4});
  fs::create_directory(store / "v" / "0");
  write(store, "9", want, zstd);
  fs::create_symlink("9", store / "v" / "1");
  ChunkVerifier verifier(store, zstd);
  ASSERT_TRUE(verifier.check(float_array(), {0}, want).ok());
  ASSERT_TRUE(verifier.check(float_array(), {1}, want).ok());
  EXPECT_EQ(verifier.problems(), (std::vector<std::string>{"corrupt v/0 (a directory, not a chunk file)",
                                                           "corrupt v/1 (a symbolic link, not a chunk file)"}));
  fs::create_directory(store / ".zgroup");
  const fs::path expected = fresh("dir_chunk_expected");
  std::ofstream(expected / ".zgroup") << "{}";
  EXPECT_EQ(compare_files(expected, store), std::vector<std::string>{"corrupt .zgroup (a directory, not a file)"});
}

// Follow-up of issue 25, item 8: verify reads nothing through a link in the store. An array
// directory that is a link to a directory with the right .zarray and a wrong chunk was
// read through ("differs v/0", the .zarray equal) and also called "extra v"; it is one
// difference, the link, and neither file behind it is compared.
TEST(Verify, ALinkedArrayDirectoryIsOneDifferenceAndNothingIsReadThroughIt) {
  const fs::path expected = fresh("link_dir_expected"), store = fresh("link_dir_store");
  const fs::path elsewhere = fresh("link_dir_elsewhere") / "v";
  const codec::CodecSpec zstd{codec::CodecId::kZstd, 1, 1};
  for (const fs::path& dir : {expected, store}) std::ofstream(dir / ".zgroup") << "{}";
  std::ofstream(expected / "v" / ".zarray") << "A";
  std::ofstream(elsewhere / ".zarray") << "A";
  write(elsewhere.parent_path(), "0", bytes_of({9, 9, 9, 9}), zstd);
  fs::remove(store / "v");
  fs::create_directory_symlink(elsewhere, store / "v");
  ChunkVerifier verifier(store, zstd);
  ASSERT_TRUE(verifier.check(float_array(), {0}, bytes_of({1, 2, 3, 4})).ok());
  std::vector<std::string> problems = verifier.problems();
  for (const auto& p : compare_files(expected, store)) problems.push_back(p);
  for (const auto& p : extra_entries(expected, store, {{"v", zarr::array_files(zarr::ZarrFormat::kV2, {1})}})) problems.push_back(p);
  EXPECT_EQ(problems, std::vector<std::string>{"corrupt v (a symbolic link, not a directory)"});
}

// A metadata file that is a link is a difference too, whatever it points to.
TEST(CompareFiles, AFileThatIsALinkIsCorruptAndNotRead) {
  const fs::path expected = fresh("link_file_expected"), store = fresh("link_file_store");
  std::ofstream(expected / "v" / ".zarray") << "A";
  std::ofstream(store / "same") << "A";
  fs::create_symlink(store / "same", store / "v" / ".zarray");
  EXPECT_EQ(compare_files(expected, store), std::vector<std::string>{"corrupt v/.zarray (a symbolic link, not a file)"});
}

// Issue 25, item 11: a store holding more than the job writes was "exactly this job's
// output"; each extra entry is a difference.
TEST(ExtraEntries, NamesWhatTheJobDoesNotWrite) {
  const fs::path expected = fresh("extra_expected"), store = fresh("extra_store");
  for (const fs::path& dir : {expected, store}) {
    std::ofstream(dir / ".zgroup") << "{}";
    std::ofstream(dir / "v" / ".zarray") << "{}";
    fs::create_directories(dir / "text");
    std::ofstream(dir / "text" / "0") << "abc";  // a one-chunk text array: written whole
  }
  for (const char* key : {"0.0", "1.2"}) std::ofstream(store / "v" / key) << "c";  // in the 2 x 3 grid
  fs::create_directories(store / ".zpmpi");
  std::ofstream(store / ".zpmpi" / "stats.json") << "{}";  // the run's statistics: zpmpi's own
  const std::map<std::string, zarr::ArrayFiles> grids{{"v", zarr::array_files(zarr::ZarrFormat::kV2, {2, 3})}};
  EXPECT_EQ(extra_entries(expected, store, grids), std::vector<std::string>{});

  std::ofstream(store / "v" / "2.0") << "c";   // outside the grid
  std::ofstream(store / "v" / "0.0.0") << "c";  // another rank
  std::ofstream(store / "text" / "1") << "c";   // a text array has its one chunk
  fs::create_directories(store / "old");
  std::ofstream(store / "old" / ".zarray") << "{}";  // an array the job does not write
  std::ofstream(store / "notes.txt") << "x";
  fs::create_directories(store / "v" / "1");
  auto got = extra_entries(expected, store, grids);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"extra notes.txt", "extra old", "extra text/1", "extra v/0.0.0",
                                           "extra v/1", "extra v/2.0"}));
}

// Zarr v3: the chunk files are a "c" tree, walked; what is no key of the grid is extra.
TEST(ExtraEntries, WalksTheChunkTreeOfAV3Array) {
  const fs::path expected = fresh("extra_v3_expected"), store = fresh("extra_v3_store");
  for (const fs::path& dir : {expected, store}) std::ofstream(dir / "v" / "zarr.json") << "{}";
  std::ofstream(store / "zarr.json") << "{}";
  std::ofstream(expected / "zarr.json") << "{}";
  fs::create_directories(store / "v" / "c" / "1");
  std::ofstream(store / "v" / "c" / "1" / "2") << "s";  // shard (1, 2) of a 2 x 3 grid of shards
  const std::map<std::string, zarr::ArrayFiles> files{
      {"v", zarr::array_files(zarr::ZarrFormat::kV3, {4, 6}, {2, 2})}};
  EXPECT_EQ(extra_entries(expected, store, files), std::vector<std::string>{});

  std::ofstream(store / "v" / "c" / "1" / "3") << "s";      // outside the grid of shards
  std::ofstream(store / "v" / "c" / "1" / ".2.tmp0") << "s";  // a killed run's temporary
  fs::create_directories(store / "v" / "c" / "0" / "0" / "0");  // a directory where a shard file goes
  std::ofstream(store / "v" / "0.0") << "s";                 // a v2 key
  auto got = extra_entries(expected, store, files);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"extra v/0.0", "extra v/c/0/0", "extra v/c/1/.2.tmp0",
                                           "extra v/c/1/3"}));
}

// A v3 text array (written whole by rank 0, no grid of the plan) keeps its one chunk at
// "c/0": the scratch output has the same tree, which is walked alike (was "extra text/c").
TEST(ExtraEntries, WalksTheTreeOfAV3TextArrayAsTheJobWritesIt) {
  const fs::path expected = fresh("extra_v3_text_expected"), store = fresh("extra_v3_text_store");
  for (const fs::path& dir : {expected, store}) {
    fs::create_directories(dir / "text" / "c");
    std::ofstream(dir / "text" / "zarr.json") << "{}";
    std::ofstream(dir / "text" / "c" / "0") << "abc";
  }
  const std::map<std::string, zarr::ArrayFiles> files{{"v", zarr::array_files(zarr::ZarrFormat::kV3, {4})}};
  EXPECT_EQ(extra_entries(expected, store, files), std::vector<std::string>{});

  std::ofstream(store / "text" / "c" / "1") << "c";
  fs::create_directories(store / "text" / "c" / "0.d");
  auto got = extra_entries(expected, store, files);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"extra text/c/0.d", "extra text/c/1"}));
}

/// A v3 shard file "v/c/0" of `chunks` (1-element float chunks, zstd) in slots 0..n-1;
/// nullopt: absent from the index.
void write_shard(const fs::path& store, const std::vector<std::optional<float>>& chunks) {
  auto codec = codec::make_codec({codec::CodecId::kZstd, 1, 1});
  std::vector<std::byte> file;
  zarr::ShardIndexBuilder index(chunks.size());
  for (std::size_t slot = 0; slot < chunks.size(); ++slot) {
    if (!chunks[slot]) continue;
    const auto raw = bytes_of({*chunks[slot]});
    std::vector<std::byte> out(codec->max_encoded_size(raw.size()));
    const auto n = codec->encode(raw, out);
    ASSERT_TRUE(n.ok() && index.append(slot, *n).ok());
    file.insert(file.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  const auto tail = index.index();
  file.insert(file.end(), tail.begin(), tail.end());
  ASSERT_TRUE(zarr::write_chunk(store, "v", "c/0", file, 0).ok());
}

model::ArrayLayout sharded_array() {  // 4 one-element chunks in one shard, fill 0
  model::ArrayLayout a = float_array();
  a.chunks = {1};
  a.shards = {4};
  a.fill_value = model::Scalar{0.0};
  return a;
}

TEST(ChunkVerifier, FindsInnerChunksThroughTheShardIndexAndAbsentOnesMustBeFill) {
  const fs::path store = fresh("shard_kinds");
  write_shard(store, {1.0f, std::nullopt, 3.0f, std::nullopt});
  ChunkVerifier verifier(store, {codec::CodecId::kZstd, 1, 1}, zarr::ZarrFormat::kV3);
  const model::ArrayLayout a = sharded_array();
  for (model::Index i : {0, 1, 2, 3}) {
    const float want[] = {1, 0, 3, 4};
    ASSERT_TRUE(verifier.check(a, {i}, bytes_of({want[i]})).ok());
  }
  EXPECT_EQ(verifier.problems(), std::vector<std::string>{"missing v/c/0 inner chunk [3]"});
}

TEST(ChunkVerifier, AShardWhoseIndexDoesNotCheckIsCorruptOnce) {
  const fs::path store = fresh("shard_crc");
  write_shard(store, {1.0f, 2.0f, 3.0f, 4.0f});
  {
    std::fstream f(store / "v" / "c" / "0", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('\x7f');  // the crc32c's last byte
  }
  ChunkVerifier verifier(store, {codec::CodecId::kZstd, 1, 1}, zarr::ZarrFormat::kV3);
  for (model::Index i : {0, 1, 2, 3}) ASSERT_TRUE(verifier.check(sharded_array(), {i}, bytes_of({1.0f})).ok());
  const auto problems = verifier.problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("corrupt v/c/0 (", 0), 0u) << problems[0];
  EXPECT_NE(problems[0].find("crc32c"), std::string::npos) << problems[0];
}

TEST(ChunkVerifier, AMissingShardIsFineOnlyWhenAllItsChunksAreFill) {
  const fs::path store = fresh("shard_missing");
  ChunkVerifier verifier(store, {codec::CodecId::kZstd, 1, 1}, zarr::ZarrFormat::kV3);
  ASSERT_TRUE(verifier.check(sharded_array(), {0}, bytes_of({0.0f})).ok());
  EXPECT_TRUE(verifier.problems().empty());
  ASSERT_TRUE(verifier.check(sharded_array(), {1}, bytes_of({2.0f})).ok());
  EXPECT_EQ(verifier.problems(), std::vector<std::string>{"missing v/c/0 inner chunk [1]"});
}

}  // namespace
}  // namespace zpmpi::app
