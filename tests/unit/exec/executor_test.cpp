#include "zpmpi/exec/executor.hpp"

#include <algorithm>
#include <chrono>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <numeric>
#include <thread>

#include <gtest/gtest.h>

#include "../common/file_bytes.hpp"
#include "zpmpi/source/decode_buffers.hpp"
#include "zpmpi/zarr/chunk_files.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::exec {
namespace {

namespace fs = std::filesystem;
using model::Box;
using model::Index;
using model::Shape;

/// An in-memory 2-D int32 variable "v" whose element (i, j) is i * 100 + j. Like a source
/// that decodes chunks itself, it fills the rows of a read as tasks on the caller's runner.
class FakeSource : public source::Source {
 public:
  explicit FakeSource(Shape shape) {
    model::Variable v;
    v.name = "v";
    v.dtype = model::DType::i4;
    v.dims = {"y", "x"};
    v.shape = shape;
    v.source_chunks = shape;
    dataset_.uri = "fake.nc";
    dataset_.variables.push_back(v);
  }
  const model::Dataset& dataset() const override { return dataset_; }
  std::vector<std::string> input_files() const override { return {dataset_.uri}; }
  Status read(const std::string& variable, const Box& box, std::span<std::byte> out,
              const Shape& stride, source::TaskRunner* parallel) override {
    EXPECT_EQ(variable, "v");
    EXPECT_EQ(out.size(), box.num_elements() * 4);
    EXPECT_NE(parallel, nullptr);
    reads.push_back(box);
    const Shape step = stride.empty() ? Shape{1, 1} : stride;
    runner_workers = parallel->workers();
    return parallel->run(box.count[0], [&](std::size_t i, int worker) -> Status {
      if (worker < 0 || worker >= parallel->workers()) return runtime_error("worker id out of range");
      if (fail_row && box.start[0] + i * step[0] == *fail_row) return runtime_error("row " + std::to_string(*fail_row));
      for (model::Index j = 0; j < box.count[1]; ++j) {
        const std::int32_t value =
            static_cast<std::int32_t>((box.start[0] + i * step[0]) * 100 + box.start[1] + j * step[1]);
        std::memcpy(out.data() + (i * box.count[1] + j) * 4, &value, 4);
      }
      return {};
    });
  }
  std::vector<Box> reads;
  int runner_workers = 0;                 ///< workers() of the last runner given
  std::optional<model::Index> fail_row;   ///< a row whose task fails

