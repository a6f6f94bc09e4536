#include "chunk_read.hpp"

#include <algorithm>
#include <cstring>

#include "kerchunk_copy.hpp"
#include "zpmpi/source/decode_buffers.hpp"

namespace zpmpi::source {

using kerchunk::ChunkRef;
using model::Index;
using model::Shape;

Status ChunkLocator::read_stored(std::uint64_t index, ChunkRef&, std::span<std::byte>) {
  return runtime_error(context() + ": chunk " + chunk_name(index) + ": not a byte range");
}

std::uint64_t StoredArray::chunk_bytes() const {
  return model::num_elements(chunks) * model::dtype_size(dtype);
}

namespace {

/// Checks a read of `box` with `stride` into `out`; the step per dim, or the error.
Result<Shape> check_read(const StoredArray& a, const ChunkLocator& locator, const model::Box& box, const Shape& stride,
                         std::span<std::byte> out) {
  auto fail = [&](const std::string& why) { return runtime_error(locator.context() + ": " + why); };
  const std::size_t rank = a.shape.size();
  if (box.start.size() != rank || box.count.size() != rank)
    return fail("box of rank " + std::to_string(box.start.size()) + "/" + std::to_string(box.count.size()) +
                " for a variable of rank " + std::to_string(rank));
  if (!stride.empty() && stride.size() != rank) return fail("stride of the wrong rank");
  Shape step(rank, 1);
  for (std::size_t d = 0; d < rank; ++d) {
    if (!stride.empty()) step[d] = stride[d];
    if (step[d] == 0) return fail("stride 0");
    const Index span = box.count[d] == 0 ? 0 : (box.count[d] - 1) * step[d] + 1;
    if (box.start[d] > a.shape[d] || span > a.shape[d] - box.start[d])
      return fail("box start " + model::to_string(box.start) + " count " + model::to_string(box.count) +
                  " is outside the shape " + model::to_string(a.shape));
  }
  const std::size_t elements = box.num_elements();
  if (out.size() != elements * model::dtype_size(a.dtype))
    return fail("buffer of " + std::to_string(out.size()) + " bytes for " + std::to_string(elements) +
                " elements of " + std::string(model::dtype_name(a.dtype)));
  return step;
}


}  // namespace

/// One chunk a box touches: its C-order number and, per dim, the box elements [k0, k1) in it.
struct ChunkedReader::Touch {
  std::uint64_t chunk = 0;
  std::size_t dims_at = 0;  ///< into Walk::ranges: rank entries of {c, k0, k1}
};

struct ChunkedReader::DimRange {
  Index c, k0, k1;
};

/// The chunks a read of `box` touches (C order) and where each one's elements go in `out`.
struct ChunkedReader::Walk {
  const StoredArray* a = nullptr;
  model::Box box;
  Shape step;
  std::span<std::byte> out;
  std::vector<DimRange> ranges;  ///< per touch, rank entries from Touch::dims_at
  std::vector<Touch> touches;

  Walk(const StoredArray& array, const model::Box& b, Shape steps, std::span<std::byte> o)
      : a(&array), box(b), step(std::move(steps)), out(o) {
    const std::size_t rank = a->shape.size();
    Shape grid(rank);  // chunks per dim
    for (std::size_t d = 0; d < rank; ++d) grid[d] = a->chunks[d] == 0 ? 0 : (a->shape[d] + a->chunks[d] - 1) / a->chunks[d];
    // Per dim, the chunks touched and the box elements in each.
    std::vector<std::vector<DimRange>> per_dim(rank);
    for (std::size_t d = 0; d < rank; ++d) {
      const Index C = a->chunks[d], s = box.start[d], st = step[d], n = box.count[d];
      const Index last = s + (n - 1) * st;
      for (Index c = s / C; c <= last / C; ++c) {
        const Index lo = c * C, hi = lo + C;  // chunk c covers [lo, hi)
        const Index k0 = lo > s ? (lo - s + st - 1) / st : 0;
        const Index k1 = std::min(n, (hi - s + st - 1) / st);
        if (k0 < k1) per_dim[d].push_back({c, k0, k1});
      }
    }
    std::vector<std::size_t> at(rank, 0);
    for (;;) {
      Touch t;
      t.dims_at = ranges.size();
      for (std::size_t d = 0; d < rank; ++d) {
        ranges.push_back(per_dim[d][at[d]]);
        t.chunk = t.chunk * grid[d] + per_dim[d][at[d]].c;
      }
      touches.push_back(t);
      std::size_t d = rank;
      while (d > 0 && ++at[d - 1] == per_dim[d - 1].size()) at[--d] = 0;
      if (d == 0) break;
    }
  }

