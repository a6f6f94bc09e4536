// The chunk sinks on their own (exec/chunk_sink.hpp): StoreSink encodes and writes chunk
// files, VerifySink hands chunks to a check; how the executor calls a sink is in
// executor_test.cpp.
#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../common/file_bytes.hpp"
#include "zpmpi/exec/store_sink.hpp"
#include "zpmpi/exec/verify_sink.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::exec {
namespace {

namespace fs = std::filesystem;
using zpmpi::testing::read_file;

/// An empty store of array "v" in a fresh directory.
fs::path fresh_store(const std::string& name) {
  const fs::path store = fs::path(ZPMPI_TEST_TMP) / ("sink_" + name);
  fs::remove_all(store);
  fs::create_directories(store.parent_path());
  const auto created = zarr::create_store(store, {"v"});
  EXPECT_TRUE(created.ok()) << created.error().message;
  return store;
}

model::ArrayLayout array_v() {
  model::ArrayLayout a;
  a.name = "v";
  a.dtype = model::DType::i4;
  a.shape = {8, 8};
  a.chunks = {4, 4};
  return a;
}

/// 16 int32 values from `first` on: one 4 x 4 chunk.
std::vector<std::int32_t> chunk_values(std::int32_t first) {
  std::vector<std::int32_t> v(16);
  std::iota(v.begin(), v.end(), first);
  return v;
}

std::vector<std::int32_t> decoded(const codec::CodecSpec& spec, const std::vector<std::byte>& file) {
  std::vector<std::int32_t> v(16, -1);
  const Status ok = codec::make_codec(spec)->decode(file, std::as_writable_bytes(std::span(v)));
  EXPECT_TRUE(ok.ok()) << ok.error().message;
  return v;
}

TEST(StoreSink, EncodesWritesAndCountsEachChunk) {
  for (const codec::CodecSpec spec : {codec::CodecSpec{codec::CodecId::kZstd, 1, 1}, codec::CodecSpec{codec::CodecId::kNone, 0, 0}}) {
    const fs::path store = fresh_store(spec.id == codec::CodecId::kNone ? "plain" : "zstd");
    ExecOptions options{store, spec, 3};
    ExecOptions::Progress progress;
    options.progress = &progress;
    StoreSink sink(options, 2);
    const model::ArrayLayout v = array_v();
    const auto values = chunk_values(100);
    const model::Shape index{1, 0};
    Stats stats;
    ASSERT_TRUE(sink.put(1, {v, index, std::as_bytes(std::span(values))}, stats).ok());
    const auto file = read_file(store / "v" / "1.0");
    EXPECT_EQ(decoded(spec, file), values);
    EXPECT_EQ(stats.chunks, 1u);
    EXPECT_EQ(stats.bytes_raw, 64u);
    EXPECT_EQ(stats.bytes_written, file.size());
    EXPECT_EQ(progress.chunks.load(), 1u);
    EXPECT_EQ(progress.bytes.load(), file.size());
    // The encoded buffer is worker 1's alone, and none without a codec.
    EXPECT_EQ(sink.buffer_bytes(0), 0u);
    EXPECT_EQ(sink.buffer_bytes(1) > 0, spec.id != codec::CodecId::kNone);
  }
}

TEST(StoreSink, WorkersPutChunksAtOnceEachWithItsOwnCodec) {
  const fs::path store = fresh_store("threads");
  const codec::CodecSpec zstd{codec::CodecId::kZstd, 3, 1};
  const ExecOptions options{store, zstd, 0};
  StoreSink sink(options, 4);
  const model::ArrayLayout v = array_v();
  std::vector<Stats> stats(4);
  std::atomic<bool> ok{true};
  {
    std::vector<std::jthread> threads;
    for (int w = 0; w < 4; ++w)
      threads.emplace_back([&, w] {
        for (int round = 0; round < 20; ++round) {
          const auto values = chunk_values(w * 1000 + round);
          const model::Shape index{static_cast<model::Index>(w), static_cast<model::Index>(round)};
          if (!sink.put(w, {v, index, std::as_bytes(std::span(values))}, stats[w]).ok()) ok = false;
        }
      });
  }
  ASSERT_TRUE(ok);
  for (int w = 0; w < 4; ++w) {
    EXPECT_EQ(stats[w].chunks, 20u);
    for (int round = 0; round < 20; ++round)
      EXPECT_EQ(decoded(zstd, read_file(store / "v" / zarr::chunk_key({model::Index(w), model::Index(round)}))),
                chunk_values(w * 1000 + round))
          << w << "." << round;
  }
}

TEST(StoreSink, AFailedWriteIsTheErrorAndCountsNothing) {
  const fs::path store = fresh_store("fault");
  ExecOptions options{store, {codec::CodecId::kNone, 0, 0}, 0};
  zarr::WriteFault fault(2);  // the second write fails half-way
  options.fail_write = &fault;
  ExecOptions::Progress progress;
  options.progress = &progress;
  StoreSink sink(options, 1);
  const model::ArrayLayout v = array_v();
  const auto values = chunk_values(0);
  Stats stats;
  ASSERT_TRUE(sink.put(0, {v, model::Shape{0, 0}, std::as_bytes(std::span(values))}, stats).ok());
  const Status failed = sink.put(0, {v, model::Shape{0, 1}, std::as_bytes(std::span(values))}, stats);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find((store / "v" / "0.1").string()), std::string::npos) << failed.error().message;
  EXPECT_FALSE(fs::exists(store / "v" / "0.1"));
  EXPECT_EQ(stats.chunks, 1u);
  EXPECT_EQ(progress.chunks.load(), 1u);
  EXPECT_EQ(std::distance(fs::directory_iterator(store / "v"), fs::directory_iterator()), 1);  // no temporary left
}

TEST(VerifySink, HandsEachChunkToTheCheckByIndexAndWritesNothing) {
  const model::ArrayLayout v = array_v();
  std::mutex mutex;
  std::vector<std::string> keys;
  std::vector<std::int32_t> seen;
  VerifySink sink([&](const model::ArrayLayout& array, const model::Shape& index,
                      std::span<const std::byte> raw) -> Status {
    const std::string key = zarr::chunk_key(index);
    std::lock_guard lock(mutex);
    EXPECT_EQ(array.name, "v");
    keys.push_back(key);
    seen.resize(raw.size() / 4);
    std::memcpy(seen.data(), raw.data(), raw.size());
    if (key == "9.9") return runtime_error("cannot read v/9.9");
    return {};
  });
  const auto values = chunk_values(7);
  Stats stats;
  ASSERT_TRUE(sink.put(0, {v, model::Shape{1, 2}, std::as_bytes(std::span(values))}, stats).ok());
  EXPECT_EQ(keys, std::vector<std::string>{"1.2"});
  EXPECT_EQ(seen, values);
  EXPECT_EQ(stats.chunks, 1u);
  EXPECT_EQ(stats.bytes_raw, 64u);
  EXPECT_EQ(stats.bytes_written, 0u);
  EXPECT_EQ(sink.buffer_bytes(0), 0u);
  const Status failed = sink.put(0, {v, model::Shape{9, 9}, std::as_bytes(std::span(values))}, stats);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "cannot read v/9.9");
  EXPECT_EQ(stats.chunks, 1u);
}

}  // namespace
}  // namespace zpmpi::exec
