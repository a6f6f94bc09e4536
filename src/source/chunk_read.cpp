#include "chunk_read.hpp"

#include <algorithm>
#include <cstring>

#include "chunk_copy.hpp"
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
    if (chunk) copy_strided(chunk, a->chunks, src_start, src_step, out.data(), box.count, dst_start, count, elem);
    else fill_box(a->fill.data(), out.data(), box.count, dst_start, count, elem);
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
    if (ref.kind() == ChunkRef::Kind::kMissing) {
      missing.push_back(i);
      continue;
    }
    // Inline and whole-file chunks (reference sets only) are read the undeferred way.
    if (!ref.fetched()) return std::unique_ptr<DeferredRead>();
    chunks.push_back({i, ref, static_cast<std::size_t>(total), nullptr});
    total += ref.length;
  }
  if (total > max_stored) return std::unique_ptr<DeferredRead>();  // more than the plan counted
  std::byte* base = stored.get(static_cast<std::size_t>(std::max<std::uint64_t>(total, 1)));
  std::vector<RangeRequest> requests;
  std::vector<std::uint64_t> request_chunks;
  for (const Stored& p : chunks)
    if (p.ref.kind() == ChunkRef::Kind::kRange) {
      requests.push_back({locator.url(p.ref.url), p.ref.offset, p.ref.length, base + p.at});
      request_chunks.push_back(walk.touches[p.touch].chunk);
    }
  if (!requests.empty()) ZPMPI_RETURN_IF_ERROR(fetch(requests, request_chunks, locator));
  for (Stored& p : chunks) {  // in order, on this thread: the locator's library calls
    if (p.ref.kind() == ChunkRef::Kind::kSelfRead)
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
  ZPMPI_ASSIGN_OR_RETURN(const Shape step, check_read(a, locator, box, stride, out));
  if (box.num_elements() == 0) return {};
  const Walk walk(a, box, step, out);
  // Uncompressed chunks (the planner counts no decode buffers for them): their rows are
  // read straight into `out`. Nothing to decode, so nothing runs on the workers.
  if (a.chain.is_identity()) return read_rows(walk, locator);
  return read_decoded(walk, locator, parallel);
}

// ---- Uncompressed chunks: the box's rows as byte ranges ----

/// The rows of an uncompressed read queued for one fetch: straight into `out`, or, taken
/// with a step along the last dim, through fetched_ (the staging buffer) and then picked.
struct ChunkedReader::Rows {
  struct Pick {
    std::byte* dst;
    std::size_t at;
    Index n;
  };
  std::vector<RangeRequest> requests;
  std::vector<std::uint64_t> request_chunks;  // the chunk of each request, for errors
  std::vector<Pick> picks;
  std::size_t staged = 0;
  Shape chunk_strides, out_strides;  // elements per step of each dim, in a chunk and in `out`
};

Status ChunkedReader::flush_rows(Rows& rows, const Walk& w, const ChunkLocator& locator) {
  const std::size_t elem = model::dtype_size(w.a->dtype);
  const Index inner_step = w.step.empty() ? 1 : w.step.back();
  if (!rows.requests.empty()) ZPMPI_RETURN_IF_ERROR(fetch(rows.requests, rows.request_chunks, locator));
  for (const Rows::Pick& p : rows.picks)
    for (Index i = 0; i < p.n; ++i) std::memcpy(p.dst + i * elem, fetched_.data() + p.at + i * inner_step * elem, elem);
  rows.requests.clear();
  rows.request_chunks.clear();
  rows.picks.clear();
  rows.staged = 0;
  return {};
}

Status ChunkedReader::read_rows(const Walk& w, ChunkLocator& locator) {
  const StoredArray& a = *w.a;
  const std::size_t rank = a.shape.size(), elem = model::dtype_size(a.dtype);
  Rows rows;
  rows.chunk_strides.assign(rank, 1);
  rows.out_strides.assign(rank, 1);
  for (std::size_t d = rank; d-- > 1;) {
    rows.chunk_strides[d - 1] = rows.chunk_strides[d] * a.chunks[d];
    rows.out_strides[d - 1] = rows.out_strides[d] * w.box.count[d];
  }
  constexpr std::size_t kStaging = std::size_t{1} << 20;
  const std::size_t row_span = rank == 0 ? elem : static_cast<std::size_t>(a.chunks.back()) * elem;
  if (rank > 0 && w.step.back() != 1) fetched_.get(std::max(kStaging, row_span));
  for (const Touch& t : w.touches) {
    ZPMPI_ASSIGN_OR_RETURN(const ChunkRef ref, locator.locate(t.chunk));
    switch (ref.kind()) {
      case ChunkRef::Kind::kMissing: w.copy_out(t, nullptr); break;
      case ChunkRef::Kind::kSelfRead:
        return runtime_error(locator.context() + ": uncompressed chunks that are not byte ranges");
      case ChunkRef::Kind::kInline:
      case ChunkRef::Kind::kWholeFile: ZPMPI_RETURN_IF_ERROR(copy_unranged(w, t, ref, locator)); break;
      case ChunkRef::Kind::kRange: ZPMPI_RETURN_IF_ERROR(queue_rows(rows, w, t, ref, locator)); break;
    }
  }
  return flush_rows(rows, w, locator);
}

