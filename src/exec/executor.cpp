#include "zpmpi/exec/executor.hpp"

#include <algorithm>
#include <vector>

#include "batch_slots.hpp"
#include "chunk_gather.hpp"
#include "hyperslab_reader.hpp"
#include "present_chunks.hpp"
#include "stage_clock.hpp"
#include "thread_runner.hpp"
#include "zpmpi/exec/store_sink.hpp"
#include "zpmpi/exec/verify_sink.hpp"
#include "zpmpi/model/chunk_assembly.hpp"

namespace zpmpi::exec {
namespace {

using model::Box;
using model::Index;
using model::Shape;

/// What one worker thread owns besides its sink lane: its gather buffers and its
/// counters, so that workers share nothing but the read-only hyperslab.
struct Worker {
  GatherBuffers gather;
  Stats stats;
};

/// The most batches of one array in flight at once (1: batches run one at a time).
int most_in_flight(const plan::RegionPlan& plan) {
  int in_flight = 1;
  for (const plan::ArrayPlan& a : plan.arrays) in_flight = std::max(in_flight, a.batches_in_flight);
  return in_flight;
}

/// The hyperslab bytes of `batch` (its stored box in the read type).
std::size_t hyperslab_bytes(const model::ArrayLayout& spec, const Box& elements) {
  return spec.map.stored_box(elements).num_elements() * model::dtype_size(spec.read_dtype());
}

/// Walks the batches of one rank: each is read (now, or fetched ahead into a slot and
/// decoded on the pool), then its chunks are gathered on the workers and handed to the
/// sink. See executor.hpp for the map.
class RankExecutor {
 public:
  RankExecutor(const plan::RegionPlan& plan, source::Source& source, const ExecOptions& options, ChunkSink& sink)
      : plan_(plan),
        source_(source),
        options_(options),
        sink_(sink),
        present_(plan, options.present),
        workers_(static_cast<std::size_t>(std::max(plan.options.workers, 1))),
        runner_(static_cast<int>(workers_.size())),
        reader_(source, runner_, stats_),
        slots_(most_in_flight(plan), static_cast<int>(workers_.size()), options.check) {}

  Status run_batch(const plan::Batch& batch);

  /// Waits for the batches in flight; `status` (the caller's, if it failed) or the first
  /// error of their tasks. An error stops the tasks not yet started.
  Status finish(Status status) {
    slots_.fail(std::move(status));
    return slots_.drain();
  }

  Stats stats() const;

 private:
  Result<bool> queue_batch(const plan::Batch& batch);
  void queue_puts(Slot* slot);
  void fit_slots(std::uint32_t array);
  Status put_chunks(const plan::Batch& batch, const std::byte* hyper);
  Status put_chunk(int w, const plan::Batch& batch, const std::byte* hyper, Index n);
  void count_peak(const model::ByteBuffer& hyperslab);