 private:
  model::Dataset dataset_;
};

using zpmpi::testing::read_file;

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::path(ZPMPI_TEST_TMP) / ("exec_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

/// A fresh directory holding an empty store of `arrays` (a failure to create it fails the test).
fs::path fresh_store(const std::string& name, const std::vector<std::string>& arrays = {"v"}) {
  const fs::path store = fresh_dir(name);
  const auto created = zarr::create_store(store, arrays);
  EXPECT_TRUE(created.ok()) << created.error().message;
  return store;
}

void check_store(const fs::path& store, const codec::CodecSpec& spec, Shape shape, Shape chunks,
                 std::int32_t fill) {
  auto codec = codec::make_codec(spec);
  for (model::Index ci = 0; ci * chunks[0] < shape[0]; ++ci) {
    for (model::Index cj = 0; cj * chunks[1] < shape[1]; ++cj) {
      const auto encoded = read_file(store / "v" / zarr::chunk_key({ci, cj}));
      std::vector<std::int32_t> chunk(chunks[0] * chunks[1]);
      ASSERT_TRUE(codec->decode(encoded, std::as_writable_bytes(std::span(chunk))).ok());
      for (model::Index i = 0; i < chunks[0]; ++i)
        for (model::Index j = 0; j < chunks[1]; ++j) {
          const model::Index y = ci * chunks[0] + i, x = cj * chunks[1] + j;
          const std::int32_t expected = y < shape[0] && x < shape[1] ? static_cast<std::int32_t>(y * 100 + x) : fill;
          ASSERT_EQ(chunk[i * chunks[1] + j], expected) << "chunk " << ci << "." << cj << " at " << i << "," << j;
        }
    }
  }
}

struct Case {
  const char* name;
  codec::CodecSpec codec;
  std::uint64_t memory_limit;
  int workers = 1;
};

class ExecutorTest : public ::testing::TestWithParam<Case> {};

/// The 7 x 5 int32 array "v" in 3 x 2 chunks (edge chunks padded), fill value -9.
model::ArrayLayout seven_by_five() {
  const Shape shape{7, 5}, chunks{3, 2};
  model::ArrayLayout spec;
  spec.name = "v";
  spec.source.name = "v";
  spec.dtype = model::DType::i4;
  spec.shape = shape;
  spec.chunks = chunks;
  spec.alignment = shape;
  spec.fill_value = model::Scalar{std::int64_t{-9}};
  spec.map = model::IndexMap::identity(shape);
  spec.source.shape = shape;
  spec.source.chunks = shape;
  return spec;
}

/// The bounds the app passes (app/plan_bounds.hpp), with an encoded size bound above every
/// codec's (the source's stored chunk bound), so that one plan holds for runs with any.
plan::OwnerBounds any_codec_bounds() {
  plan::OwnerBounds b;
  b.encoded_size = &source::max_stored_chunk_bytes;
  b.stored_size = &source::max_stored_chunk_bytes;
  b.decode_chunk_buffers = source::kDecodeChunkBuffers;
  return b;
}

Result<plan::RegionPlan> plan_of(const model::ArrayLayout& spec, std::uint64_t memory_limit, int workers) {
  plan::PlanOptions options;
  options.bounds = any_codec_bounds();
  options.num_jobs = 3;
  options.num_ranks = 2;
  options.memory_limit = memory_limit;
  options.workers = workers;
  return plan::make_plan({spec}, options);
}

TEST_P(ExecutorTest, WritesEveryChunkPaddedWithTheFillValue) {
  const model::ArrayLayout spec = seven_by_five();
  const Shape shape = spec.shape, chunks = spec.chunks;
  auto plan = plan_of(spec, GetParam().memory_limit, GetParam().workers);
  ASSERT_TRUE(plan.ok()) << plan.error().message;

  const fs::path store = fresh_store(GetParam().name);
  FakeSource source(shape);
  std::uint64_t chunks_written = 0, bytes_needed = 0;
  for (int rank = 0; rank < 2; ++rank) {
    auto stats = run_rank(*plan, source, ExecOptions{store, GetParam().codec, rank});
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    chunks_written += stats->chunks;
    bytes_needed += stats->bytes_needed;
  }
  EXPECT_EQ(chunks_written, 3u * 3u);
  EXPECT_EQ(bytes_needed, 7u * 5u * 4u);  // every element read exactly once
  EXPECT_EQ(source.runner_workers, GetParam().workers);  // reads may use every worker
  check_store(store, GetParam().codec, shape, chunks, -9);
  for (const auto& entry : fs::directory_iterator(store / "v"))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, ExecutorTest,
    ::testing::Values(Case{"raw", {codec::CodecId::kNone, 1, 1}, 1'000'000},
                      Case{"zstd", {codec::CodecId::kZstd, 3, 1}, 1'000'000},
                      Case{"lz4", {codec::CodecId::kLz4, 1, 1}, 1'000'000},
                      // Room for one chunk per batch only: many small reads, same output.
                      Case{"tight", {codec::CodecId::kZstd, 1, 1}, 1100},
                      // Several workers share each batch's chunks, each with its own buffers.
                      Case{"zstd_3_workers", {codec::CodecId::kZstd, 1, 1}, 1'000'000, 3},
                      Case{"raw_8_workers", {codec::CodecId::kNone, 1, 1}, 1'000'000, 8},
                      Case{"tight_2_workers", {codec::CodecId::kLz4, 1, 1}, 2200, 2}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Executor, PeakBuffersStayWithinThePlan) {
  const model::ArrayLayout spec = seven_by_five();
  for (int workers : {1, 2, 4}) {
    auto plan = plan_of(spec, 1'000'000, workers);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    const fs::path store = fresh_store("peak_" + std::to_string(workers));
    FakeSource source(spec.shape);
    auto stats = run_rank(*plan, source, ExecOptions{store, {codec::CodecId::kZstd, 1, 1}, 0});
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    EXPECT_GT(stats->peak_buffer, 0u);
    EXPECT_LE(stats->peak_buffer, plan->arrays[0].batch_footprint) << workers << " workers";
  }
}

/// A kerchunk reference set of int32 variable "v" (element (i, j) = i * 100 + j) of
/// `shape`, stored in zstd chunks of `chunks` in one data file in `dir`; its refs.json.
fs::path write_zstd_refs(const fs::path& dir, const Shape& shape, const Shape& chunks) {
  fs::create_directories(dir);
  auto zstd = codec::make_codec({codec::CodecId::kZstd, 1, 1});
  std::ofstream data(dir / "data.bin", std::ios::binary);
  std::string refs = R"({"version": 1, "refs": {".zgroup": "{\"zarr_format\": 2}", "v/.zarray": "{\"zarr_format\": 2, \"shape\": [)" +
                     std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + R"(], \"chunks\": [)" +
                     std::to_string(chunks[0]) + ", " + std::to_string(chunks[1]) +
                     R"(], \"dtype\": \"<i4\", \"fill_value\": 0, \"order\": \"C\", \"filters\": null, \"compressor\": {\"id\": \"zstd\", \"level\": 1}}", "v/.zattrs": "{\"_ARRAY_DIMENSIONS\": [\"y\", \"x\"]}")";
  std::uint64_t at = 0;
  for (Index ci = 0; ci * chunks[0] < shape[0]; ++ci)
    for (Index cj = 0; cj * chunks[1] < shape[1]; ++cj) {
      std::vector<std::int32_t> raw(chunks[0] * chunks[1]);
      for (Index i = 0; i < chunks[0]; ++i)
        for (Index j = 0; j < chunks[1]; ++j)
          raw[i * chunks[1] + j] = static_cast<std::int32_t>((ci * chunks[0] + i) * 100 + cj * chunks[1] + j);
      const auto bytes = std::as_bytes(std::span(raw));
      std::vector<std::byte> stored(zstd->max_encoded_size(bytes.size()));
      const std::size_t n = zstd->encode(bytes, stored).value();
      data.write(reinterpret_cast<const char*>(stored.data()), static_cast<std::streamsize>(n));
      refs += ", \"v/" + std::to_string(ci) + "." + std::to_string(cj) + "\": [\"data.bin\", " + std::to_string(at) +
              ", " + std::to_string(n) + "]";
      at += n;
    }
  std::ofstream(dir / "refs.json") << refs << "}}";
  return dir / "refs.json";
}

TEST(Executor, PeakBuffersOfAReaderThatDecodesStayWithinThePlan) {
  // The reader's fetched bytes and each worker's decode buffers count too (source::
  // decode_buffer_bytes): the plan's footprint bounds them with the source's published
  // decode buffers.
  // Source chunks much larger than the output chunks: what the reader holds is no rounding error.
  const Shape shape{48, 300}, source_chunks{8, 300};
  const std::uint64_t source_chunk_bytes = 8 * 300 * 4;
  const fs::path refs = write_zstd_refs(fresh_dir("peak_decoding_refs"), shape, source_chunks);
  source::SourceSpec kerchunk;
  kerchunk.uris = {refs.string()};
  kerchunk.engine = source::Engine::kKerchunk;
  auto source = source::open_source(kerchunk);
  ASSERT_TRUE(source.ok()) << source.error().message;
  model::ArrayLayout spec = seven_by_five();
  spec.shape = shape;
  spec.chunks = {2, 100};
  spec.alignment = source_chunks;
  spec.map = model::IndexMap::identity(shape);
  spec.source = {"v", {"y", "x"}, shape, source_chunks, true, true, true};
  for (int workers : {1, 2, 4}) {
    auto plan = plan_of(spec, 1'000'000, workers);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    const fs::path store = fresh_store("peak_decoding_" + std::to_string(workers));
    for (int rank = 0; rank < 2; ++rank) {
      auto stats = run_rank(*plan, **source, ExecOptions{store, {codec::CodecId::kZstd, 1, 1}, rank});
      ASSERT_TRUE(stats.ok()) << stats.error().message;
      EXPECT_GT((*source)->decode_buffer_bytes(), 0u);
      EXPECT_GE(stats->peak_buffer, (*source)->decode_buffer_bytes());  // counted
      EXPECT_LE((*source)->decode_buffer_bytes(), source::kDecodeChunkBuffers * source_chunk_bytes * workers);
      EXPECT_LE(stats->peak_buffer, plan->arrays[0].batch_footprint) << workers << " workers, rank " << rank;
    }
    check_store(store, {codec::CodecId::kZstd, 1, 1}, shape, spec.chunks, 0);
  }
}

TEST(Executor, AFailingReadTaskStopsTheRankWithItsError) {
  const model::ArrayLayout spec = seven_by_five();
  auto plan = plan_of(spec, 1'000'000, 3);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const fs::path store = fresh_store("read_task_error");
  FakeSource source(spec.shape);
  source.fail_row = 4;
  std::string message;
  for (int rank = 0; rank < 2; ++rank) {
    auto stats = run_rank(*plan, source, ExecOptions{store, {codec::CodecId::kZstd, 1, 1}, rank});
    if (!stats.ok()) message = stats.error().message;
  }
  EXPECT_EQ(message, "row 4");
}

/// The chunk files (not temporaries) in `dir`.
std::vector<std::string> chunk_files(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// FakeSource as a source that decodes chunks itself and splits its reads: prepare_read
/// runs on the reading thread and leaves one task per row, which fills it.
class DeferringSource : public FakeSource {
 public:
  using FakeSource::FakeSource;
  Result<std::unique_ptr<source::DeferredRead>> prepare_read(const std::string& variable, const Box& box,
                                                             std::span<std::byte> out, const Shape& stride,
                                                             model::ByteBuffer& stored, std::uint64_t max_stored,
                                                             int workers) override {
    EXPECT_EQ(variable, "v");
    EXPECT_TRUE(stride.empty());
    EXPECT_EQ(std::this_thread::get_id(), reading_thread);
    EXPECT_GT(max_stored, 0u);
    if (decline) return std::unique_ptr<source::DeferredRead>();
    ++prepared;
    stored.get(16);  // the slot's buffer is the source's to use
    return std::unique_ptr<source::DeferredRead>(std::make_unique<Rows>(*this, box, out, workers));
  }
  std::thread::id reading_thread = std::this_thread::get_id();
  bool decline = false;
  int task_delay_ms = 0;  ///< each decoding task takes at least this long
  std::atomic<int> prepared{0}, tasks_run{0};
  std::atomic<bool> task_on_reading_thread{false};

 private:
  struct Rows final : source::DeferredRead {
    Rows(DeferringSource& s, const Box& b, std::span<std::byte> o, int w) : src(s), box(b), out(o), workers(w) {}
    std::size_t tasks() const override { return static_cast<std::size_t>(box.count[0]); }
    Status run(std::size_t i, int worker) override {
      if (worker < 0 || worker >= workers) return runtime_error("worker id out of range");
      if (std::this_thread::get_id() == src.reading_thread) src.task_on_reading_thread = true;
      ++src.tasks_run;
      if (src.task_delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(src.task_delay_ms));
      const Index row = box.start[0] + static_cast<Index>(i);
      if (src.fail_row && row == *src.fail_row) return runtime_error("row " + std::to_string(row));
      for (Index j = 0; j < box.count[1]; ++j) {
        const auto value = static_cast<std::int32_t>(row * 100 + box.start[1] + j);
        std::memcpy(out.data() + (i * box.count[1] + j) * 4, &value, 4);
      }
      return {};
    }
    DeferringSource& src;
    Box box;
    std::span<std::byte> out;
    int workers;
  };
};

/// seven_by_five as a compressed source zpmpi decodes on the workers: batches in flight.
model::ArrayLayout decoded_on_workers() {
  model::ArrayLayout spec = seven_by_five();
  spec.source.chunked = true;
  spec.source.compressed = true;
  spec.source.decoded_on_workers = true;
  spec.source.chunks = {1, 5};  // a source chunk per row: several units, several batches
  return spec;
}

TEST(Executor, BatchesInFlightFetchOnTheReadingThreadAndDecodeAndWriteOnTheWorkers) {
  for (int workers : {2, 3, 8}) {
    SCOPED_TRACE(workers);
    const model::ArrayLayout spec = decoded_on_workers();
    auto plan = plan_of(spec, 1'000'000, workers);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    ASSERT_EQ(plan->arrays[0].batches_in_flight, workers);
    const fs::path store = fresh_store("in_flight_" + std::to_string(workers));
    DeferringSource source(spec.shape);
    std::uint64_t chunks = 0, needed = 0, peak = 0;
    for (int rank = 0; rank < 2; ++rank) {
      auto stats = run_rank(*plan, source, ExecOptions{store, {codec::CodecId::kZstd, 1, 1}, rank});
      ASSERT_TRUE(stats.ok()) << stats.error().message;
      chunks += stats->chunks;
      needed += stats->bytes_needed;
      peak = std::max(peak, stats->peak_buffer);
    }
    EXPECT_EQ(chunks, 9u);
    EXPECT_EQ(needed, 7u * 5u * 4u);
    EXPECT_TRUE(source.reads.empty());  // every read was split
    EXPECT_GT(source.prepared.load(), 1);
    Index rows = 0;  // one task per row of every batch
    for (const plan::Region& region : plan->regions)
      plan::for_each_batch(*plan, region, [&](const plan::Batch& b) { rows += b.elements.count[0]; });
    EXPECT_EQ(source.tasks_run.load(), rows);
    EXPECT_FALSE(source.task_on_reading_thread.load());
    EXPECT_LE(peak, plan->arrays[0].batch_footprint);
    check_store(store, {codec::CodecId::kZstd, 1, 1}, spec.shape, spec.chunks, -9);
  }
}

TEST(Executor, ArraysInFlightAndNotTakeTurnsOnTheSameSlots) {
  // Arrays of one source variable: "big" (read whole: netCDF-C decodes it), "small" in
  // rows (two batches in flight), "big2" as big. Each switch drains the slots and fits
  // their buffers to the next array; every chunk is written, within the plan's memory.
  model::ArrayLayout big = decoded_on_workers(), small = decoded_on_workers();
  big.name = "big";
  big.chunks = {7, 5};
  big.source.decoded_on_workers = false;
  small.name = "small";
  small.chunks = {1, 5};
  model::ArrayLayout big2 = big;
  big2.name = "big2";
  plan::PlanOptions options;
  options.workers = 2;
  options.bounds = any_codec_bounds();
  auto plan = plan::make_plan({big, small, big2}, options);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->arrays[0].batches_in_flight, 1);
  ASSERT_EQ(plan->arrays[1].batches_in_flight, 2);
  const fs::path store = fresh_store("slots_fit", {"big", "small", "big2"});
  DeferringSource source(big.shape);
  auto stats = run_rank(*plan, source, ExecOptions{store, {codec::CodecId::kNone, 0, 0}, 0});
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->chunks, 1u + 7u + 1u);
  EXPECT_LE(stats->peak_buffer, plan->max_batch_footprint);
  EXPECT_EQ(source.prepared.load(), 1);  // small's one batch (its unit is the whole array)
  EXPECT_EQ(source.reads.size(), 2u);    // big's and big2's
  for (const char* name : {"big", "big2"}) {
    const auto bytes = read_file(store / name / "0.0");
    ASSERT_EQ(bytes.size(), 7u * 5 * 4) << name;
    std::int32_t last = 0;
    std::memcpy(&last, bytes.data() + bytes.size() - 4, 4);
    EXPECT_EQ(last, 604) << name;
  }
  for (Index row = 0; row < 7; ++row) {
    const auto bytes = read_file(store / "small" / zarr::chunk_key({row, 0}));
    std::int32_t first = 0;
    std::memcpy(&first, bytes.data(), 4);
    EXPECT_EQ(first, row * 100) << row;
  }
}

TEST(Executor, TheReadingThreadKeepsCheckingWhileItWaitsForTheBatchesInFlight) {
  // The reading thread polls the run channel (another rank's stop, progress) through
  // check(); with batches in flight it waits for slots instead of writing chunks, and must
  // keep checking meanwhile: a stop then ends the rank before the slow batches are done.
  const model::ArrayLayout spec = decoded_on_workers();
  auto plan = plan_of(spec, 1'000'000, 2);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const fs::path store = fresh_store("in_flight_check");
  int batches = 0;
  for (const plan::Region& region : plan::regions_of_rank(*plan, 0))
    plan::for_each_batch(*plan, region, [&](const plan::Batch&) { ++batches; });
  ASSERT_GE(batches, 2);
  DeferringSource source(spec.shape);
  source.task_delay_ms = 300;
  ExecOptions options{store, {codec::CodecId::kNone, 0, 0}, 0};
  // The stop comes once every batch is queued: only a check while waiting can see it.
  options.check = [&]() -> Status {
    if (std::this_thread::get_id() == source.reading_thread && source.prepared.load() == batches)
      return Error{"stopped by rank 1", ExitCode::kInterrupted};
    return {};
  };
  auto stats = run_rank(*plan, source, options);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.error().message, "stopped by rank 1");
}

TEST(Executor, AReadTheSourceDoesNotSplitIsReadWhole) {
  const model::ArrayLayout spec = decoded_on_workers();
  auto plan = plan_of(spec, 1'000'000, 2);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->arrays[0].batches_in_flight, 2);
  const fs::path store = fresh_store("in_flight_declined");
  DeferringSource source(spec.shape);
  source.decline = true;
  for (int rank = 0; rank < 2; ++rank) {
    auto stats = run_rank(*plan, source, ExecOptions{store, {codec::CodecId::kNone, 0, 0}, rank});
    ASSERT_TRUE(stats.ok()) << stats.error().message;
  }
  EXPECT_FALSE(source.reads.empty());
  EXPECT_EQ(source.prepared.load(), 0);
  check_store(store, {codec::CodecId::kNone, 0, 0}, spec.shape, spec.chunks, -9);
}

