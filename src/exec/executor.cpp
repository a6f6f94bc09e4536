#include "zpmpi/exec/executor.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "task_pool.hpp"
#include "zpmpi/exec/value_transforms.hpp"
#include "zpmpi/model/byte_buffer.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::exec {
namespace {

using model::Box;
using model::Index;
using model::Shape;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

using Buffer = model::ByteBuffer;  ///< batches reuse it without zeroing gigabytes

/// True when a `count` block inside a C-order array of `shape` occupies one contiguous
/// run: leading dims of count 1, then at most one partial dim, then full dims.
bool is_contiguous(const Shape& count, const Shape& shape) {
  std::size_t d = 0;
  while (d < count.size() && count[d] == 1) ++d;
  if (d < count.size()) ++d;  // the one dim that may be partial
  for (; d < count.size(); ++d)
    if (count[d] != shape[d]) return false;
  return true;
}

/// Fills `n` elements at `out` with the fill value (zeros when there is none).
void fill(std::byte* out, std::size_t n, model::DType dtype, const std::optional<model::Scalar>& value) {
  const std::size_t esize = model::dtype_size(dtype);
  if (!value || n == 0) {
    std::memset(out, 0, n * esize);
    return;
  }
  model::store_scalar(dtype, *value, out);
  // Double the filled prefix until it covers the buffer.
  for (std::size_t done = 1; done < n;) {
    const std::size_t step = std::min(done, n - done);
    std::memcpy(out + done * esize, out, step * esize);
    done += step;
  }
}

/// Runs tasks on `workers` threads: this one and workers - 1 started for the call (a
/// thread start costs tens of microseconds, far below one chunk's work). Tasks are taken
/// from an atomic counter; the first error stops the rest from starting.
class ThreadRunner final : public source::TaskRunner {
 public:
  explicit ThreadRunner(int workers) : workers_(workers) {}
  int workers() const override { return workers_; }

  Status run(std::size_t n, const std::function<Status(std::size_t, int)>& task) override {
    if (workers_ == 1 || n <= 1) {
      for (std::size_t i = 0; i < n; ++i) ZPMPI_RETURN_IF_ERROR(task(i, 0));
      return {};
    }
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::vector<Status> status(static_cast<std::size_t>(workers_));
    const auto work = [&](int w) {
      try {
        for (std::size_t i = next++; i < n && !failed; i = next++) {
          status[w] = task(i, w);
          if (!status[w].ok()) failed = true;
        }
      } catch (const std::exception& e) {  // an exception leaving a thread would terminate
        status[w] = runtime_error(std::string("unexpected failure: ") + e.what());
        failed = true;
      }
    };
    {
      std::vector<std::jthread> threads;
      const int used = static_cast<int>(std::min<std::size_t>(workers_, n));
      for (int w = 1; w < used; ++w) threads.emplace_back(work, w);
      work(0);
    }  // joins
    for (Status& s : status)
      if (!s.ok()) return s;
    return {};
  }

 private:
  int workers_;
};

/// What one encode/write thread owns: its codec (zstd keeps a context), its buffers and
/// its counters, so workers share nothing but the read-only hyperslab.
struct Worker {
  std::unique_ptr<codec::Codec> codec;
  Buffer chunk, encoded;
  Buffer row;  ///< one strided chunk row in the read type, before its value stage
  Stats stats;
};

/// A batch in flight (ArrayPlan::batches_in_flight > 1): its buffers, kept across the
/// batches it takes in turn, and the tasks it has left.
struct Slot {
  Buffer hyperslab;
  Buffer stored;  ///< the batch's stored source chunks, fetched ahead
  plan::Batch batch;
  std::unique_ptr<source::DeferredRead> read;
  std::atomic<std::size_t> left{0};  ///< tasks of the current stage (decode, then write) not done
  bool busy = false;                 ///< guarded by the executor's mutex_
};

class RankExecutor {
 public:
  RankExecutor(const plan::RegionPlan& plan, source::Source& source, const ExecOptions& options)
      : plan_(plan),
        source_(source),
        options_(options),
        workers_(std::max(plan.options.workers, 1)),
        runner_(static_cast<int>(workers_.size())) {
    for (Worker& w : workers_) w.codec = codec::make_codec(options.codec);
    int in_flight = 1;
    for (const plan::ArrayPlan& a : plan.arrays) in_flight = std::max(in_flight, a.batches_in_flight);
    if (in_flight > 1) {
      for (int i = 0; i < in_flight; ++i) slots_.push_back(std::make_unique<Slot>());
      pool_.emplace(static_cast<int>(workers_.size()));
    }
  }