  const plan::RegionPlan& plan_;
  source::Source& source_;
  const ExecOptions& options_;
  ChunkSink& sink_;
  PresentChunks present_;
  std::vector<Worker> workers_;
  ThreadRunner runner_;  ///< runs chunk work, and a source's decoding, on the workers
  Stats stats_;          ///< reads; chunk work is counted per worker
  HyperslabReader reader_;
  model::ByteBuffer hyperslab_;  ///< unused when there are slots
  std::uint32_t slots_array_ = UINT32_MAX;  ///< the array the slots' buffers are fitted to
  std::uint64_t slots_peak_ = 0;            ///< the most the slots' buffers held
  BatchSlots slots_;  ///< last: its pool joins first, while what its tasks use exists
};

Status RankExecutor::run_batch(const plan::Batch& batch) {
  if (options_.check) ZPMPI_RETURN_IF_ERROR(options_.check());
  if (present_.all(batch)) {
    stats_.chunks_present += static_cast<std::uint64_t>(batch.chunks.num_elements());
    const model::ArrayLayout& spec = plan_.arrays[batch.array].layout;
    for (Index n = 0; n < batch.chunks.num_elements(); ++n)
      ZPMPI_RETURN_IF_ERROR(sink_.kept(0, spec, model::nth_index(batch.chunks, n)));
    return sink_.end_batch(batch);
  }
  if (slots_.in_flight() && batch.array != slots_array_) {
    ZPMPI_RETURN_IF_ERROR(slots_.drain());
    fit_slots(batch.array);
  }
  if (slots_.in_flight() && plan_.arrays[batch.array].batches_in_flight > 1) {
    ZPMPI_ASSIGN_OR_RETURN(const bool queued, queue_batch(batch));
    if (queued) return {};
  }
  ZPMPI_RETURN_IF_ERROR(slots_.drain());  // the workers are this batch's alone
  const model::ArrayLayout& spec = plan_.arrays[batch.array].layout;
  // Read in the source's element type and dim order (transpose and values: the gather).
  const Box stored = spec.map.stored_box(batch.elements);  // a new dim (expand_dims) is not read
  const std::size_t hyper_bytes = hyperslab_bytes(spec, batch.elements);
  const auto t0 = Clock::now();
  // With batches in flight, all done now, the first slot's buffer: the plan counts no other.
  model::ByteBuffer& hyperslab = slots_.in_flight() ? slots_.slots().front()->hyperslab : hyperslab_;
  std::byte* hyper = hyperslab.get(hyper_bytes);
  ZPMPI_RETURN_IF_ERROR(reader_.read(spec, stored, hyper, hyper_bytes));
  stats_.seconds_read += seconds_since(t0);
  stats_.bytes_needed += hyper_bytes;

  ZPMPI_RETURN_IF_ERROR(put_chunks(batch, hyper));
  count_peak(hyperslab);
  return sink_.end_batch(batch);
}

/// The buffers held now, every task done, into the rank's peak.
void RankExecutor::count_peak(const model::ByteBuffer& hyperslab) {
  std::uint64_t buffers = hyperslab.capacity() + reader_.buffer_bytes();
  const auto& slots = slots_.slots();
  for (std::size_t i = 1; i < slots.size(); ++i) buffers += slots[i]->hyperslab.capacity();
  for (std::size_t w = 0; w < workers_.size(); ++w)
    buffers += workers_[w].gather.bytes() + sink_.buffer_bytes(static_cast<int>(w));
  buffers += source_.decode_buffer_bytes();  // the reader's and decoder's
  stats_.peak_buffer = std::max<std::uint64_t>(stats_.peak_buffer, buffers);
}

/// The rank's totals: reads here, chunk work summed over workers (so with several workers
/// the gather/encode/write seconds are thread-seconds, not wall time). After finish().
Stats RankExecutor::stats() const {
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

/// Fetches `batch` into a free slot and queues its decoding on the pool, then its chunks'
/// gathering into the sink: false (nothing done) when the source does not split this read.
Result<bool> RankExecutor::queue_batch(const plan::Batch& batch) {
  const plan::ArrayPlan& array = plan_.arrays[batch.array];
  const model::ArrayLayout& spec = array.layout;
  Slot* slot = slots_.acquire(array.batches_in_flight);
  if (!slot) return slots_.drain().error();  // a task failed
  const Box stored = spec.map.stored_box(batch.elements);
  const std::size_t hyper_bytes = hyperslab_bytes(spec, batch.elements);
  const auto t0 = Clock::now();
  std::byte* hyper = slot->hyperslab.get(hyper_bytes);
  auto read = source_.prepare_read(spec.source.name, stored, {hyper, hyper_bytes}, {}, slot->stored,
                                   array.fetched_ahead, slots_.workers());
  if (!read.ok() || !*read) {
    slot->read.reset();
    slots_.release(slot);
    if (!read.ok()) return read.error();
    return false;
  }
  stats_.seconds_read += seconds_since(t0);
  stats_.bytes_needed += hyper_bytes;
  reader_.count_decoded(spec, stored, Shape(stored.rank(), 1));
  std::uint64_t held = 0;
  for (const auto& s : slots_.slots()) held += s->hyperslab.capacity() + s->stored.capacity();  // grown here only
  slots_peak_ = std::max(slots_peak_, held);

  slot->batch = batch;
  slot->read = std::move(read).value();  // ends the slot's previous read, here
  slots_.queue(slot, slot->read->tasks(), [this, slot](std::size_t i, int w) {
    Worker& worker = workers_[static_cast<std::size_t>(w)];
    const auto t0 = Clock::now();
    slots_.fail(guarded([&] { return slot->read->run(i, w); }));
    worker.stats.seconds_read += seconds_since(t0);
  }, [this](Slot* done) { queue_puts(done); });
  return true;
}

/// Queues the gathering of every chunk of the slot's batch; the last one ends the batch in
/// the sink and frees the slot.
void RankExecutor::queue_puts(Slot* slot) {
  const auto n = static_cast<std::size_t>(slot->batch.chunks.num_elements());
  slots_.queue(slot, n, [this, slot](std::size_t i, int w) {
    Worker& worker = workers_[static_cast<std::size_t>(w)];
    slots_.fail(guarded([&] { return put_chunk(w, slot->batch, slot->hyperslab.data(), static_cast<Index>(i)); }));
    const std::uint64_t held = worker.gather.bytes() + sink_.buffer_bytes(w);
    worker.stats.peak_buffer = std::max(worker.stats.peak_buffer, held);
  }, [this](Slot* done) {
    slots_.fail(guarded([&] { return sink_.end_batch(done->batch); }));
    slots_.release(done);
  });
}

/// Before the first batch of `array`, no batch in flight: frees what its batches will not
/// use of the slots' buffers (a slot past its batches_in_flight, a buffer larger than its
/// full batch), so that the slots hold no more than this array's plan counts.
void RankExecutor::fit_slots(std::uint32_t array) {
  slots_array_ = array;
  const plan::ArrayPlan& a = plan_.arrays[array];
  const model::ArrayLayout& spec = a.layout;
  Box full{Shape(spec.shape.size(), 0), Shape(spec.shape.size())};
  for (std::size_t d = 0; d < spec.shape.size(); ++d)
    full.count[d] = std::min(a.batch_chunks[d] * spec.chunks[d], spec.shape[d]);
  // An array read whole (one batch in flight) counts no stored bytes ahead.
  slots_.fit(a.batches_in_flight, hyperslab_bytes(spec, full), a.fetched_ahead);
}

/// Gathers every chunk of `batch` from `hyper` and hands it to the sink, on the workers,
/// each with its own buffers (the plan counted them), stopping at the first error.
Status RankExecutor::put_chunks(const plan::Batch& batch, const std::byte* hyper) {
  return runner_.run(static_cast<std::size_t>(batch.chunks.num_elements()), [&](std::size_t n, int w) {
    return put_chunk(w, batch, hyper, static_cast<Index>(n));
  });
}

/// Chunk `n` (C order inside the batch's chunk box), on worker `w`: unless present, gather
/// it from the hyperslab (edge chunks padded with the fill value) and put it in the sink.
Status RankExecutor::put_chunk(int w, const plan::Batch& batch, const std::byte* hyper, Index n) {
  Worker& worker = workers_[static_cast<std::size_t>(w)];
  const model::ArrayLayout& spec = plan_.arrays[batch.array].layout;
  const Shape index = model::nth_index(batch.chunks, n);
  if (present_.has(batch.array, index)) {
    worker.stats.chunks_present += 1;
    return sink_.kept(w, spec, index);
  }
  if (options_.check) ZPMPI_RETURN_IF_ERROR(options_.check());

  const auto t0 = Clock::now();
  const model::ChunkAssembly assembly = model::assemble_chunk(spec, batch.elements, index);
  const std::byte* raw = gather_chunk(spec, assembly, hyper, worker.gather);
  worker.stats.seconds_gather += seconds_since(t0);
  const std::size_t chunk_bytes = model::num_elements(spec.chunks) * model::dtype_size(spec.dtype);
  return sink_.put(w, {spec, index, {raw, chunk_bytes}}, worker.stats);
}

}  // namespace

Result<Stats> run_rank(const plan::RegionPlan& plan, source::Source& source, const ExecOptions& options,
                       ChunkSink& sink) {
  RankExecutor executor(plan, source, options, sink);
  Status status;
  for (const plan::Region& region : plan::regions_of_rank(plan, options.rank)) {
    plan::for_each_batch(plan, region, [&](const plan::Batch& batch) {
      if (status.ok()) status = executor.run_batch(batch);
    });
    if (!status.ok()) break;
  }
  ZPMPI_RETURN_IF_ERROR(executor.finish(std::move(status)));
  ZPMPI_RETURN_IF_ERROR(sink.finish());
  return executor.stats();
}

Result<Stats> run_rank(const plan::RegionPlan& plan, source::Source& source, const ExecOptions& options) {
  if (options.verify_chunk) {
    VerifySink sink(options.verify_chunk);
    return run_rank(plan, source, options, sink);
  }
  StoreSink sink(options, std::max(plan.options.workers, 1));
  return run_rank(plan, source, options, sink);
}

}  // namespace zpmpi::exec