TEST(Executor, AFailingDeferredDecodeStopsTheRankWithItsErrorAndWritesNothingOfItsBatch) {
  const model::ArrayLayout spec = decoded_on_workers();
  for (int workers : {2, 4}) {
    auto plan = plan_of(spec, 1'000'000, workers);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    const fs::path store = fresh_store("in_flight_error_" + std::to_string(workers));
    DeferringSource source(spec.shape);
    source.fail_row = 4;
    std::string message;
    for (int rank = 0; rank < 2; ++rank) {
      auto stats = run_rank(*plan, source, ExecOptions{store, {codec::CodecId::kZstd, 1, 1}, rank});
      if (!stats.ok()) message = stats.error().message;
    }
    EXPECT_EQ(message, "row 4");
    // Row 4 is in chunk row 1 (rows 3-5): none of those chunks is written.
    const auto names = chunk_files(store / "v");
    for (const char* key : {"1.0", "1.1", "1.2"})
      EXPECT_EQ(std::count(names.begin(), names.end(), key), 0) << key;
  }
}

TEST(Executor, AFailingWorkerStopsTheRankWithItsError) {
  // Batches read whole, and batches in flight.
  for (const model::ArrayLayout& spec : {seven_by_five(), decoded_on_workers()}) {
    auto plan = plan_of(spec, 1'000'000, 3);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    const fs::path store = fresh_store("worker_error");
    fs::remove_all(store / "v");  // every chunk write now fails
    DeferringSource source(spec.shape);
    auto stats = run_rank(*plan, source, ExecOptions{store, {codec::CodecId::kZstd, 1, 1}, 0});
    ASSERT_FALSE(stats.ok());
    EXPECT_EQ(stats.error().code, ExitCode::kRuntime);
    EXPECT_NE(stats.error().message.find("cannot write " + (store / "v").string()), std::string::npos)
        << stats.error().message;
    EXPECT_EQ(source.prepared.load() > 0, plan->arrays[0].batches_in_flight > 1);
  }
}