  ~RankExecutor() { failed_ = true; }  // before pool_ joins: tasks still queued do nothing

  Status run_batch(const plan::Batch& batch) {
    if (options_.check) ZPMPI_RETURN_IF_ERROR(options_.check());
    if (all_present(batch)) {
      stats_.chunks_present += static_cast<std::uint64_t>(batch.chunks.num_elements());
      return {};
    }
    if (!slots_.empty() && batch.array != slots_array_) {
      ZPMPI_RETURN_IF_ERROR(drain());
      fit_slots(batch.array);
    }
    if (pool_ && plan_.arrays[batch.array].batches_in_flight > 1) {
      ZPMPI_ASSIGN_OR_RETURN(const bool queued, queue_batch(batch));
      if (queued) return {};
    }
    ZPMPI_RETURN_IF_ERROR(drain());  // the workers are this batch's alone
    const model::ArrayLayout& spec = plan_.arrays[batch.array].layout;
    // Read in the source's element type and dim order (transpose and values: write_chunk).
    const Box stored = spec.map.stored_box(batch.elements);  // a new dim (expand_dims) is not read
    const std::size_t hyper_bytes = stored.num_elements() * model::dtype_size(spec.read_dtype());

    const auto t0 = Clock::now();
    // With batches in flight, all done now, the first slot's buffer: the plan counts no other.
    Buffer& hyperslab = slots_.empty() ? hyperslab_ : slots_.front()->hyperslab;
    std::byte* hyper = hyperslab.get(hyper_bytes);
    ZPMPI_RETURN_IF_ERROR(read_hyperslab(spec, stored, hyper, hyper_bytes));
    stats_.seconds_read += seconds_since(t0);
    stats_.bytes_needed += hyper_bytes;

    ZPMPI_RETURN_IF_ERROR(write_chunks(batch, hyper));
    std::uint64_t buffers = hyperslab.capacity() + staging_.capacity();
    for (std::size_t i = 1; i < slots_.size(); ++i) buffers += slots_[i]->hyperslab.capacity();
    for (const Worker& w : workers_) buffers += w.chunk.capacity() + w.encoded.capacity() + w.row.capacity();
    buffers += source_.decode_buffer_bytes();  // the reader's and decoder's: every task is done
    stats_.peak_buffer = std::max<std::uint64_t>(stats_.peak_buffer, buffers);
    return {};
  }

  /// Waits for the batches in flight; `status` (the caller's, if it failed) or the first
  /// error of their tasks. An error stops the tasks not yet started.
  Status finish(Status status) {
    fail(std::move(status));
    return drain();
  }

  /// The rank's totals: reads here, chunk work summed over workers (so with several
  /// workers the gather/encode/write seconds are thread-seconds, not wall time). After
  /// finish().
  Stats stats() const {
    Stats s = stats_;
    std::uint64_t worker_peaks = 0;
    for (const Worker& w : workers_) worker_peaks += w.stats.peak_buffer;
    // The source's decode buffers (kept across reads, so at their largest now).
    s.peak_buffer = std::max(s.peak_buffer, slots_peak_ + worker_peaks + source_.decode_buffer_bytes());
    for (const Worker& w : workers_) {
      s.seconds_read += w.stats.seconds_read;
      s.chunks += w.stats.chunks;
      s.chunks_present += w.stats.chunks_present;
      s.bytes_raw += w.stats.bytes_raw;
      s.bytes_written += w.stats.bytes_written;
      s.seconds_gather += w.stats.seconds_gather;
      s.seconds_encode += w.stats.seconds_encode;
      s.seconds_write += w.stats.seconds_write;
    }
    return s;
  }