  /// Copies the box's elements of decoded chunk `t` (nullptr: the fill value) into `out`.
  void copy_out(const Touch& t, const std::byte* chunk) const {
    const std::size_t rank = a->shape.size(), elem = model::dtype_size(a->dtype);
    Shape src_start(rank), src_step(rank), dst_start(rank), count(rank);
    for (std::size_t d = 0; d < rank; ++d) {
      const DimRange& r = ranges[t.dims_at + d];
      src_start[d] = box.start[d] + r.k0 * step[d] - r.c * a->chunks[d];
      src_step[d] = step[d];
      dst_start[d] = r.k0;
      count[d] = r.k1 - r.k0;
    }
    if (chunk) kerchunk::copy_strided(chunk, a->chunks, src_start, src_step, out.data(), box.count, dst_start, count, elem);
    else kerchunk::fill_box(a->fill.data(), out.data(), box.count, dst_start, count, elem);
  }

  /// Where a whole chunk is one contiguous run of `out`, it is decoded straight there (no
  /// decoded-chunk buffer, no copy): every dim taken whole and unstrided, and, after the
  /// first dim the chunk spans more than one element of, the chunk as wide as the box.
  std::byte* direct_target(const Touch& t) const {
    const std::size_t rank = a->shape.size();
    std::size_t offset = 0;
    bool wider = false;  // a dim of more than one element has been passed
    for (std::size_t d = 0; d < rank; ++d) {
      const DimRange& r = ranges[t.dims_at + d];
      if (step[d] != 1 || r.k1 - r.k0 != a->chunks[d] || box.start[d] + r.k0 != r.c * a->chunks[d]) return nullptr;
      if (wider && a->chunks[d] != box.count[d]) return nullptr;
      wider = wider || a->chunks[d] > 1;
      offset = offset * box.count[d] + r.k0;
    }
    return out.data() + offset * model::dtype_size(a->dtype);
  }
};

Status ChunkedReader::decode_one(const Walk& w, const Touch& t, const Stored& p, std::span<const std::byte> stored,
                                 ChunkLocator& locator, WorkerState& ws) {
  const std::uint64_t chunk_bytes = w.a->chunk_bytes();
  if (std::byte* to = w.direct_target(t)) {
    if (auto st = p.chain->decode(stored, {to, chunk_bytes}, ws.scratch); !st.ok())
      return runtime_error(locator.where(t.chunk, p.ref) + ": " + st.error().message);
    return {};
  }
  // Sized for this array's chunk: one left by an array of larger chunks is freed.
  if (ws.chunk.capacity() >= chunk_bytes + model::ByteBuffer::kHugePageBytes) ws.chunk.release();
  std::byte* chunk = ws.chunk.get(chunk_bytes);
  if (auto st = p.chain->decode(stored, {chunk, chunk_bytes}, ws.scratch); !st.ok())
    return runtime_error(locator.where(t.chunk, p.ref) + ": " + st.error().message);
  w.copy_out(t, chunk);
  return {};
}

Status ChunkedReader::fetch(std::vector<RangeRequest>& requests, const std::vector<std::uint64_t>& request_chunks,
                            const ChunkLocator& locator) {
  // A failed fetch names the url; the first request of that url names the chunk.
  auto st = reader_ ? reader_->read(requests) : runtime_error("no byte-range reader");
  if (st.ok()) return st;
  for (std::size_t i = 0; i < requests.size(); ++i)
    if (st.error().message.find(requests[i].url) != std::string::npos) {
      std::string context = locator.context();
      context.append(": chunk ").append(locator.chunk_name(request_chunks[i]));
      return st.error().with_context(context);
    }
  return st.error().with_context(locator.context());
}

std::uint64_t ChunkedReader::decode_buffer_bound(std::uint64_t chunk_bytes, int workers) {
  return kDecodeChunkBuffers * chunk_bytes * static_cast<std::uint64_t>(std::max(workers, 1));
}

std::uint64_t ChunkedReader::held_bytes() const {
  std::uint64_t held = fetched_.capacity();
  for (const WorkerState& w : workers_) held += w.scratch.capacity() + w.chunk.capacity();
  return held;
}

void ChunkedReader::keep_within_bound(std::uint64_t chunk_bytes, int workers) {
  // Large buffers are rounded up to whole huge pages (ByteBuffer): that much more is not
  // a buffer sized for another array. Those are freed, the fetched bytes first.
  const std::uint64_t rounding = model::ByteBuffer::kHugePageBytes * (1 + 2 * workers_.size());
  const std::uint64_t bound =
      decode_buffer_bound(chunk_bytes, std::max(workers, static_cast<int>(workers_.size()))) + rounding;
  if (held_bytes() <= bound) return;
  fetched_.release();
  for (WorkerState& w : workers_) {
    if (held_bytes() <= bound) return;
    w.chunk.release();
  }
  for (WorkerState& w : workers_) {
    if (held_bytes() <= bound) return;
    w.scratch = codec::DecodeScratch();
  }
}

void ChunkedReader::use_workers(int n) {
  if (workers_.size() < static_cast<std::size_t>(n)) workers_.resize(static_cast<std::size_t>(n));
}

/// A read whose stored bytes are all fetched (into the caller's buffer): one task per
/// chunk, each decoding it into the output on the worker that runs it.
class ChunkedReader::Prepared final : public DeferredRead {
 public:
  Prepared(ChunkedReader& reader, ChunkLocator& locator, Walk walk, std::vector<Stored> chunks, const std::byte* stored)
      : reader_(reader), locator_(locator), walk_(std::move(walk)), chunks_(std::move(chunks)), stored_(stored) {}
  std::size_t tasks() const override { return chunks_.size(); }
  Status run(std::size_t task, int worker) override {
    const Stored& p = chunks_[task];
    return reader_.decode_one(walk_, walk_.touches[p.touch], p, {stored_ + p.at, p.ref.length}, locator_,
                              reader_.workers_[static_cast<std::size_t>(worker)]);
  }