TEST(Executor, ResumeWritesOnlyTheMissingChunksAndReadsNoBatchThatIsComplete) {
  const model::ArrayLayout spec = seven_by_five();  // 3 x 3 chunks
  auto plan = plan_of(spec, 1200, 1);               // the smallest batches
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  // A batch is read unless every chunk of it exists.
  std::size_t batches = 0, complete = 0;
  for (const plan::Region& region : plan->regions)
    plan::for_each_batch(*plan, region, [&](const plan::Batch& b) {
      ++batches;
      bool all = true;
      for (Index i = 0; i < b.chunks.count[0]; ++i)
        for (Index j = 0; j < b.chunks.count[1]; ++j) {
          const Index ci = b.chunks.start[0] + i, cj = b.chunks.start[1] + j;
          all = all && ((ci == 0 && cj == 0) || (ci == 2 && cj == 1));
        }
      complete += all ? 1 : 0;
    });
  ASSERT_GT(complete, 0u) << "the plan's batches are too large for this test";
  const fs::path store = fresh_store("resume_present");
  // Chunks 0.0 and 2.1 exist already (linear 0 and 7 in the 3 x 3 grid).
  const std::vector<std::vector<bool>> present{{true, false, false, false, false, false, false, true, false}};
  FakeSource source(spec.shape);
  std::uint64_t written = 0, kept = 0;
  for (int rank = 0; rank < 2; ++rank) {
    ExecOptions options{store, {codec::CodecId::kNone, 0, 0}, rank};
    options.present = &present;
    auto stats = run_rank(*plan, source, options);
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    written += stats->chunks;
    kept += stats->chunks_present;
  }
  EXPECT_EQ(written, 7u);
  EXPECT_EQ(kept, 2u);
  EXPECT_EQ(source.reads.size(), batches - complete);  // the complete batches were not read
  const auto names = chunk_files(store / "v");
  EXPECT_EQ(std::count(names.begin(), names.end(), "0.0"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "2.1"), 0);
  EXPECT_EQ(names.size(), 7u);
}