 private:
  /// Fetches `batch` into a free slot and queues its decoding on the pool, then its chunks'
  /// writing: false (nothing done) when the source does not split this read.
  Result<bool> queue_batch(const plan::Batch& batch) {
    const plan::ArrayPlan& array = plan_.arrays[batch.array];
    const model::ArrayLayout& spec = array.layout;
    Slot* slot = acquire(array.batches_in_flight);
    if (!slot) return drain().error();  // a task failed
    const Box stored = spec.map.stored_box(batch.elements);
    const std::size_t hyper_bytes = stored.num_elements() * model::dtype_size(spec.read_dtype());
    const auto t0 = Clock::now();
    std::byte* hyper = slot->hyperslab.get(hyper_bytes);
    auto read = source_.prepare_read(spec.source.name, stored, {hyper, hyper_bytes}, {}, slot->stored,
                                     array.fetched_ahead, pool_->workers());
    if (!read.ok() || !*read) {
      slot->read.reset();
      release(slot);
      if (!read.ok()) return read.error();
      return false;
    }
    stats_.seconds_read += seconds_since(t0);
    stats_.bytes_needed += hyper_bytes;
    count_decoded(spec, stored, Shape(stored.rank(), 1));
    std::uint64_t held = 0;
    for (const auto& s : slots_) held += s->hyperslab.capacity() + s->stored.capacity();  // grown here only
    slots_peak_ = std::max(slots_peak_, held);

    slot->batch = batch;
    slot->read = std::move(read).value();  // ends the slot's previous read, here
    queue(slot, slot->read->tasks(), [this, slot](std::size_t i, int w) {
      Worker& worker = workers_[static_cast<std::size_t>(w)];
      const auto t0 = Clock::now();
      fail(guarded([&] { return slot->read->run(i, w); }));
      worker.stats.seconds_read += seconds_since(t0);
    }, [this](Slot* done) { queue_writes(done); });
    return true;
  }

  /// Queues the writing of every chunk of the slot's batch; the last one frees the slot.
  void queue_writes(Slot* slot) {
    queue(slot, static_cast<std::size_t>(slot->batch.chunks.num_elements()), [this, slot](std::size_t n, int w) {
      Worker& worker = workers_[static_cast<std::size_t>(w)];
      fail(guarded([&] { return write_chunk(worker, slot->batch, slot->hyperslab.data(), static_cast<Index>(n)); }));
      std::uint64_t held = worker.chunk.capacity() + worker.encoded.capacity() + worker.row.capacity();
      worker.stats.peak_buffer = std::max(worker.stats.peak_buffer, held);
    }, [this](Slot* done) { release(done); });
  }

  /// Queues task(i, worker) for i < n on the pool (skipped once a task has failed); after
  /// the last, then(slot) without an error, else the slot is freed. Never leaves the slot
  /// busy: a task that cannot be queued (out of memory) counts as done, with its error.
  /// slot->read stays until the reading thread reuses the slot: ending it may end a
  /// source's file (multi-file), a library call the workers must not make.
  template <class Task, class Then>
  void queue(Slot* slot, std::size_t n, Task task, Then then) {
    auto finished = [this, slot, then]() {
      if (--slot->left > 0) return;
      if (!failed_) {
        try {
          then(slot);
          return;
        } catch (const std::exception& e) {
          fail(runtime_error(std::string("unexpected failure: ") + e.what()));
        }
      }
      release(slot);
    };
    slot->left = n + 1;  // + 1 until every task is queued
    std::size_t queued = 0;
    try {
      for (; queued < n; ++queued)
        pool_->submit([this, task, finished, queued](int w) {
          if (!failed_) task(queued, w);
          finished();
        });
    } catch (const std::exception& e) {
      fail(runtime_error(std::string("unexpected failure: ") + e.what()));
      slot->left -= n - queued;
    }
    finished();
  }

  /// Before the first batch of `array`, no batch in flight: frees what its batches will not
  /// use of the slots' buffers (a slot past its batches_in_flight, a buffer larger than its
  /// full batch), so that the slots hold no more than this array's plan counts.
  void fit_slots(std::uint32_t array) {
    slots_array_ = array;
    const plan::ArrayPlan& a = plan_.arrays[array];
    const model::ArrayLayout& spec = a.layout;
    Box full{Shape(spec.shape.size(), 0), Shape(spec.shape.size())};
    for (std::size_t d = 0; d < spec.shape.size(); ++d)
      full.count[d] = std::min(a.batch_chunks[d] * spec.chunks[d], spec.shape[d]);
    const Box stored = spec.map.stored_box(full);
    const std::uint64_t hyper = stored.num_elements() * model::dtype_size(spec.read_dtype());
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = *slots_[i];
      const bool used = static_cast<int>(i) < a.batches_in_flight;
      if (!used || slot.hyperslab.capacity() > hyper + model::ByteBuffer::kHugePageBytes) slot.hyperslab.release();
      // An array read whole (one batch in flight) counts no stored bytes ahead.
      if (!used || slot.stored.capacity() > a.fetched_ahead + model::ByteBuffer::kHugePageBytes) slot.stored.release();
      slot.read.reset();
    }
  }

