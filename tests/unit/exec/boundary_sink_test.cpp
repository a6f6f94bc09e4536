// Append mode's boundary chunk (boundary_sink.hpp): the store's kept rows, then the new ones,
// along any axis; other chunks pass through.
#include <gtest/gtest.h>

#include <cstring>
#include <tuple>
#include <vector>

#include <filesystem>

#include "zpmpi/exec/boundary_sink.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::exec {
namespace {

std::vector<std::byte> bytes_of(const std::vector<std::int32_t>& v) {
  std::vector<std::byte> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<std::int32_t> ints_of(const std::vector<std::byte>& b) {
  std::vector<std::int32_t> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), b.size());
  return v;
}

/// Records what reaches the store's sink.
struct Recorder final : ChunkSink {
  std::vector<std::tuple<std::string, model::Shape, model::Shape, std::vector<std::int32_t>>> puts;
  Status put(int, const AssembledChunk& c, Stats&) override {
    puts.emplace_back(c.array.name, c.array.store_chunk_index(c.index), c.array.chunks,
                      ints_of({c.raw.begin(), c.raw.end()}));
    return {};
  }
  std::uint64_t buffer_bytes(int) const override { return 0; }
};

model::ArrayLayout part(model::Index kept) {
  model::ArrayLayout a;
  a.name = "t";
  a.dtype = model::DType::i4;
  a.dims = {"time", "x"};
  a.shape = {3, 2};
  a.chunks = {4 - kept, 2};
  a.placement = model::StorePlacement{0, 0, 2, kept};
  return a;
}

TEST(BoundarySink, MergesTheStoredRowsOfTheBoundaryChunkOnly) {
  const std::filesystem::path store = std::filesystem::temp_directory_path() / "zpmpi_boundary_sink" / "s.zarr";
  std::filesystem::remove_all(store.parent_path());
  std::filesystem::create_directories(store / "t");
  const auto old = bytes_of({1, 2, 3, 4, 5, 6, 7, 8});  // store chunk 2.0 (4 x 2): 1 row kept
  ASSERT_TRUE(zarr::write_chunk(store, "t", "2.0", old, 0).ok());
  Recorder inner;
  const model::ArrayLayout head = part(1);
  model::ArrayLayout tail = head;
  tail.chunks = {4, 2};
  tail.placement = model::StorePlacement{0, 3, 3, 0};
  BoundarySink sink(inner, {store, zarr::ZarrFormat::kV2, codec::CodecSpec{codec::CodecId::kNone}}, {head, tail}, 1);
  Stats stats;
  const auto fresh = bytes_of({10, 11, 12, 13, 14, 15});
  ASSERT_TRUE(sink.put(0, {head, model::Shape{0, 0}, fresh}, stats).ok());
  const auto next = bytes_of({20, 21, 22, 23, 24, 25, 26, 27});
  ASSERT_TRUE(sink.put(0, {tail, model::Shape{0, 0}, next}, stats).ok());
  ASSERT_EQ(inner.puts.size(), 2u);
  EXPECT_EQ(std::get<1>(inner.puts[0]), (model::Shape{2, 0}));
  EXPECT_EQ(std::get<2>(inner.puts[0]), (model::Shape{4, 2}));
  EXPECT_EQ(std::get<3>(inner.puts[0]), (std::vector<std::int32_t>{1, 2, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(std::get<1>(inner.puts[1]), (model::Shape{3, 0}));
  EXPECT_EQ(std::get<3>(inner.puts[1]), (std::vector<std::int32_t>{20, 21, 22, 23, 24, 25, 26, 27}));
}

TEST(BoundarySink, AnAbsentStoredChunkKeepsFillRows) {
  const std::filesystem::path store = std::filesystem::temp_directory_path() / "zpmpi_boundary_sink2" / "s.zarr";
  std::filesystem::remove_all(store.parent_path());
  std::filesystem::create_directories(store / "t");
  Recorder inner;
  model::ArrayLayout head = part(2);
  head.fill_value = model::Scalar{std::int64_t{-9}};
  BoundarySink sink(inner, {store, zarr::ZarrFormat::kV2, codec::CodecSpec{codec::CodecId::kNone}}, {head}, 1);
  Stats stats;
  const auto fresh = bytes_of({10, 11, 12, 13});
  ASSERT_TRUE(sink.put(0, {head, model::Shape{0, 0}, fresh}, stats).ok());
  ASSERT_EQ(inner.puts.size(), 1u);
  EXPECT_EQ(std::get<3>(inner.puts[0]), (std::vector<std::int32_t>{-9, -9, -9, -9, 10, 11, 12, 13}));
}

// A store chunk of 2 x 3 x 2 growing along axis 1, 2 of its 3 rows kept in each outer block.
TEST(BoundarySink, MergesAlongAnInnerAxis) {
  const std::filesystem::path store = std::filesystem::temp_directory_path() / "zpmpi_boundary_sink3" / "s.zarr";
  std::filesystem::remove_all(store.parent_path());
  std::filesystem::create_directories(store / "t");
  std::vector<std::int32_t> o(12);
  for (int i = 0; i < 12; ++i) o[i] = i;
  ASSERT_TRUE(zarr::write_chunk(store, "t", "0.5.0", bytes_of(o), 0).ok());
  model::ArrayLayout head;
  head.name = "t";
  head.dtype = model::DType::i4;
  head.dims = {"x", "time", "y"};
  head.shape = {2, 1, 2};
  head.chunks = {2, 1, 2};
  head.placement = model::StorePlacement{1, 0, 5, 2};
  Recorder inner;
  BoundarySink sink(inner, {store, zarr::ZarrFormat::kV2, codec::CodecSpec{codec::CodecId::kNone}}, {head}, 1);
  Stats stats;
  const auto fresh = bytes_of({100, 101, 102, 103});
  ASSERT_TRUE(sink.put(0, {head, model::Shape{0, 0, 0}, fresh}, stats).ok());
  ASSERT_EQ(inner.puts.size(), 1u);
  EXPECT_EQ(std::get<1>(inner.puts[0]), (model::Shape{0, 5, 0}));
  EXPECT_EQ(std::get<3>(inner.puts[0]), (std::vector<std::int32_t>{0, 1, 2, 3, 100, 101, 6, 7, 8, 9, 102, 103}));
}

}  // namespace
}  // namespace zpmpi::exec