TEST(Executor, ACheckThatSaysStopEndsTheRankBetweenChunksWithItsError) {
  const model::ArrayLayout spec = seven_by_five();
  auto plan = plan_of(spec, 1'000'000, 2);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const fs::path store = fresh_store("check_stops");
  FakeSource source(spec.shape);
  std::atomic<int> calls{0};
  ExecOptions options{store, {codec::CodecId::kZstd, 1, 1}, 0};
  options.check = [&]() -> Status {
    if (++calls > 3) return Error{"interrupted by SIGTERM", ExitCode::kInterrupted};
    return {};
  };
  ExecOptions::Progress progress;
  options.progress = &progress;
  auto stats = run_rank(*plan, source, options);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.error().code, ExitCode::kInterrupted);
  EXPECT_EQ(stats.error().message, "interrupted by SIGTERM");
  const auto names = chunk_files(store / "v");
  EXPECT_EQ(names.size(), progress.chunks.load());  // every chunk started was finished
  EXPECT_LT(names.size(), 9u);
  for (const auto& n : names) EXPECT_NE(n[0], '.') << "temporary file left: " << n;
}

TEST(Executor, AmplificationCountsWholeChunksOnlyWhenCompressed) {
  // The 7 x 5 source is one chunk; one output chunk per batch (3 x 2 elements) reads a part
  // of it. Compressed, every such read decodes the whole chunk; uncompressed, it reads
  // just its part, so nothing is amplified.
  for (bool compressed : {false, true}) {
    model::ArrayLayout spec = seven_by_five();
    spec.source.chunked = true;
    spec.source.compressed = compressed;
    auto plan = plan_of(spec, compressed ? 1100 + source::kDecodeChunkBuffers * 7 * 5 * 4 : 1100, 1);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    ASSERT_EQ(plan->arrays[0].batch_chunks, (Shape{1, 1}));
    const fs::path store = fresh_store(compressed ? "amplification_zip" : "amplification_raw");
    FakeSource source(spec.shape);
    std::uint64_t needed = 0, decoded = 0, batches = 0;
    for (int rank = 0; rank < 2; ++rank) {
      auto stats = run_rank(*plan, source, ExecOptions{store, {codec::CodecId::kNone, 1, 1}, rank});
      ASSERT_TRUE(stats.ok()) << stats.error().message;
      needed += stats->bytes_needed;
      decoded += stats->bytes_decoded;
      batches += stats->chunks;
    }
    EXPECT_EQ(needed, 7u * 5u * 4u);
    EXPECT_EQ(decoded, compressed ? batches * 7 * 5 * 4 : needed) << (compressed ? "compressed" : "uncompressed");
  }
}