  /// `task()`, with an exception turned into an error (a pool thread must not throw).
  static Status guarded(const std::function<Status()>& task) {
    try {
      return task();
    } catch (const std::exception& e) {
      return runtime_error(std::string("unexpected failure: ") + e.what());
    }
  }

  /// Records the first error (ok is ignored); tasks not yet started then do nothing.
  void fail(Status status) {
    if (status.ok()) return;
    {
      std::lock_guard lock(mutex_);
      if (failure_.ok()) failure_ = std::move(status);
      failed_ = true;
    }
    changed_.notify_all();
  }

  /// One of the first `in_flight` slots once it is free (the others hold no buffers: see
  /// fit_slots), or nullptr when a task has failed.
  Slot* acquire(int in_flight) {
    const std::size_t n = std::min(slots_.size(), static_cast<std::size_t>(in_flight));
    Slot* slot = nullptr;
    std::unique_lock lock(mutex_);
    wait(lock, [&] {
      for (std::size_t i = 0; i < n && !slot; ++i)
        if (!slots_[i]->busy) slot = slots_[i].get();
      return failed_ || slot;
    });
    if (failed_) return nullptr;
    slot->busy = true;
    return slot;
  }

  void release(Slot* slot) {
    {
      std::lock_guard lock(mutex_);
      slot->busy = false;
    }
    changed_.notify_all();
  }

