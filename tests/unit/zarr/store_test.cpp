#include "zpmpi/zarr/store.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace zpmpi::zarr {
namespace {

namespace fs = std::filesystem;

fs::path fresh(const std::string& name) {
  fs::path p = fs::path(ZPMPI_TEST_TMP) / ("store_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(ChunkKey, DotSeparated) {
  EXPECT_EQ(chunk_key({0, 3, 1}), "0.3.1");
  EXPECT_EQ(chunk_key({12}), "12");
  EXPECT_EQ(chunk_key({}), "0");
}

TEST(PrepareStore, CreatesArraysAndGroup) {
  const fs::path store = fresh("create") / "out.zarr";
  ASSERT_TRUE(prepare_store(store, false, {"t2m", "time"}).ok());
  EXPECT_TRUE(fs::is_directory(store / "t2m"));
  EXPECT_TRUE(fs::is_directory(store / "time"));
  EXPECT_TRUE(is_zarr_store(store));
}

TEST(PrepareStore, ExistingStoreNeedsOverwrite) {
  const fs::path store = fresh("exists") / "out.zarr";
  ASSERT_TRUE(prepare_store(store, false, {"a"}).ok());
  std::ofstream(store / "a" / "0") << "old";
  auto again = prepare_store(store, false, {"a"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message,
            "store " + store.string() + " exists; pass --overwrite (or \"overwrite\": true) to replace it");
  EXPECT_TRUE(fs::exists(store / "a" / "0"));
  ASSERT_TRUE(prepare_store(store, true, {"b"}).ok());
  EXPECT_FALSE(fs::exists(store / "a"));
  EXPECT_TRUE(fs::is_directory(store / "b"));
}

TEST(PrepareStore, NeverDeletesWhatIsNotAStore) {
  const fs::path base = fresh("refuse");
  fs::create_directories(base / "data");
  std::ofstream(base / "data" / "precious.nc") << "x";
  auto dir = prepare_store(base / "data", true, {"a"});
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message, "refusing to overwrite " + (base / "data").string() + ": not a zarr store");
  EXPECT_TRUE(fs::exists(base / "data" / "precious.nc"));
  std::ofstream(base / "file.txt") << "y";
  EXPECT_FALSE(prepare_store(base / "file.txt", true, {"a"}).ok());
  EXPECT_EQ(slurp(base / "file.txt"), "y");
}

TEST(PrepareStore, UnwritableLocationIsAnError) {
  const fs::path base = fresh("unwritable");
  std::ofstream(base / "plain") << "z";
  auto st = prepare_store(base / "plain" / "out.zarr", false, {"a"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.rfind("cannot create store " + (base / "plain" / "out.zarr").string(), 0), 0u)
      << st.error().message;
  EXPECT_EQ(st.error().code, ExitCode::kRuntime);
}

TEST(WriteChunk, AtomicAndLeavesNoTemporaries) {
  const fs::path store = fresh("chunk") / "s.zarr";
  ASSERT_TRUE(prepare_store(store, false, {"v"}).ok());
  const std::string data = "hello";
  ASSERT_TRUE(write_chunk(store, "v", "1.2", std::as_bytes(std::span(data)), 3).ok());
  EXPECT_EQ(slurp(store / "v" / "1.2"), "hello");
  for (const auto& e : fs::directory_iterator(store / "v"))
    EXPECT_EQ(e.path().filename(), "1.2");
  auto missing = write_chunk(store, "nope", "0", std::as_bytes(std::span(data)), 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("nope"), std::string::npos);
}

TEST(WriteMetadata, WritesEveryDocumentAndZmetadataLast) {
  const fs::path store = fresh("meta") / "s.zarr";
  ASSERT_TRUE(prepare_store(store, false, {"v"}).ok());
  ArrayMeta a{"v", model::DType::i2, {4}, {2}, model::Scalar{std::int64_t{-1}}, nullptr, {"x"}, {}};
  ASSERT_TRUE(write_metadata(store, boost::json::object{{"title", "t"}}, {a}).ok());
  for (const char* f : {".zgroup", ".zattrs", ".zmetadata", "v/.zarray", "v/.zattrs"})
    EXPECT_TRUE(fs::exists(store / f)) << f;
  EXPECT_NE(slurp(store / "v" / ".zarray").find("\"dtype\": \"<i2\""), std::string::npos);
  EXPECT_LE(fs::last_write_time(store / "v" / ".zattrs"), fs::last_write_time(store / ".zmetadata"));
  ASSERT_TRUE(remove_store(store).ok());
  EXPECT_FALSE(fs::exists(store));
}

}  // namespace
}  // namespace zpmpi::zarr
