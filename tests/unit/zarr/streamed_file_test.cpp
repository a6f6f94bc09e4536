// A shard streamed into its temporary piece by piece, in place only after commit().
#include "zpmpi/zarr/streamed_file.hpp"

#include <gtest/gtest.h>

#include "store_test_util.hpp"
#include "zpmpi/zarr/chunk_files.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s)); }

TEST(StreamedFile, AShardIsAbsentUntilCommittedThenCompleteWithItsIndex) {
  const fs::path s = fresh_dir("streamed") / "s.zarr";
  ASSERT_TRUE(create_store(s, {"t2m"}, ZarrFormat::kV3).ok());
  spit(s / "t2m" / "c" / "1" / "0", "an older shard");
  auto file = StreamedFile::create(s, "t2m", "c/1/0", 3);
  ASSERT_TRUE(file.ok()) << file.error().message;
  ShardIndexBuilder index(4);
  for (const auto& [slot, piece] : std::vector<std::pair<std::uint64_t, std::string>>{{2, "abcdefg"}, {0, "0123"}}) {
    ASSERT_EQ(*index.append(slot, piece.size()), file->size());  // the builder's offsets are the file's
    ASSERT_TRUE(file->append(bytes_of(piece)).ok());
  }
  const std::vector<std::byte> tail = index.index();
  ASSERT_TRUE(file->append(tail).ok());
  // Before the rename: the old shard is whole, the new one is a hidden temporary.
  EXPECT_EQ(slurp(s / "t2m" / "c" / "1" / "0"), "an older shard");
  EXPECT_EQ(names_in(s / "t2m" / "c" / "1"), (std::vector<std::string>{".0.tmp3", "0"}));
  ASSERT_TRUE(file->commit().ok());
  EXPECT_EQ(names_in(s / "t2m" / "c" / "1"), std::vector<std::string>{"0"});
  EXPECT_EQ(slurp(s / "t2m" / "c" / "1" / "0").substr(0, 11), "abcdefg0123");
  auto read = read_shard_index(s, "t2m/c/1/0", 4);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(**read, (std::vector<ShardEntry>{{7, 4}, {}, {0, 7}, {}}));
  EXPECT_FALSE(file->commit().ok());  // once only
}

TEST(StreamedFile, DroppedBeforeCommitLeavesNothing) {
  const fs::path s = fresh_dir("streamed_dropped") / "s.zarr";
  ASSERT_TRUE(create_store(s, {"t2m"}, ZarrFormat::kV3).ok());
  {
    auto file = StreamedFile::create(s, "t2m", "c/0/0", 1, /*durable=*/true);
    ASSERT_TRUE(file.ok()) << file.error().message;
    ASSERT_TRUE(file->append(bytes_of("part of a shard")).ok());
    StreamedFile moved = std::move(*file);  // the owner may move it; one removal only
    EXPECT_EQ(moved.size(), 15u);
  }
  EXPECT_TRUE(names_in(s / "t2m" / "c" / "0").empty());
}

TEST(StreamedFile, AFailedAppendRemovesTheTemporaryAndNamesTheFile) {
  const fs::path s = fresh_dir("streamed_fault") / "s.zarr";
  ASSERT_TRUE(create_store(s, {"t2m"}, ZarrFormat::kV3).ok());
  WriteFault fault(2);  // the second append fills the disk
  auto file = StreamedFile::create(s, "t2m", "c/0", 0, false, &fault);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file->append(bytes_of("first")).ok());
  const Status st = file->append(bytes_of("second"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "cannot write " + (s / "t2m" / "c" / "0").string() + ": No space left on device");
  EXPECT_TRUE(names_in(s / "t2m" / "c").empty());
  EXPECT_FALSE(file->append(bytes_of("more")).ok());
  EXPECT_FALSE(file->commit().ok());
  EXPECT_TRUE(names_in(s / "t2m" / "c").empty());
}

TEST(StreamedFile, NothingIsOpenedThroughALink) {
  const fs::path dir = fresh_dir("streamed_links");
  const fs::path s = dir / "s.zarr";
  ASSERT_TRUE(create_store(s, {"t2m"}, ZarrFormat::kV3).ok());
  fs::create_directory(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", s / "t2m" / "c");
  auto linked = StreamedFile::create(s, "t2m", "c/0/0", 0);
  ASSERT_FALSE(linked.ok());
  EXPECT_EQ(linked.error().message.find((s / "t2m" / "c").string() + " is a symbolic link"), 0u)
      << linked.error().message;
  EXPECT_TRUE(fs::is_empty(dir / "elsewhere"));
  // A link planted at the temporary's name: refused, its target untouched.
  fs::remove(s / "t2m" / "c");
  fs::create_directories(s / "t2m" / "c" / "0");
  spit(dir / "outside", "precious");
  fs::create_symlink(dir / "outside", s / "t2m" / "c" / "0" / ".0.tmp5");
  auto at_tmp = StreamedFile::create(s, "t2m", "c/0/0", 5);
  ASSERT_FALSE(at_tmp.ok());
  EXPECT_EQ(at_tmp.error().message.find((s / "t2m" / "c" / "0" / ".0.tmp5").string() + " is a symbolic link"), 0u)
      << at_tmp.error().message;
  EXPECT_EQ(slurp(dir / "outside"), "precious");
}

}  // namespace
}  // namespace zpmpi::zarr