Status ChunkedReader::copy_unranged(const Walk& w, const Touch& t, const ChunkRef& ref, ChunkLocator& locator) {
  const std::uint64_t chunk_bytes = w.a->chunk_bytes();
  std::string whole_bytes;
  std::string_view bytes;
  if (ref.kind() == ChunkRef::Kind::kInline) {
    bytes = locator.inline_bytes(ref);
  } else {
    auto got = reader_ ? reader_->read_whole(locator.url(ref.url), chunk_bytes)
                       : Result<std::string>(runtime_error("no byte-range reader"));
    if (!got.ok()) return got.error().with_context(locator.where(t.chunk, ref));
    whole_bytes = std::move(got).value();
    bytes = whole_bytes;
  }
  if (bytes.size() != chunk_bytes)
    return runtime_error(locator.where(t.chunk, ref) + ": " + std::to_string(bytes.size()) +
                         " stored bytes for an uncompressed chunk of " + std::to_string(chunk_bytes));
  w.copy_out(t, reinterpret_cast<const std::byte*>(bytes.data()));
  return {};
}

Status ChunkedReader::queue_rows(Rows& rows, const Walk& w, const Touch& t, const ChunkRef& ref,
                                 const ChunkLocator& locator) {
  const StoredArray& a = *w.a;
  const std::size_t rank = a.shape.size(), elem = model::dtype_size(a.dtype);
  const std::uint64_t chunk_bytes = a.chunk_bytes();
  if (ref.length != chunk_bytes)
    return runtime_error(locator.where(t.chunk, ref) + ": " + std::to_string(ref.length) +
                         " stored bytes for an uncompressed chunk of " + std::to_string(chunk_bytes));
  const std::size_t inner = rank == 0 ? 0 : rank - 1;
  const Index inner_step = rank == 0 ? 1 : w.step[inner];
  const DimRange* r = w.ranges.data() + t.dims_at;
  // Every row of the box in this chunk: the outer dims' positions, the last dim's run.
  Shape at(rank);
  for (std::size_t d = 0; d < rank; ++d) at[d] = r[d].k0;
  const Index n = rank == 0 ? 1 : r[inner].k1 - r[inner].k0;
  for (;;) {
    Index src = 0, dst = 0;
    for (std::size_t d = 0; d < rank; ++d) {
      src += (w.box.start[d] + at[d] * w.step[d] - r[d].c * a.chunks[d]) * rows.chunk_strides[d];
      dst += at[d] * rows.out_strides[d];
    }
    std::byte* to = w.out.data() + dst * elem;
    if (inner_step == 1) {
      rows.requests.push_back({locator.url(ref.url), ref.offset + src * elem, n * elem, to});
    } else {
      const std::size_t span = static_cast<std::size_t>((n - 1) * inner_step + 1) * elem;
      if (rows.staged + span > fetched_.capacity()) ZPMPI_RETURN_IF_ERROR(flush_rows(rows, w, locator));
      rows.requests.push_back({locator.url(ref.url), ref.offset + src * elem, span, fetched_.data() + rows.staged});
      rows.picks.push_back({to, rows.staged, n});
      rows.staged += span;
    }
    rows.request_chunks.push_back(t.chunk);
    if (rows.requests.size() >= 4096) ZPMPI_RETURN_IF_ERROR(flush_rows(rows, w, locator));
    // Next row: the outer dims, last of them fastest.
    std::size_t d = inner;
    while (d > 0) {
      --d;
      if (++at[d] < r[d].k1) break;
      at[d] = r[d].k0;
      if (d == 0) d = rank;  // wrapped the first dim: done
      if (d == rank) break;
    }
    if (d == rank || inner == 0) return {};
  }
}

// ---- Compressed chunks: fetched a group at a time, decoded on the workers ----

/// The chunks of a compressed read fetched and then decoded together: their stored bytes
/// in fetched_ (at Stored::at), whole-file chunks in `whole`, inline ones where they are.
struct ChunkedReader::Group {
  std::vector<Stored> chunks;
  std::vector<std::string> whole;  // [at] whole-file chunks of the group
  std::vector<RangeRequest> requests;
  std::vector<std::uint64_t> request_chunks;  // the chunk of each request, for errors
  std::uint64_t in_flight = 0;  // stored bytes of the group
  /// Empties the group for the next, keeping the vectors' memory.
  void clear() {
    chunks.clear();
    whole.clear();
    requests.clear();
    request_chunks.clear();
    in_flight = 0;
  }
};