/// A sink that records what the executor hands it, in order: "put KEY" per chunk (its
/// first element checked against the FakeSource's values), "end KEY..." per batch (the
/// keys of its chunk box), "finish". A put of `fail_key` fails.
/// "end" and the keys of the batch's chunks, as RecordingSink records a batch's end.
std::string end_event(const plan::Batch& batch) {
  std::string event = "end";
  for (Index n = 0; n < batch.chunks.num_elements(); ++n) {
    event += ' ';
    event += zarr::chunk_key(model::nth_index(batch.chunks, n));
  }
  return event;
}

class RecordingSink final : public ChunkSink {
 public:
  Status put(int worker, const AssembledChunk& chunk, Stats& stats) override {
    std::lock_guard lock(mutex_);
    EXPECT_GE(worker, 0);
    EXPECT_EQ(chunk.raw.size(), model::num_elements(chunk.array.chunks) * 4);
    std::int32_t first = 0;
    std::memcpy(&first, chunk.raw.data(), 4);
    EXPECT_EQ(first, static_cast<std::int32_t>(chunk.index[0] * chunk.array.chunks[0] * 100 +
                                               chunk.index[1] * chunk.array.chunks[1]));
    const std::string key = zarr::chunk_key(chunk.index);
    events.push_back("put " + key);
    if (key == fail_key) return runtime_error("cannot put " + key);
    stats.chunks += 1;
    return {};
  }
  Status end_batch(const plan::Batch& batch) override {
    std::lock_guard lock(mutex_);
    events.push_back(end_event(batch));
    return {};
  }
  Status finish() override {
    std::lock_guard lock(mutex_);
    events.push_back("finish");
    return {};
  }
  std::uint64_t buffer_bytes(int) const override { return 0; }

  std::vector<std::string> events;
  std::string fail_key;

 private:
  std::mutex mutex_;
};

/// Every batch of `rank` ended once, after every chunk of it that is not `present` was
/// put once; every chunk put belongs to an ended batch; "finish" last.
void check_sink_order(const plan::RegionPlan& plan, int rank, const std::vector<std::string>& events,
                      const std::vector<std::string>& present = {}) {
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "finish");
  EXPECT_EQ(std::count(events.begin(), events.end(), "finish"), 1);
  std::size_t puts = 0, ends = 0;
  for (const plan::Region& region : plan::regions_of_rank(plan, rank))
    plan::for_each_batch(plan, region, [&](const plan::Batch& b) {
      const std::string end = end_event(b);
      const auto at = std::find(events.begin(), events.end(), end);
      ASSERT_NE(at, events.end()) << end;
      EXPECT_EQ(std::count(events.begin(), events.end(), end), 1) << end;
      ++ends;
      for (Index n = 0; n < b.chunks.num_elements(); ++n) {
        const std::string key = zarr::chunk_key(model::nth_index(b.chunks, n));
        if (std::count(present.begin(), present.end(), key)) continue;
        EXPECT_EQ(std::count(events.begin(), events.end(), "put " + key), 1) << key;
        EXPECT_LT(std::find(events.begin(), events.end(), "put " + key), at) << key << " put after " << end;
        ++puts;
      }
    });
  EXPECT_EQ(events.size(), puts + ends + 1);  // nothing else
}

