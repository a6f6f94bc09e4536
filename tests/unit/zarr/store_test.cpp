// The directory store: its skeleton, atomic chunk writes, metadata order.
#include "zpmpi/zarr/store.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "layout_util.hpp"
#include "store_test_util.hpp"

namespace zpmpi::zarr {
namespace {

namespace fs = std::filesystem;

/// An empty directory of its own for each test, under the build tree.
fs::path fresh(const std::string& name) {
  fs::path p = fs::path(ZPMPI_TEST_TMP) / ("store_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::span<const std::byte> as_bytes(const std::string& s) { return std::as_bytes(std::span(s)); }

TEST(ChunkKey, DotSeparated) {
  EXPECT_EQ(chunk_key({0, 3, 1}), "0.3.1");
  EXPECT_EQ(chunk_key({12}), "12");
  EXPECT_EQ(chunk_key({0}), "0");
  EXPECT_EQ(chunk_key({1234567890123, 0}), "1234567890123.0");
  EXPECT_EQ(chunk_key({}), "0");
}

TEST(CreateStore, CreatesDirectoryGroupAndArrays) {
  const fs::path store = fresh("create") / "deeper" / "out.zarr";  // missing parents too
  ASSERT_TRUE(create_store(store, {"t2m", "time"}).ok());
  EXPECT_EQ(listing(store), (std::vector<std::string>{".zgroup", "t2m", "time"}));
  EXPECT_TRUE(listing(store / "t2m").empty());
  EXPECT_EQ(slurp(store / ".zgroup"), "{\n    \"zarr_format\": 2\n}");
  EXPECT_TRUE(is_zarr_store(store));
}

TEST(CreateStore, WritesIntoAnExistingDirectoryKeepingItsEntries) {
  // StoreTransaction creates the copy and its marker first, then the skeleton inside.
  const fs::path store = fresh("create_existing") / "copy";
  fs::create_directories(store / ".zpmpi");
  ASSERT_TRUE(create_store(store, {"a"}).ok());
  EXPECT_EQ(listing(store), (std::vector<std::string>{".zgroup", ".zpmpi", "a"}));
}

TEST(CreateStore, UncreatableLocationIsAnError) {
  // Tests may run as root, who can write anywhere: a regular file as parent still fails.
  const fs::path base = fresh("uncreatable");
  std::ofstream(base / "plain") << "z";
  const fs::path store = base / "plain" / "out.zarr";
  auto st = create_store(store, {"a"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "cannot create store " + store.string() + ": Not a directory");
  EXPECT_EQ(st.error().code, ExitCode::kRuntime);
  EXPECT_EQ(slurp(base / "plain"), "z");
}

TEST(CreateStore, RefusesArrayNamesOutsideTheStore) {
  const fs::path base = fresh("names");
  for (const char* name : {"", ".", "..", "a/b"}) {
    auto st = create_store(base / "s.zarr", {"ok", name});
    ASSERT_FALSE(st.ok()) << name;
    EXPECT_EQ(st.error().message,
              "cannot create store " + (base / "s.zarr").string() + ": invalid array name '" + name + "'");
    EXPECT_FALSE(fs::exists(base / "s.zarr"));
  }
}

TEST(WriteChunk, WritesTheBytesAndLeavesNoTemporaries) {
  const fs::path store = fresh("chunk") / "s.zarr";
  ASSERT_TRUE(create_store(store, {"v"}).ok());
  std::string big(8 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4096);
  ASSERT_TRUE(write_chunk(store, "v", "1.2", as_bytes(big), 3).ok());
  ASSERT_TRUE(write_chunk(store, "v", "0.0", as_bytes(std::string()), 3).ok());
  ASSERT_TRUE(write_chunk(store, "v", "0.1", as_bytes(std::string("first")), 0).ok());
  ASSERT_TRUE(write_chunk(store, "v", "0.1", as_bytes(std::string("second")), 1).ok());  // replaced whole
  EXPECT_EQ(slurp(store / "v" / "1.2"), big);
  EXPECT_EQ(slurp(store / "v" / "0.0"), "");
  EXPECT_EQ(slurp(store / "v" / "0.1"), "second");
  EXPECT_EQ(listing(store / "v"), (std::vector<std::string>{"0.0", "0.1", "1.2"}));
}

TEST(WriteChunk, ErrorsNameTheFileAndLeaveNoTemporaries) {
  const fs::path store = fresh("chunk_errors") / "s.zarr";
  ASSERT_TRUE(create_store(store, {"v"}).ok());
  auto missing = write_chunk(store, "nope", "0", as_bytes(std::string("x")), 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "cannot write " + (store / "nope" / "0").string() + ": No such file or directory");
  EXPECT_EQ(missing.error().code, ExitCode::kRuntime);
  // A directory where the chunk should go: the rename fails, the temporary is removed.
  fs::create_directory(store / "v" / "0.0");
  auto blocked = write_chunk(store, "v", "0.0", as_bytes(std::string("x")), 5);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().message, "cannot rename " + (store / "v" / ".0.0.tmp5").string() + " to " +
                                         (store / "v" / "0.0").string() + ": Is a directory");
  EXPECT_EQ(listing(store / "v"), (std::vector<std::string>{"0.0"}));
}

model::ArrayLayout array(const std::string& name) {
  return testing::layout(name, model::DType::i2, {4}, {2}, model::Scalar{std::int64_t{-1}}, {"x"});
}
const std::vector<model::Attribute> kUnits = {{"units", {std::string("m"), std::nullopt}}};

TEST(WriteMetadata, WritesEveryDocumentAsDumpJson) {
  const fs::path store = fresh("meta") / "s.zarr";
  ASSERT_TRUE(create_store(store, {"v", "w"}).ok());
  const boost::json::object group{{"title", "t"}};
  const auto v = array("v"), w = array("w");
  const std::vector<ArrayMeta> arrays = {{v, kUnits}, {w, kUnits}};
  ASSERT_TRUE(write_metadata(store, group, arrays, nullptr).ok());
  EXPECT_EQ(slurp(store / ".zgroup"), "{\n    \"zarr_format\": 2\n}");
  EXPECT_EQ(slurp(store / ".zattrs"), dump_json(group));
  for (const auto& a : arrays) {
    EXPECT_EQ(slurp(store / a.layout.name / ".zarray"), dump_json(zarray_json(a.layout, nullptr)));
    EXPECT_EQ(slurp(store / a.layout.name / ".zattrs"), dump_json(array_zattrs_json(a)));
    EXPECT_EQ(listing(store / a.layout.name), (std::vector<std::string>{".zarray", ".zattrs"}));
  }
  EXPECT_EQ(slurp(store / ".zmetadata"), dump_json(zmetadata_json(group, arrays, nullptr)));
  EXPECT_EQ(listing(store), (std::vector<std::string>{".zattrs", ".zgroup", ".zmetadata", "v", "w"}));
}

TEST(WriteMetadata, ZmetadataIsWrittenLast) {
  // An array whose directory is missing makes a document fail: the store must then not
  // look complete.
  const fs::path store = fresh("meta_last") / "s.zarr";
  ASSERT_TRUE(create_store(store, {"v"}).ok());
  const auto v = array("v"), gone = array("gone");
  auto st = write_metadata(store, {}, {{v, kUnits}, {gone, kUnits}}, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message,
            "cannot write " + (store / "gone" / ".zarray").string() + ": No such file or directory");
  EXPECT_TRUE(fs::exists(store / "v" / ".zarray"));
  EXPECT_FALSE(fs::exists(store / ".zmetadata"));
}

}  // namespace
}  // namespace zpmpi::zarr

namespace zpmpi::zarr {
namespace {

TEST(WriteV3Metadata, ArraysThenTheConsolidatedRoot) {
  const fs::path store = testing::fresh_dir("store_v3_metadata");
  fs::create_directories(store / "t2m");
  const auto t2m = testing::layout("t2m", model::DType::f4, {4, 6}, {2, 3}, std::nullopt, {"y", "x"});
  const std::vector<model::Attribute> none;
  const std::vector<V3ArrayMeta> arrays = {{{t2m, none}, {{}, {4, 6}}}};
  ASSERT_TRUE(write_v3_metadata(store, {{"title", "t"}}, arrays).ok());
  EXPECT_EQ(testing::names_in(store), (std::vector<std::string>{"t2m", "zarr.json"}));
  EXPECT_EQ(testing::names_in(store / "t2m"), (std::vector<std::string>{"zarr.json"}));
  const auto root = boost::json::parse(testing::slurp(store / "zarr.json"));
  const auto array = boost::json::parse(testing::slurp(store / "t2m" / "zarr.json"));
  EXPECT_EQ(root.at("consolidated_metadata").at("metadata").at("t2m"), array);
  EXPECT_EQ(array, *v3_array_json(arrays[0]));
}

TEST(WriteV3Metadata, RefusedArrayWritesNothing) {
  const fs::path store = testing::fresh_dir("store_v3_refused");
  fs::create_directories(store / "t2m");
  const auto t2m = testing::layout("t2m", model::DType::f4, {4, 6}, {2, 3}, std::nullopt, {"y", "x"});
  const std::vector<model::Attribute> none;
  EXPECT_FALSE(write_v3_metadata(store, {}, {{{t2m, none}, {{}, {3, 6}}}}).ok());
  EXPECT_EQ(testing::names_in(store), (std::vector<std::string>{"t2m"}));
  EXPECT_TRUE(testing::names_in(store / "t2m").empty());
}

}  // namespace
}  // namespace zpmpi::zarr