 private:
  ChunkedReader& reader_;
  ChunkLocator& locator_;
  Walk walk_;
  std::vector<Stored> chunks_;
  const std::byte* stored_;
};

Result<std::unique_ptr<DeferredRead>> ChunkedReader::prepare(const StoredArray& a, ChunkLocator& locator,
                                                             const model::Box& box, const Shape& stride,
                                                             std::span<std::byte> out, model::ByteBuffer& stored,
                                                             std::uint64_t max_stored, int workers) {
  ZPMPI_ASSIGN_OR_RETURN(Shape step, check_read(a, locator, box, stride, out));
  if (box.num_elements() == 0 || a.chain.is_identity()) return std::unique_ptr<DeferredRead>();
  Walk walk(a, box, std::move(step), out);
  std::vector<Stored> chunks;
  std::vector<std::size_t> missing;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < walk.touches.size(); ++i) {
    ZPMPI_ASSIGN_OR_RETURN(const ChunkRef ref, locator.locate(walk.touches[i].chunk));
    if (ref.missing()) {
      missing.push_back(i);
      continue;
    }
    // Inline and whole-file chunks (reference sets only) are read the undeferred way.
    if (ref.url == ChunkRef::kInline || ref.length == ChunkRef::kWholeFile) return std::unique_ptr<DeferredRead>();
    chunks.push_back({i, ref, static_cast<std::size_t>(total), nullptr});
    total += ref.length;
  }
  if (total > max_stored) return std::unique_ptr<DeferredRead>();  // more than the plan counted
  std::byte* base = stored.get(static_cast<std::size_t>(std::max<std::uint64_t>(total, 1)));
  std::vector<RangeRequest> requests;
  std::vector<std::uint64_t> request_chunks;
  for (const Stored& p : chunks)
    if (p.ref.url != ChunkRef::kSelfRead) {
      requests.push_back({locator.url(p.ref.url), p.ref.offset, p.ref.length, base + p.at});
      request_chunks.push_back(walk.touches[p.touch].chunk);
    }
  if (!requests.empty()) ZPMPI_RETURN_IF_ERROR(fetch(requests, request_chunks, locator));
  for (Stored& p : chunks) {  // in order, on this thread: the locator's library calls
    if (p.ref.url == ChunkRef::kSelfRead)
      ZPMPI_RETURN_IF_ERROR(locator.read_stored(walk.touches[p.touch].chunk, p.ref, {base + p.at, p.ref.length}));
    p.chain = locator.chain_for(p.ref);
    if (!p.chain) p.chain = &a.chain;
  }
  for (std::size_t i : missing) walk.copy_out(walk.touches[i], nullptr);
  use_workers(workers);
  return std::unique_ptr<DeferredRead>(std::make_unique<Prepared>(*this, locator, std::move(walk), std::move(chunks), base));
}