TEST(Executor, TheSinkGetsEveryChunkThenTheEndOfItsBatchThenOneFinish) {
  // Batches read whole (1 and 3 workers), and batches in flight.
  struct Run {
    model::ArrayLayout spec;
    int workers;
    std::uint64_t memory_limit;  ///< small batches: several per rank
  };
  for (const Run& run : {Run{seven_by_five(), 1, 1200}, Run{seven_by_five(), 3, 3600},
                         Run{decoded_on_workers(), 2, 1'000'000}}) {
    auto plan = plan_of(run.spec, run.memory_limit, run.workers);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    std::size_t batches = 0;
    for (const plan::Region& region : plan::regions_of_rank(*plan, 0))
      plan::for_each_batch(*plan, region, [&](const plan::Batch&) { ++batches; });
    ASSERT_GE(batches, 2u);
    ASSERT_EQ(plan->arrays[0].batches_in_flight > 1, run.spec.source.decoded_on_workers);
    DeferringSource source(run.spec.shape);
    for (int rank = 0; rank < 2; ++rank) {
      SCOPED_TRACE("workers " + std::to_string(run.workers) + ", rank " + std::to_string(rank));
      RecordingSink sink;
      auto stats = run_rank(*plan, source, ExecOptions{"unused", {}, rank}, sink);
      ASSERT_TRUE(stats.ok()) << stats.error().message;
      check_sink_order(*plan, rank, sink.events);
      EXPECT_EQ(stats->chunks, static_cast<std::uint64_t>(std::count_if(
                                   sink.events.begin(), sink.events.end(), [](const auto& e) { return e[0] == 'p'; })));
    }
  }
}

TEST(Executor, ABatchFoundCompleteOnResumeStillEndsInTheSink) {
  const model::ArrayLayout spec = seven_by_five();
  auto plan = plan_of(spec, 1200, 1);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  std::vector<std::vector<bool>> present{std::vector<bool>(9, true)};
  present[0][4] = false;  // only chunk 1.1 is missing
  FakeSource source(spec.shape);
  for (int rank = 0; rank < 2; ++rank) {
    ExecOptions options{"unused", {}, rank};
    options.present = &present;
    RecordingSink sink;
    auto stats = run_rank(*plan, source, options, sink);
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    check_sink_order(*plan, rank, sink.events, {"0.0", "0.1", "0.2", "1.0", "1.2", "2.0", "2.1", "2.2"});
  }
}

TEST(Executor, AFailingPutStopsTheRankAndTheSinkIsNotFinished) {
  for (const model::ArrayLayout& spec : {seven_by_five(), decoded_on_workers()}) {
    auto plan = plan_of(spec, 1'000'000, 2);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    DeferringSource source(spec.shape);
    std::string message;
    for (int rank = 0; rank < 2; ++rank) {
      RecordingSink sink;
      sink.fail_key = "1.1";
      auto stats = run_rank(*plan, source, ExecOptions{"unused", {}, rank}, sink);
      if (stats.ok()) continue;
      message = stats.error().message;
      EXPECT_EQ(std::count(sink.events.begin(), sink.events.end(), "finish"), 0);
      for (const std::string& e : sink.events)  // its batch never ends
        EXPECT_FALSE(e.starts_with("end") && e.find(" 1.1") != std::string::npos) << e;
    }
    EXPECT_EQ(message, "cannot put 1.1");
  }
}

TEST(Executor, VerifyChunkTakesEveryChunkInsteadOfTheStore) {
  const model::ArrayLayout spec = seven_by_five();
  auto plan = plan_of(spec, 2400, 2);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const fs::path store = fresh_store("verify_sink");
  FakeSource source(spec.shape);
  std::mutex mutex;
  std::vector<std::string> keys;
  std::vector<std::int32_t> corner;  // chunk 2.2: element (6, 4) then padding
  for (int rank = 0; rank < 2; ++rank) {
    ExecOptions options{store, {codec::CodecId::kZstd, 1, 1}, rank};
    options.verify_chunk = [&](const model::ArrayLayout& a, const model::Shape& index, std::span<const std::byte> raw) {
      const std::string key = zarr::chunk_key(index);
      std::lock_guard lock(mutex);
      EXPECT_EQ(a.name, "v");
      keys.push_back(key);
      if (key == "2.2") {
        corner.resize(raw.size() / 4);
        std::memcpy(corner.data(), raw.data(), raw.size());
      }
      return Status{};
    };
    auto stats = run_rank(*plan, source, options);
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    EXPECT_EQ(stats->bytes_written, 0u);
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"0.0", "0.1", "0.2", "1.0", "1.1", "1.2", "2.0", "2.1", "2.2"}));
  EXPECT_EQ(corner, (std::vector<std::int32_t>{604, -9, -9, -9, -9, -9}));
  EXPECT_TRUE(chunk_files(store / "v").empty());  // nothing written
}

TEST(TouchedElements, CountsWholeSourceChunks) {
  // Shape 10 x 10 in 4 x 4 chunks: reading rows 3..5, cols 0..9 touches chunk rows 0 and 1
  // (8 rows) across all columns.
  EXPECT_EQ(touched_elements(Box{{3, 0}, {3, 10}}, {10, 10}, {4, 4}), 80u);
  // An aligned read touches exactly itself; the edge chunk is clipped to the shape.
  EXPECT_EQ(touched_elements(Box{{8, 8}, {2, 2}}, {10, 10}, {4, 4}), 4u);
  EXPECT_EQ(touched_elements(Box{{0, 0}, {0, 4}}, {10, 10}, {4, 4}), 0u);
}

}  // namespace
}  // namespace zpmpi::exec