  /// Waits until no batch is in flight; the first error of their tasks, if any.
  Status drain() {
    std::unique_lock lock(mutex_);
    wait(lock, [&] { return std::none_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->busy; }); });
    return failure_;
  }

  /// Waits (holding `lock` on mutex_) until `done`; meanwhile, every kPollWait, runs the
  /// caller's check (another rank's stop, the run's progress: the reading thread's job,
  /// which the workers' chunks no longer give it while it waits).
  template <class Done>
  void wait(std::unique_lock<std::mutex>& lock, Done done) {
    constexpr auto kPollWait = std::chrono::milliseconds(200);
    while (!changed_.wait_for(lock, kPollWait, done)) {
      if (!options_.check) continue;
      lock.unlock();
      fail(options_.check());
      lock.lock();
    }
  }

  /// Linear index of a chunk in C order of the array's chunk grid.
  std::uint64_t linear_chunk(const model::ArrayLayout& spec, const Shape& chunk_index) const {
    std::uint64_t n = 0;
    for (std::size_t d = 0; d < chunk_index.size(); ++d) {
      const Index grid = (spec.shape[d] + spec.chunks[d] - 1) / spec.chunks[d];
      n = n * static_cast<std::uint64_t>(grid) + static_cast<std::uint64_t>(chunk_index[d]);
    }
    return n;
  }

  bool is_present(std::uint32_t array, const Shape& chunk_index) const {
    if (!options_.present || array >= options_.present->size()) return false;
    const std::vector<bool>& bits = (*options_.present)[array];
    if (bits.empty()) return false;
    const std::uint64_t n = linear_chunk(plan_.arrays[array].layout, chunk_index);
    return n < bits.size() && bits[n];
  }

  /// Every chunk of `batch` exists already (resume): the batch need not be read.
  bool all_present(const plan::Batch& batch) const {
    if (!options_.present) return false;
    const std::size_t rank = batch.chunks.rank();
    const auto total = batch.chunks.num_elements();
    Shape index(rank);
    for (Index n = 0; n < total; ++n) {
      Index rem = n;
      for (std::size_t d = rank; d-- > 0;) {
        index[d] = batch.chunks.start[d] + rem % batch.chunks.count[d];
        rem /= batch.chunks.count[d];
      }
      if (!is_present(batch.array, index)) return false;
    }
    return true;
  }

  /// Gathers, encodes and writes every chunk of `batch` from `hyper`, on the workers, each
  /// with its own buffers (the plan counted them), stopping at the first error.
  Status write_chunks(const plan::Batch& batch, const std::byte* hyper) {
    return runner_.run(static_cast<std::size_t>(batch.chunks.num_elements()), [&](std::size_t n, int w) {
      return write_chunk(workers_[static_cast<std::size_t>(w)], batch, hyper, static_cast<Index>(n));
    });
  }

  /// Where chunk `n` of `batch` (C order inside its chunk box) is: its grid index, first
  /// element, extent clipped to the shape (`padded` when that cuts it) and start in the
  /// batch's hyperslab.
  struct ChunkPlace {
    Shape index, start, count, start_in_hyper;
    bool padded = false;
  };
  static ChunkPlace place_of(const model::ArrayLayout& spec, const plan::Batch& batch, Index n) {
    const std::size_t rank = spec.shape.size();
    ChunkPlace c{Shape(rank), Shape(rank), Shape(rank), Shape(rank)};
    for (std::size_t d = rank; d-- > 0;) {
      c.index[d] = batch.chunks.start[d] + n % batch.chunks.count[d];
      n /= batch.chunks.count[d];
    }
    for (std::size_t d = 0; d < rank; ++d) {
      const Index first = c.start[d] = c.index[d] * spec.chunks[d];
      c.count[d] = std::min(spec.chunks[d], spec.shape[d] - first);
      c.padded = c.padded || c.count[d] < spec.chunks[d];
      c.start_in_hyper[d] = first - batch.elements.start[d];
    }
    return c;
  }

  /// Chunk `n` (C order inside the batch's chunk box): gather it from the hyperslab
  /// (padding edge chunks with the fill value), encode it and write its file.
  Status write_chunk(Worker& worker, const plan::Batch& batch, const std::byte* hyper, Index n) {
    const model::ArrayLayout& spec = plan_.arrays[batch.array].layout;
    const std::size_t chunk_bytes = model::num_elements(spec.chunks) * model::dtype_size(spec.dtype);
    const ChunkPlace place = place_of(spec, batch, n);
    if (is_present(batch.array, place.index)) {
      worker.stats.chunks_present += 1;
      return {};
    }
    if (options_.check) ZPMPI_RETURN_IF_ERROR(options_.check());

    const auto t0 = Clock::now();
    const Shape hyper_shape = spec.map.stored_box(batch.elements).count;
    const std::byte* raw = spec.map.keeps_layout() && !spec.values ? gather_in_layout(worker, spec, hyper, hyper_shape, place)
                                                                   : gather_rows(worker, spec, hyper, hyper_shape, place);
    worker.stats.seconds_gather += seconds_since(t0);
    if (options_.verify_chunk) {
      ZPMPI_RETURN_IF_ERROR(options_.verify_chunk(spec, zarr::chunk_key(place.index), {raw, chunk_bytes}));
      worker.stats.chunks += 1;
      worker.stats.bytes_raw += chunk_bytes;
      return {};
    }
    return encode_and_write(worker, spec, place.index, {raw, chunk_bytes});
  }

  /// The chunk's bytes when the map keeps the element layout: straight from the
  /// hyperslab where they are one run there, else copied into the worker's chunk buffer.
  const std::byte* gather_in_layout(Worker& worker, const model::ArrayLayout& spec, const std::byte* hyper,
                                    const Shape& hyper_shape, const ChunkPlace& place) {
    const std::size_t rank = spec.shape.size(), esize = model::dtype_size(spec.dtype);
    const std::size_t chunk_elems = model::num_elements(spec.chunks);
    // In the stored dims: a new dim of length 1 (expand_dims) changes no element's place.
    const Box in = spec.map.stored_box({place.start_in_hyper, place.count});
    Index offset = 0;
    for (std::size_t d = 0; d < in.rank(); ++d) offset = offset * hyper_shape[d] + in.start[d];
    if (!place.padded && is_contiguous(in.count, hyper_shape)) return hyper + offset * esize;
    const Shape chunk_shape = spec.map.stored_box({Shape(rank, 0), spec.chunks}).count;
    std::byte* chunk = worker.chunk.get(chunk_elems * esize);
    if (place.padded) fill(chunk, chunk_elems, spec.dtype, spec.fill_value);
    model::copy_box(hyper, hyper_shape, in.start, chunk, chunk_shape, Shape(in.rank(), 0), in.count, esize);
    return chunk;
  }

  /// The chunk's bytes gathered row by row, dims permuted, each row converted on the way
  /// (a strided row is first gathered into `row` in the read type): no chunk-sized buffer
  /// besides the output.
  const std::byte* gather_rows(Worker& worker, const model::ArrayLayout& spec, const std::byte* hyper,
                               const Shape& hyper_shape, const ChunkPlace& place) {
    const std::size_t rank = spec.shape.size(), esize = model::dtype_size(spec.dtype);
    const std::size_t read_size = model::dtype_size(spec.read_dtype());
    const std::size_t chunk_elems = model::num_elements(spec.chunks);
    std::byte* chunk = worker.chunk.get(chunk_elems * esize);
    if (place.padded) fill(chunk, chunk_elems, spec.dtype, spec.fill_value);
    const Shape stored_start = spec.map.stored_box({place.start_in_hyper, place.count}).start;
    const auto max_row = static_cast<std::size_t>(model::max_row_length(spec.chunks));
    std::byte* row = spec.values ? worker.row.get(max_row * read_size) : nullptr;
    model::for_each_row(hyper_shape, stored_start, spec.chunks, Shape(rank, 0), place.count, spec.map.order,
                        [&](Index s, Index step, Index t, Index m) {
                          const std::byte* from = hyper + s * read_size;
                          if (!spec.values && step == 1) {
                            std::memcpy(chunk + t * esize, from, m * esize);
                            return;
                          }
                          if (!spec.values) {
                            for (Index i = 0; i < m; ++i)
                              std::memcpy(chunk + (t + i) * esize, from + i * step * esize, esize);
                            return;
                          }
                          if (step != 1) {
                            for (Index i = 0; i < m; ++i)
                              std::memcpy(row + i * read_size, from + i * step * read_size, read_size);
                            from = row;
                          }
                          apply_values(*spec.values, spec.dtype, from, chunk + t * esize, m);
                        });
    // Tile padding went through the stage as data (a packed 0 came out as add_offset):
    // it is the output's missing value, in the output's type.
    if (const Box box{place.start, place.count}; spec.values && spec.map.pads(box))
      for (const auto& [at, m] : spec.map.pad_runs(box, spec.chunks))
        fill(chunk + at * esize, static_cast<std::size_t>(m), spec.dtype, spec.fill_value);
    return chunk;
  }

  /// Encodes chunk `index` of `spec` (`raw`: its padded bytes) and writes its file.
  Status encode_and_write(Worker& worker, const model::ArrayLayout& spec, const Shape& index,
                          std::span<const std::byte> raw) {
    auto t0 = Clock::now();
    std::span<const std::byte> encoded = raw;
    if (options_.codec.id != codec::CodecId::kNone) {
      const std::size_t bound = worker.codec->max_encoded_size(raw.size());
      std::byte* out = worker.encoded.get(bound);
      auto size = worker.codec->encode(raw, {out, bound}, model::dtype_size(spec.dtype));
      if (!size.ok()) return size.error().with_context(spec.name);
      encoded = {out, size.value()};
    }
    worker.stats.seconds_encode += seconds_since(t0);

    t0 = Clock::now();
    if (options_.test_write_delay_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.test_write_delay_ms));
    ZPMPI_RETURN_IF_ERROR(zarr::write_chunk(options_.store, spec.name, zarr::chunk_key(index), encoded, options_.rank,
                                            options_.fsync, options_.fail_write));
    worker.stats.seconds_write += seconds_since(t0);
    worker.stats.chunks += 1;
    worker.stats.bytes_raw += raw.size();
    worker.stats.bytes_written += encoded.size();
    if (options_.progress) {
      options_.progress->chunks += 1;
      options_.progress->bytes += encoded.size();
    }
    return {};
  }


  /// Fills `hyper` (the batch's output box, C order) from the source: straight in for an
  /// identity map, else piece by piece through a staging buffer, reversing where needed
  /// (and with the fill value where a tile stage pads).
  Status read_hyperslab(const model::ArrayLayout& spec, const Box& out, std::byte* hyper, std::size_t hyper_bytes) {
    const std::size_t esize = model::dtype_size(spec.read_dtype());
    if (spec.map.is_identity()) {
      count_decoded(spec, out, Shape(out.rank(), 1));
      return source_.read(spec.source.name, out, {hyper, hyper_bytes}, {}, &runner_);
    }
    // Tile padding past the source end is read by no piece: it holds the fill value.
    if (spec.map.pads(out))
      fill(hyper, out.num_elements(), spec.read_dtype(), spec.values ? std::optional(pad_value(*spec.values)) : spec.fill_value);
    const std::vector<model::ReadPiece> pieces = spec.map.pieces(out);
    if (spec.map.tile && pieces.size() > 1) {
      // The tiles of a batch often share source chunks (tiles of 200 x 400 in chunks of a
      // whole 721 x 1440 field): one read of their union decodes each chunk once, where a
      // read per tile would decode it once per tile. Taken when the union is no larger
      // than the batch (the staging the plan counts) and every read has unit steps.
      const std::optional<Box> all = union_box(pieces);
      if (all && all->num_elements() <= out.num_elements()) return read_union(spec, out, hyper, pieces, *all);
    }
    for (const model::ReadPiece& piece : pieces) {
      const std::size_t bytes = piece.source.num_elements() * esize;
      std::byte* staging = staging_.get(bytes);
      ZPMPI_RETURN_IF_ERROR(source_.read(spec.source.name, piece.source, {staging, bytes}, piece.stride, &runner_));
      count_decoded(spec, piece.source, piece.stride);
      Shape dst_start(out.rank());
      for (std::size_t d = 0; d < out.rank(); ++d) dst_start[d] = piece.output.start[d];
      model::copy_reversed(staging, piece.output.count, hyper, out.count, dst_start, piece.reversed, esize);
    }
    return {};
  }

  /// The bounding box of the pieces' source boxes, or nullopt when one has a step > 1.
  static std::optional<Box> union_box(const std::vector<model::ReadPiece>& pieces) {
    Box u = pieces.front().source;
    Shape end(u.rank());
    for (std::size_t d = 0; d < u.rank(); ++d) end[d] = u.start[d] + u.count[d];
    for (const model::ReadPiece& p : pieces) {
      for (std::size_t d = 0; d < u.rank(); ++d) {
        if (p.stride[d] != 1 && p.source.count[d] > 1) return std::nullopt;
        u.start[d] = std::min(u.start[d], p.source.start[d]);
        end[d] = std::max(end[d], p.source.start[d] + p.source.count[d]);
      }
    }
    for (std::size_t d = 0; d < u.rank(); ++d) u.count[d] = end[d] - u.start[d];
    return u;
  }

  /// Reads `all` (the union of `pieces`) once into staging and places each piece in
  /// `hyper` (the output box `out`), reversed where the piece says.
  Status read_union(const model::ArrayLayout& spec, const Box& out, std::byte* hyper,
                    const std::vector<model::ReadPiece>& pieces, const Box& all) {
    const std::size_t esize = model::dtype_size(spec.read_dtype());
    const std::size_t bytes = all.num_elements() * esize;
    std::byte* staging = staging_.get(bytes);
    ZPMPI_RETURN_IF_ERROR(source_.read(spec.source.name, all, {staging, bytes}, {}, &runner_));
    count_decoded(spec, all, Shape(all.rank(), 1));
    // One batch row of `hyper` (a tile) in source rank: dims a scalar selection fixed are 1.
    const std::size_t rank = all.rank();
    Shape row_shape(rank, 1);
    std::vector<std::size_t> out_dim(rank, 0);  // output dim of source dim d (0: fixed)
    for (std::size_t d = 0, od = 1; d < rank; ++d)
      if (!spec.map.dims[d].fixed) out_dim[d] = od++;
    for (std::size_t d = 0; d < rank; ++d)
      if (out_dim[d]) row_shape[d] = out.count[out_dim[d]];
    const std::size_t row_bytes = model::num_elements(row_shape) * esize;
    for (const model::ReadPiece& p : pieces) {
      Shape src_start(rank), dst_start(rank, 0);
      std::vector<bool> reversed(rank, false);
      for (std::size_t d = 0; d < rank; ++d) {
        src_start[d] = p.source.start[d] - all.start[d];
        if (!out_dim[d]) continue;
        dst_start[d] = p.output.start[out_dim[d]];
        reversed[d] = p.reversed[out_dim[d]];
      }
      copy_sub_box(staging, all.count, src_start, hyper + p.output.start[0] * row_bytes, row_shape, dst_start,
                   p.source.count, reversed, esize);
    }
    return {};
  }

  /// Copies the `count` box at `src_start` of a C-order array of `src_shape` to the box at
  /// `dst_start` of one of `dst_shape` (same rank), mirrored along the dims `reversed` marks.
  static void copy_sub_box(const std::byte* src, const Shape& src_shape, const Shape& src_start, std::byte* dst,
                           const Shape& dst_shape, const Shape& dst_start, const Shape& count,
                           const std::vector<bool>& reversed, std::size_t esize) {
    const std::size_t rank = count.size();
    if (rank == 0 || model::num_elements(count) == 0) {
      if (rank == 0) std::memcpy(dst, src, esize);
      return;
    }
    Shape idx(rank, 0);  // position inside `count`, innermost dim handled as a run
    const std::size_t last = rank - 1;
    for (;;) {
      Index s = 0, t = 0;
      for (std::size_t d = 0; d < rank; ++d) {
        const Index i = d == last ? 0 : idx[d];
        s = s * src_shape[d] + src_start[d] + i;
        t = t * dst_shape[d] + dst_start[d] + (reversed[d] && d != last ? count[d] - 1 - i : i);
      }
      if (!reversed[last]) {
        std::memcpy(dst + t * esize, src + s * esize, count[last] * esize);
      } else {
        for (Index i = 0; i < count[last]; ++i)
          std::memcpy(dst + (t + count[last] - 1 - i) * esize, src + (s + i) * esize, esize);
      }
      std::size_t d = last;
      while (d > 0) {
        --d;
        if (++idx[d] < count[d]) break;
        idx[d] = 0;
        if (d == 0) return;
      }
      if (last == 0) return;
    }
  }

  /// Adds the source bytes a read costs to the stats: the whole chunks it touches when they
  /// are compressed (each is decoded whole), else the elements read, since HDF5 reads a
  /// part of an uncompressed chunk straight from the file.
  void count_decoded(const model::ArrayLayout& spec, const Box& source_box, const Shape& stride) {
    const std::size_t esize = model::dtype_size(spec.read_dtype());
    if (!spec.source.chunked || !spec.source.compressed) {
      stats_.bytes_decoded += source_box.num_elements() * esize;
      return;
    }
    Box span = source_box;
    for (std::size_t d = 0; d < span.rank(); ++d)
      if (span.count[d] > 0) span.count[d] = (span.count[d] - 1) * stride[d] + 1;
    stats_.bytes_decoded += touched_elements(span, spec.source.shape, spec.source.chunks) * esize;
  }

  const plan::RegionPlan& plan_;
  source::Source& source_;
  const ExecOptions& options_;
  std::vector<Worker> workers_;
  ThreadRunner runner_;  ///< runs chunk work, and a source's decoding, on the workers
  Buffer hyperslab_, staging_;  ///< hyperslab_ unused when there are slots
  Stats stats_;  ///< reads; chunk work is counted per worker

  // Batches in flight (none when every array has batches_in_flight 1).
  std::vector<std::unique_ptr<Slot>> slots_;
  std::uint32_t slots_array_ = UINT32_MAX;  ///< the array the slots' buffers are fitted to
  std::uint64_t slots_peak_ = 0;  ///< the most the slots' buffers held
  std::mutex mutex_;
  std::condition_variable changed_;  ///< a slot freed, or a task failed
  Status failure_;                   ///< the first error of a task; guarded by mutex_
  std::atomic<bool> failed_{false};
  std::optional<TaskPool> pool_;  ///< last: joined first, while what its tasks use exists
};

}  // namespace

std::uint64_t touched_elements(const Box& box, const Shape& shape, const Shape& chunks) {
  std::uint64_t total = 1;
  for (std::size_t d = 0; d < box.rank(); ++d) {
    if (box.count[d] == 0) return 0;
    const Index first = box.start[d] / chunks[d] * chunks[d];
    const Index end = std::min(shape[d], (box.start[d] + box.count[d] + chunks[d] - 1) / chunks[d] * chunks[d]);
    total *= end - first;
  }
  return total;
}

Result<Stats> run_rank(const plan::RegionPlan& plan, source::Source& source, const ExecOptions& options) {
  RankExecutor executor(plan, source, options);
  Status status;
  for (const plan::Region& region : plan::regions_of_rank(plan, options.rank)) {
    plan::for_each_batch(plan, region, [&](const plan::Batch& batch) {
      if (status.ok()) status = executor.run_batch(batch);
    });
    if (!status.ok()) break;
  }
  ZPMPI_RETURN_IF_ERROR(executor.finish(std::move(status)));
  return executor.stats();
}

}  // namespace zpmpi::exec