Status ChunkedReader::read(const StoredArray& a, ChunkLocator& locator, const model::Box& box, const Shape& stride,
                           std::span<std::byte> out, TaskRunner* parallel) {
  auto fail = [&](const std::string& why) { return runtime_error(locator.context() + ": " + why); };
  ZPMPI_ASSIGN_OR_RETURN(const Shape step, check_read(a, locator, box, stride, out));
  if (box.num_elements() == 0) return {};
  const std::size_t rank = a.shape.size();
  const std::size_t elem = model::dtype_size(a.dtype);
  const std::uint64_t chunk_bytes = a.chunk_bytes();
  const Walk walk(a, box, step, out);
  const std::vector<DimRange>& ranges = walk.ranges;
  const std::vector<Touch>& touches = walk.touches;
  auto copy_out = [&](const Touch& t, const std::byte* chunk) { walk.copy_out(t, chunk); };
  auto where = [&](const Touch& t, const ChunkRef& r) { return locator.where(t.chunk, r); };
  std::vector<RangeRequest> requests;
  std::vector<std::uint64_t> request_chunks;  // the chunk of each request, for errors
  auto fetch = [&]() { return this->fetch(requests, request_chunks, locator); };

  if (a.chain.is_identity()) {
    // Rows are byte ranges: a locator that reads its chunks itself has none to give.
    // Uncompressed chunks: the box's rows are read straight into `out` (the planner counts
    // no decode buffers for them); only rows taken with a step along the last dim pass
    // through a small staging buffer. Nothing to decode, so nothing runs on the workers.
    const std::size_t inner = rank == 0 ? 0 : rank - 1;
    const Index inner_step = rank == 0 ? 1 : step[inner];
    Shape chunk_strides(rank, 1), out_strides(rank, 1);
    for (std::size_t d = rank; d-- > 1;) {
      chunk_strides[d - 1] = chunk_strides[d] * a.chunks[d];
      out_strides[d - 1] = out_strides[d] * box.count[d];
    }
    struct Pick {
      std::byte* dst;
      std::size_t at;
      Index n;
    };
    std::vector<Pick> picks;
    constexpr std::size_t kStaging = std::size_t{1} << 20;
    const std::size_t row_span = rank == 0 ? elem : static_cast<std::size_t>(a.chunks[inner]) * elem;
    if (inner_step != 1) fetched_.get(std::max(kStaging, row_span));
    std::size_t staged = 0;
    auto flush = [&]() -> Status {
      if (!requests.empty())
        ZPMPI_RETURN_IF_ERROR(fetch());
      for (const Pick& p : picks)
        for (Index i = 0; i < p.n; ++i) std::memcpy(p.dst + i * elem, fetched_.data() + p.at + i * inner_step * elem, elem);
      requests.clear();
      request_chunks.clear();
      picks.clear();
      staged = 0;
      return {};
    };
    std::vector<Index> at(rank);
    for (const Touch& t : touches) {
      ZPMPI_ASSIGN_OR_RETURN(const ChunkRef ref, locator.locate(t.chunk));
      if (ref.missing()) {
        copy_out(t, nullptr);
        continue;
      }
      if (ref.url == ChunkRef::kSelfRead) return fail("uncompressed chunks that are not byte ranges");
      if (ref.url == ChunkRef::kInline || ref.length == ChunkRef::kWholeFile) {
        std::string whole_bytes;
        std::string_view bytes;
        if (ref.url == ChunkRef::kInline) {
          bytes = locator.inline_bytes(ref);
        } else {
          auto got = reader_ ? reader_->read_whole(locator.url(ref.url), chunk_bytes)
                             : Result<std::string>(runtime_error("no byte-range reader"));
          if (!got.ok()) return got.error().with_context(where(t, ref));
          whole_bytes = std::move(got).value();
          bytes = whole_bytes;
        }
        if (bytes.size() != chunk_bytes)
          return runtime_error(where(t, ref) + ": " + std::to_string(bytes.size()) +
                               " stored bytes for an uncompressed chunk of " + std::to_string(chunk_bytes));
        copy_out(t, reinterpret_cast<const std::byte*>(bytes.data()));
        continue;
      }
      if (ref.length != chunk_bytes)
        return runtime_error(where(t, ref) + ": " + std::to_string(ref.length) +
                             " stored bytes for an uncompressed chunk of " + std::to_string(chunk_bytes));
      // Every row of the box in this chunk: the outer dims' positions, the last dim's run.
      for (std::size_t d = 0; d < rank; ++d) at[d] = ranges[t.dims_at + d].k0;
      const Index n = rank == 0 ? 1 : ranges[t.dims_at + inner].k1 - ranges[t.dims_at + inner].k0;
      for (;;) {
        Index src = 0, dst = 0;
        for (std::size_t d = 0; d < rank; ++d) {
          const DimRange& r = ranges[t.dims_at + d];
          src += (box.start[d] + at[d] * step[d] - r.c * a.chunks[d]) * chunk_strides[d];
          dst += at[d] * out_strides[d];
        }
        std::byte* to = out.data() + dst * elem;
        if (inner_step == 1) {
          requests.push_back({locator.url(ref.url), ref.offset + src * elem, n * elem, to});
          request_chunks.push_back(t.chunk);
        } else {
          const std::size_t span = static_cast<std::size_t>((n - 1) * inner_step + 1) * elem;
          if (staged + span > fetched_.capacity()) ZPMPI_RETURN_IF_ERROR(flush());
          requests.push_back({locator.url(ref.url), ref.offset + src * elem, span, fetched_.data() + staged});
          request_chunks.push_back(t.chunk);
          picks.push_back({to, staged, n});
          staged += span;
        }
        if (requests.size() >= 4096) ZPMPI_RETURN_IF_ERROR(flush());
        // Next row: the outer dims, last of them fastest.
        std::size_t d = inner;
        while (d > 0) {
          --d;
          if (++at[d] < ranges[t.dims_at + d].k1) break;
          at[d] = ranges[t.dims_at + d].k0;
          if (d == 0) d = rank;  // wrapped the first dim: done
          if (d == rank) break;
        }
        if (d == rank || inner == 0) break;
      }
    }
    return flush();
  }

  const int nworkers = parallel ? std::max(1, parallel->workers()) : 1;
  use_workers(nworkers);
  // Stored bytes in flight: the published bound less each worker's decode intermediate and
  // decoded chunk (2 chunks' worth per worker), at least one chunk.
  const std::uint64_t budget = decode_buffer_bound(chunk_bytes, nworkers) - 2 * chunk_bytes * nworkers;

  std::vector<Stored> group;
  std::vector<std::string> whole;  // [at] whole-file chunks of the group
  std::uint64_t in_flight = 0;  // stored bytes of the group in fetched_
  // `more`: the budget cut this group short and others follow. Its buffer then takes the
  // whole budget at once, so that later groups (of this read or the next) never grow it:
  // each growth would leave the old block resident (zpmpi keeps freed memory) and touch as
  // much new memory again, a cost on hosts where first touches are slow.
  auto run_group = [&](bool more) -> Status {
    if (group.empty()) return {};
    fetched_.get(static_cast<std::size_t>(more ? std::max(in_flight, budget) : in_flight));
    if (!requests.empty()) {
      // Pointers into fetched_ are set now that it has the group's size.
      for (std::size_t i = 0, r = 0; i < group.size(); ++i)
        if (!group[i].whole && group[i].ref.url != ChunkRef::kInline && group[i].ref.url != ChunkRef::kSelfRead)
          requests[r++].out = fetched_.data() + group[i].at;
      ZPMPI_RETURN_IF_ERROR(fetch());
    }
    for (Stored& p : group) {  // chunks the locator reads itself, in order, on this thread
      if (p.ref.url == ChunkRef::kSelfRead)
        ZPMPI_RETURN_IF_ERROR(locator.read_stored(touches[p.touch].chunk, p.ref, {fetched_.data() + p.at, p.ref.length}));
      p.chain = locator.chain_for(p.ref);
      if (!p.chain) p.chain = &a.chain;
    }
    auto task = [&](std::size_t i, int worker) -> Status {
      const Stored& p = group[i];
      std::span<const std::byte> stored;
      if (p.ref.url == ChunkRef::kInline) {
        const auto bytes = locator.inline_bytes(p.ref);
        stored = std::as_bytes(std::span(bytes.data(), bytes.size()));
      } else if (p.whole) {
        stored = std::as_bytes(std::span(whole[p.at].data(), whole[p.at].size()));
      } else {
        stored = std::span<const std::byte>(fetched_.data() + p.at, p.ref.length);
      }
      return decode_one(walk, touches[p.touch], p, stored, locator, workers_[static_cast<std::size_t>(worker)]);
    };
    Status st;
    if (parallel) {
      st = parallel->run(group.size(), task);
    } else {
      for (std::size_t i = 0; i < group.size() && st.ok(); ++i) st = task(i, 0);
    }
    group.clear();
    requests.clear();
    request_chunks.clear();
    whole.clear();
    return st;
  };

  for (std::size_t i = 0; i < touches.size(); ++i) {
    const Touch& t = touches[i];
    ZPMPI_ASSIGN_OR_RETURN(const ChunkRef ref, locator.locate(t.chunk));
    if (ref.missing()) {
      copy_out(t, nullptr);
      continue;
    }
    const bool whole_file = ref.url != ChunkRef::kInline && ref.length == ChunkRef::kWholeFile;
    const std::uint64_t stored = ref.url == ChunkRef::kInline ? 0 : whole_file ? chunk_bytes : ref.length;
    if (!group.empty() && (in_flight + stored > budget || group.size() >= 1024)) {
      ZPMPI_RETURN_IF_ERROR(run_group(true));
      in_flight = 0;
    }
    Stored p{i, ref, 0, nullptr, whole_file};
    if (whole_file) {
      auto bytes = reader_ ? reader_->read_whole(locator.url(ref.url), max_stored_chunk_bytes(chunk_bytes))
                           : Result<std::string>(runtime_error("no byte-range reader"));
      if (!bytes.ok()) return bytes.error().with_context(where(t, ref));
      p.at = whole.size();
      whole.push_back(std::move(bytes).value());
    } else if (ref.url != ChunkRef::kInline) {
      p.at = static_cast<std::size_t>(in_flight);
      if (ref.url != ChunkRef::kSelfRead) {
        requests.push_back({locator.url(ref.url), ref.offset, ref.length, nullptr});
        request_chunks.push_back(t.chunk);
      }
    }
    in_flight += stored;
    group.push_back(p);
  }
  ZPMPI_RETURN_IF_ERROR(run_group(false));
  keep_within_bound(chunk_bytes, nworkers);
  return {};
}

}  // namespace zpmpi::source
