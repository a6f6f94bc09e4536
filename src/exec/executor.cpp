#include "zpmpi/exec/executor.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

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

/// A grow-only, uninitialised byte buffer: batches reuse it without zeroing gigabytes.
class Buffer {
 public:
  std::byte* get(std::size_t size) {
    if (size > capacity_) {
      data_.reset();  // release first so peak memory is not old + new
      data_.reset(new std::byte[size]);
      capacity_ = size;
    }
    return data_.get();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<std::byte[]> data_;
  std::size_t capacity_ = 0;
};

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

class RankExecutor {
 public:
  RankExecutor(const plan::RegionPlan& plan, source::Source& source, const ExecOptions& options)
      : plan_(plan), source_(source), options_(options), codec_(codec::make_codec(options.codec)) {}

  Status run_batch(const plan::Batch& batch) {
    const plan::ArrayPlan& array = plan_.arrays[batch.array];
    const plan::ArraySpec& spec = array.spec;
    const std::size_t esize = model::dtype_size(spec.dtype);
    const Shape& hyper_shape = batch.elements.count;
    const std::size_t hyper_bytes = batch.elements.num_elements() * esize;

    auto t0 = Clock::now();
    std::byte* hyper = hyperslab_.get(hyper_bytes);
    ZPMPI_RETURN_IF_ERROR(read_hyperslab(spec, batch.elements, hyper, hyper_bytes));
    stats_.seconds_read += seconds_since(t0);
    stats_.bytes_needed += hyper_bytes;

    const std::size_t rank = spec.shape.size();
    const std::size_t chunk_elems = model::num_elements(spec.chunks);
    const std::size_t chunk_bytes = chunk_elems * esize;
    Shape pos(rank, 0), chunk_index(rank), start_in_hyper(rank), count(rank);
    const Index n_chunks = batch.chunks.num_elements();
    for (Index n = 0; n < n_chunks; ++n) {
      // C-order position n inside the batch's chunk box.
      Index rem = n;
      for (std::size_t d = rank; d-- > 0;) {
        pos[d] = rem % batch.chunks.count[d];
        rem /= batch.chunks.count[d];
      }
      bool padded = false;
      Index offset = 0;
      for (std::size_t d = 0; d < rank; ++d) {
        chunk_index[d] = batch.chunks.start[d] + pos[d];
        const Index first = chunk_index[d] * spec.chunks[d];
        count[d] = std::min(spec.chunks[d], spec.shape[d] - first);
        padded = padded || count[d] < spec.chunks[d];
        start_in_hyper[d] = first - batch.elements.start[d];
        offset = offset * hyper_shape[d] + start_in_hyper[d];
      }

      t0 = Clock::now();
      const std::byte* raw = hyper + offset * esize;
      if (padded || !is_contiguous(count, hyper_shape)) {
        std::byte* chunk = chunk_.get(chunk_bytes);
        if (padded) fill(chunk, chunk_elems, spec.dtype, spec.fill_value);
        model::copy_box(hyper, hyper_shape, start_in_hyper, chunk, spec.chunks, Shape(rank, 0), count,
                        esize);
        raw = chunk;
      }
      stats_.seconds_gather += seconds_since(t0);

      t0 = Clock::now();
      std::span<const std::byte> encoded{raw, chunk_bytes};
      if (options_.codec.id != codec::CodecId::kNone) {
        const std::size_t bound = codec_->max_encoded_size(chunk_bytes);
        std::byte* out = encoded_.get(bound);
        auto size = codec_->encode({raw, chunk_bytes}, {out, bound});
        if (!size.ok()) return size.error().with_context(spec.name);
        encoded = {out, size.value()};
      }
      stats_.seconds_encode += seconds_since(t0);

      t0 = Clock::now();
      if (auto st = zarr::write_chunk(options_.store, spec.name, zarr::chunk_key(chunk_index), encoded,
                                      options_.rank);
          !st.ok())
        return st.error();
      stats_.seconds_write += seconds_since(t0);
      stats_.chunks += 1;
      stats_.bytes_raw += chunk_bytes;
      stats_.bytes_written += encoded.size();
    }
    stats_.peak_buffer = std::max<std::uint64_t>(
        stats_.peak_buffer, hyperslab_.capacity() + staging_.capacity() + chunk_.capacity() + encoded_.capacity());
    return {};
  }

  const Stats& stats() const { return stats_; }

 private:
  /// Fills `hyper` (the batch's output box, C order) from the source: straight in for an
  /// identity map, else piece by piece through a staging buffer, reversing where needed.
  Status read_hyperslab(const plan::ArraySpec& spec, const Box& out, std::byte* hyper, std::size_t hyper_bytes) {
    const std::size_t esize = model::dtype_size(spec.dtype);
    if (spec.map.is_identity()) {
      count_decoded(spec, out, Shape(out.rank(), 1));
      return source_.read(spec.source_name, out, {hyper, hyper_bytes});
    }
    for (const transform::ReadPiece& piece : spec.map.pieces(out)) {
      const std::size_t bytes = piece.source.num_elements() * esize;
      std::byte* staging = staging_.get(bytes);
      ZPMPI_RETURN_IF_ERROR(source_.read(spec.source_name, piece.source, {staging, bytes}, piece.stride));
      count_decoded(spec, piece.source, piece.stride);
      Shape dst_start(out.rank());
      for (std::size_t d = 0; d < out.rank(); ++d) dst_start[d] = piece.output.start[d];
      model::copy_reversed(staging, piece.output.count, hyper, out.count, dst_start, piece.reversed, esize);
    }
    return {};
  }

  /// Adds the source chunk bytes a read touches (its decode cost) to the stats.
  void count_decoded(const plan::ArraySpec& spec, const Box& source_box, const Shape& stride) {
    const std::size_t esize = model::dtype_size(spec.dtype);
    if (!spec.source_chunked) {
      stats_.bytes_decoded += source_box.num_elements() * esize;
      return;
    }
    Box span = source_box;
    for (std::size_t d = 0; d < span.rank(); ++d)
      if (span.count[d] > 0) span.count[d] = (span.count[d] - 1) * stride[d] + 1;
    stats_.bytes_decoded += touched_elements(span, spec.source_var_shape, spec.source_var_chunks) * esize;
  }

  const plan::RegionPlan& plan_;
  source::Source& source_;
  const ExecOptions& options_;
  std::unique_ptr<codec::Codec> codec_;
  Buffer hyperslab_, staging_, chunk_, encoded_;
  Stats stats_;
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
    if (!status.ok()) return status.error();
  }
  return executor.stats();
}

}  // namespace zpmpi::exec