Status ChunkedReader::read_decoded(const Walk& w, ChunkLocator& locator, TaskRunner* parallel) {
  const std::uint64_t chunk_bytes = w.a->chunk_bytes();
  const int nworkers = parallel ? std::max(1, parallel->workers()) : 1;
  use_workers(nworkers);
  // Stored bytes in flight: the published bound less each worker's decode intermediate and
  // decoded chunk (2 chunks' worth per worker), at least one chunk.
  const std::uint64_t budget = decode_buffer_bound(chunk_bytes, nworkers) - 2 * chunk_bytes * nworkers;
  Group group;
  for (std::size_t i = 0; i < w.touches.size(); ++i) {
    const Touch& t = w.touches[i];
    ZPMPI_ASSIGN_OR_RETURN(const ChunkRef ref, locator.locate(t.chunk));
    if (ref.kind() == ChunkRef::Kind::kMissing) {
      w.copy_out(t, nullptr);
      continue;
    }
    const std::uint64_t stored = ref.kind() == ChunkRef::Kind::kInline      ? 0
                                 : ref.kind() == ChunkRef::Kind::kWholeFile ? chunk_bytes
                                                                            : ref.length;
    if (!group.chunks.empty() && (group.in_flight + stored > budget || group.chunks.size() >= 1024)) {
      // The budget cut this group short and others follow. Its buffer then takes the whole
      // budget at once, so that later groups (of this read or the next) never grow it: each
      // growth would leave the old block resident (zpmpi keeps freed memory) and touch as
      // much new memory again, a cost on hosts where first touches are slow.
      ZPMPI_RETURN_IF_ERROR(run_group(group, w, locator, parallel, std::max(group.in_flight, budget)));
      group.clear();
    }
    ZPMPI_RETURN_IF_ERROR(add_to_group(group, w, i, ref, locator));
    group.in_flight += stored;
  }
  ZPMPI_RETURN_IF_ERROR(run_group(group, w, locator, parallel, group.in_flight));
  keep_within_bound(chunk_bytes, nworkers);
  return {};
}

Status ChunkedReader::add_to_group(Group& group, const Walk& w, std::size_t touch, const ChunkRef& ref,
                                   ChunkLocator& locator) {
  const std::uint64_t chunk = w.touches[touch].chunk;
  Stored p{touch, ref, 0, nullptr, ref.kind() == ChunkRef::Kind::kWholeFile};
  if (p.whole) {
    auto bytes = reader_ ? reader_->read_whole(locator.url(ref.url), max_stored_chunk_bytes(w.a->chunk_bytes()))
                         : Result<std::string>(runtime_error("no byte-range reader"));
    if (!bytes.ok()) return bytes.error().with_context(locator.where(chunk, ref));
    p.at = group.whole.size();
    group.whole.push_back(std::move(bytes).value());
  } else if (ref.fetched()) {
    p.at = static_cast<std::size_t>(group.in_flight);
    if (ref.kind() == ChunkRef::Kind::kRange) {
      group.requests.push_back({locator.url(ref.url), ref.offset, ref.length, nullptr});
      group.request_chunks.push_back(chunk);
    }
  }
  group.chunks.push_back(p);
  return {};
}

Status ChunkedReader::fetch_group(Group& group, const Walk& w, ChunkLocator& locator, std::uint64_t reserve) {
  fetched_.get(static_cast<std::size_t>(reserve));
  if (!group.requests.empty()) {
    // Pointers into fetched_ are set now that it has the group's size.
    for (std::size_t i = 0, r = 0; i < group.chunks.size(); ++i)
      if (group.chunks[i].ref.kind() == ChunkRef::Kind::kRange)
        group.requests[r++].out = fetched_.data() + group.chunks[i].at;
    ZPMPI_RETURN_IF_ERROR(fetch(group.requests, group.request_chunks, locator));
  }
  for (Stored& p : group.chunks) {  // chunks the locator reads itself, in order, on this thread
    if (p.ref.kind() == ChunkRef::Kind::kSelfRead)
      ZPMPI_RETURN_IF_ERROR(
          locator.read_stored(w.touches[p.touch].chunk, p.ref, {fetched_.data() + p.at, p.ref.length}));
    p.chain = locator.chain_for(p.ref);
    if (!p.chain) p.chain = &w.a->chain;
  }
  return {};
}

Status ChunkedReader::run_group(Group& group, const Walk& w, ChunkLocator& locator, TaskRunner* parallel,
                                std::uint64_t reserve) {
  if (group.chunks.empty()) return {};
  ZPMPI_RETURN_IF_ERROR(fetch_group(group, w, locator, reserve));
  auto task = [&](std::size_t i, int worker) -> Status {
    const Stored& p = group.chunks[i];
    std::span<const std::byte> stored;
    if (p.ref.kind() == ChunkRef::Kind::kInline) {
      const auto bytes = locator.inline_bytes(p.ref);
      stored = std::as_bytes(std::span(bytes.data(), bytes.size()));
    } else if (p.whole) {
      stored = std::as_bytes(std::span(group.whole[p.at].data(), group.whole[p.at].size()));
    } else {
      stored = std::span<const std::byte>(fetched_.data() + p.at, p.ref.length);
    }
    return decode_one(w, w.touches[p.touch], p, stored, locator, workers_[static_cast<std::size_t>(worker)]);
  };
  if (parallel) return parallel->run(group.chunks.size(), task);
  Status st;
  for (std::size_t i = 0; i < group.chunks.size() && st.ok(); ++i) st = task(i, 0);
  return st;
}

}  // namespace zpmpi::source