namespace zpmpi::exec {
namespace {

/// seven_by_five() in 1 x 1 chunks, fill 0 (element (0, 0) is 0: its chunk is all fill),
/// in shards of `shards`, written as a v3 store by two ranks.
fs::path write_sharded(const std::string& name, const Shape& shards, std::uint64_t* written = nullptr) {
  model::ArrayLayout spec = seven_by_five();
  spec.chunks = {1, 1};
  spec.shards = shards;
  spec.fill_value = model::Scalar{std::int64_t{0}};
  auto plan = plan_of(spec, 1 << 20, 2);
  EXPECT_TRUE(plan.ok()) << plan.error().message;
  const fs::path store = fresh_dir(name);
  EXPECT_TRUE(zarr::create_store(store, {"v"}, zarr::ZarrFormat::kV3).ok());
  FakeSource source(spec.shape);
  for (int rank = 0; rank < 2; ++rank) {
    ExecOptions options{store, {codec::CodecId::kZstd, 1, 1}, rank, zarr::ZarrFormat::kV3};
    auto stats = run_rank(*plan, source, options);
    EXPECT_TRUE(stats.ok()) << stats.error().message;
    if (stats.ok() && written) *written += stats->chunks;
  }
  return store;
}

/// The value of chunk `slot` of the shard file `key`, from its index: nullopt when absent.
std::optional<std::int32_t> inner_value(const fs::path& store, const std::string& key, std::uint64_t slot,
                                        std::uint64_t slots) {
  auto index = zarr::read_shard_index(store, fs::path("v") / key, slots);
  EXPECT_TRUE(index.ok() && *index) << key;
  if (!index.ok() || !*index) return std::nullopt;
  const zarr::ShardEntry e = (**index)[slot];
  if (e.absent()) return std::nullopt;
  const auto bytes = read_file(store / "v" / key);
  std::int32_t value = -1;
  const auto decoded = codec::make_codec({codec::CodecId::kZstd, 1, 1})
                           ->decode(std::span(bytes).subspan(e.offset, e.nbytes), std::as_writable_bytes(std::span(&value, 1)));
  EXPECT_TRUE(decoded.ok());
  return value;
}

TEST(ExecutorShards, EachShardHoldsItsInnerChunksAndAnIndexAndAChunkOfFillIsNotStored) {
  std::uint64_t chunks = 0;
  const fs::path store = write_sharded("shards_2x2", {2, 2}, &chunks);
  EXPECT_EQ(chunks, 35u);  // every chunk counted, the one of fill too
  // 7 x 5 chunks in shards of 2 x 2 chunks: 4 x 3 shard files, the last row and column partial.
  for (model::Index si = 0; si < 4; ++si)
    for (model::Index sj = 0; sj < 3; ++sj)
      for (std::uint64_t slot = 0; slot < 4; ++slot) {
        const model::Index y = si * 2 + slot / 2, x = sj * 2 + slot % 2;
        const auto value = inner_value(store, "c/" + std::to_string(si) + "/" + std::to_string(sj), slot, 4);
        if (y >= 7 || x >= 5 || (y == 0 && x == 0)) {
          EXPECT_FALSE(value) << y << "," << x;  // beyond the edge, or all fill
        } else {
          EXPECT_EQ(value, std::optional<std::int32_t>(static_cast<std::int32_t>(y * 100 + x))) << y << "," << x;
        }
      }
  for (const auto& e : fs::recursive_directory_iterator(store))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(ExecutorShards, AShardOfFillAloneHasNoFile) {
  const fs::path store = write_sharded("shards_1x1", {1, 1});
  EXPECT_FALSE(fs::exists(store / "v" / "c" / "0" / "0"));
  EXPECT_EQ(inner_value(store, "c/0/1", 0, 1), std::optional<std::int32_t>(1));
  EXPECT_EQ(inner_value(store, "c/6/4", 0, 1), std::optional<std::int32_t>(604));
}

TEST(ExecutorShards, AFailedWriteLeavesNoShardFileAndNoTemporary) {
  model::ArrayLayout spec = seven_by_five();
  spec.chunks = {1, 1};
  spec.shards = {7, 5};  // one shard: its 35 chunks then its index
  auto plan = plan_of(spec, 1 << 20, 2);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const fs::path store = fresh_dir("shards_fault");
  ASSERT_TRUE(zarr::create_store(store, {"v"}, zarr::ZarrFormat::kV3).ok());
  FakeSource source(spec.shape);
  zarr::WriteFault fault(36);  // the index, after every chunk
  int failed = 0;
  for (int rank = 0; rank < 2; ++rank) {  // one rank owns the shard
    ExecOptions options{store, {codec::CodecId::kZstd, 1, 1}, rank, zarr::ZarrFormat::kV3};
    options.fail_write = &fault;
    auto stats = run_rank(*plan, source, options);
    if (stats.ok()) continue;
    ++failed;
    EXPECT_NE(stats.error().message.find("v/c/0/0"), std::string::npos) << stats.error().message;
  }
  EXPECT_EQ(failed, 1);
  std::vector<std::string> left;
  for (const auto& e : fs::recursive_directory_iterator(store))
    if (e.is_regular_file()) left.push_back(e.path().lexically_relative(store).string());
  EXPECT_EQ(left, std::vector<std::string>{});
}

}  // namespace
}  // namespace zpmpi::exec
