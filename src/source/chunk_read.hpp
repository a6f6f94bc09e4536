// Reading a box of an array stored as chunks whose bytes zpmpi fetches and decodes itself:
// the chunks of a kerchunk reference set, and those of a netCDF-4/HDF5 variable found
// through HDF5's chunk index. One reader for both, so both decode the same way.
//
// A read walks the chunks the box touches (C order), asks the ChunkLocator where each is,
// fetches the stored bytes on the calling thread through a RangeReader (a group at a time,
// the bytes in flight kept within 2 chunks' worth per worker) and decodes them on the
// caller's TaskRunner, each worker with its own DecodeScratch and decoded-chunk buffer
// (kept across reads): within the kDecodeChunkBuffers = 4 source chunks per worker it
// publishes (decode_buffer_bound) and the planner counts for Variable::decoded_on_workers.
// A chunk that is one contiguous run of the output is decoded straight there; a missing
// chunk reads as the fill element. Uncompressed chunks (an identity chain) are not decoded
// at all: the box's rows are read straight into the output (so they must be byte ranges,
// not chunks the locator reads itself).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zpmpi/codec/decode_chain.hpp"
#include "zpmpi/model/box.hpp"
#include "zpmpi/model/byte_buffer.hpp"
#include "zpmpi/model/dtype.hpp"
#include "zpmpi/source/byte_ranges.hpp"
#include "zpmpi/source/kerchunk_refs.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::source {

/// What every read of one stored array needs.
struct StoredArray {
  model::DType dtype = model::DType::f4;
  model::Shape shape, chunks;
  codec::DecodeChain chain;     ///< decodes every chunk (unless the locator says otherwise)
  std::vector<std::byte> fill;  ///< one element, native order
  std::uint64_t chunk_bytes() const;
};

/// Where each stored chunk is. Called on the reading thread only, except chain_for, which
/// the workers call concurrently.
class ChunkLocator {
 public:
  virtual ~ChunkLocator() = default;
  /// Chunk `index` (its C-order number over the chunk grid ceil(shape / chunks)).
  virtual Result<kerchunk::ChunkRef> locate(std::uint64_t index) = 0;
  virtual const std::string& url(std::uint32_t id) const = 0;
  /// The bytes of a ChunkRef with url == kInline (only a reference set has them).
  virtual std::string_view inline_bytes(const kerchunk::ChunkRef&) const { return {}; }
  /// Reads the `ref.length` stored bytes of a chunk located with url kSelfRead into `out`,
  /// and sets ref.url to what chain_for then takes. On the reading thread, in chunk order.
  virtual Status read_stored(std::uint64_t index, kerchunk::ChunkRef& ref, std::span<std::byte> out);
  /// A chain other than the array's for this chunk (an HDF5 chunk with a filter skipped),
  /// or nullptr.
  virtual const codec::DecodeChain* chain_for(const kerchunk::ChunkRef&) const { return nullptr; }
  /// "<file>: <variable>", the start of every message.
  virtual std::string context() const = 0;
  /// The chunk's name in messages: its store key ("t2m/0.3.1") or grid position.
  virtual std::string chunk_name(std::uint64_t index) const = 0;
  /// "<context>: chunk <name> (<where its bytes are>)", for a message about one chunk
  /// (a failed fetch says "<context>: chunk <name>: " and the reader's own message).
  virtual std::string where(std::uint64_t index, const kerchunk::ChunkRef& ref) const = 0;
};

/// Reads boxes of stored arrays; keeps its buffers (per worker, and the fetched bytes)
/// across reads. Used by one thread at a time.
class ChunkedReader {
 public:
  /// `reader` fetches byte ranges; nullptr when every chunk is read by its locator
  /// (kSelfRead).
  explicit ChunkedReader(RangeReader* reader) : reader_(reader) {}

  /// Reads `box` (box.count[d] elements taken every stride[d]; empty stride = all 1) of
  /// `array` into `out` (exactly box.num_elements() * dtype size bytes). Errors start with
  /// locator.context() and, for one chunk, its where().
  Status read(const StoredArray& array, ChunkLocator& locator, const model::Box& box, const model::Shape& stride,
              std::span<std::byte> out, TaskRunner* parallel);

  /// The same read split in two (see Source::prepare_read): locates and fetches the stored
  /// bytes of every chunk `box` touches now, on this thread, into `stored` (missing chunks
  /// are filled in `out` now), and returns one decoding task per chunk, for `workers`
  /// workers. nullptr when the read is not split: the stored bytes would exceed
  /// `max_stored`, the chunks are not compressed, or one is inline or a whole file. The
  /// tasks use `stored`, `out`, `locator` and this reader until they are done; several
  /// prepared reads may run at once (a worker runs one task at a time).
  Result<std::unique_ptr<DeferredRead>> prepare(const StoredArray& array, ChunkLocator& locator, const model::Box& box,
                                                const model::Shape& stride, std::span<std::byte> out,
                                                model::ByteBuffer& stored, std::uint64_t max_stored, int workers);

  /// Bytes of the buffer kept across reads for a group's stored chunks (at most 2 chunks
  /// per worker, or one chunk's stored bytes when a chunk alone is larger) or the staged
  /// rows of a strided read.
  std::size_t fetched_capacity() const { return fetched_.capacity(); }

  /// The decode buffers the reader publishes (what the planner counts for
  /// Variable::decoded_on_workers): source::kDecodeChunkBuffers chunks of `chunk_bytes`
  /// per worker. A read on `workers` workers keeps the stored bytes of a group within the
  /// bound less each worker's decode intermediate and decoded chunk (2 chunks per worker),
  /// and after it the reader holds no more than the bound, give or take the rounding of
  /// large buffers to huge pages (buffers grown for an array of larger chunks, or by a
  /// chain of several intermediates, are freed).
  static std::uint64_t decode_buffer_bound(std::uint64_t chunk_bytes, int workers);
  /// Bytes of every buffer kept across reads: the fetched bytes and each worker's scratch
  /// and decoded chunk. Only while no task of a prepared read runs.
  std::uint64_t held_bytes() const;

 private:
  struct WorkerState {
    codec::DecodeScratch scratch;
    model::ByteBuffer chunk;  ///< a decoded chunk that is not a contiguous run of the output
  };
  struct Touch;
  struct DimRange;
  struct Walk;
  class Prepared;
  /// A chunk of a read with stored bytes: at `at` of the fetched bytes (or of the whole
  /// files), decoded by `chain` (found on the reading thread: the locator may add chains).
  struct Stored {
    std::size_t touch = 0;  ///< into Walk::touches
    kerchunk::ChunkRef ref;
    std::size_t at = 0;
    const codec::DecodeChain* chain = nullptr;
    bool whole = false;
  };
  struct Rows;
  struct Group;
  /// An uncompressed read: the box's rows as byte ranges, straight into the output.
  Status read_rows(const Walk& walk, ChunkLocator& locator);
  /// Queues the rows of range chunk `t`; fetches (flush_rows) when the queue is full.
  Status queue_rows(Rows& rows, const Walk& walk, const Touch& t, const kerchunk::ChunkRef& ref,
                    const ChunkLocator& locator);
  Status flush_rows(Rows& rows, const Walk& walk, const ChunkLocator& locator);
  /// An uncompressed inline or whole-file chunk, copied into the output.
  Status copy_unranged(const Walk& walk, const Touch& t, const kerchunk::ChunkRef& ref, ChunkLocator& locator);
  /// A compressed read: groups of chunks fetched (within the decode buffer bound), then
  /// decoded on the workers.
  Status read_decoded(const Walk& walk, ChunkLocator& locator, TaskRunner* parallel);
  Status add_to_group(Group& group, const Walk& walk, std::size_t touch, const kerchunk::ChunkRef& ref,
                      ChunkLocator& locator);
  /// Fetches the group's stored bytes into fetched_ (grown to `reserve`) and finds each chunk's chain.
  Status fetch_group(Group& group, const Walk& walk, ChunkLocator& locator, std::uint64_t reserve);
  /// fetch_group, then decodes every chunk of the group on `parallel` (nullptr: here).
  Status run_group(Group& group, const Walk& walk, ChunkLocator& locator, TaskRunner* parallel,
                   std::uint64_t reserve);
  /// Decodes chunk `t` from `stored` into the walk's output.
  Status decode_one(const Walk& walk, const Touch& t, const Stored& chunk, std::span<const std::byte> stored,
                    ChunkLocator& locator, WorkerState& worker);
  /// Reads `requests` through reader_; an error names the chunk of the failed url.
  Status fetch(std::vector<RangeRequest>& requests, const std::vector<std::uint64_t>& request_chunks,
               const ChunkLocator& locator);
  /// Grows workers_ to `n` (never shrinks: tasks of a prepared read may be running).
  void use_workers(int n);
  /// Frees the buffers kept across reads when they hold more than decode_buffer_bound.
  void keep_within_bound(std::uint64_t chunk_bytes, int workers);
  RangeReader* reader_;
  std::deque<WorkerState> workers_;  ///< grown, never moved: a prepared read's tasks hold them
  /// Bytes written before they are read: grown without zeroing or copying what was there
  /// (a vector's resize zero-fills and copies: a third of a zlib read's time).
  model::ByteBuffer fetched_;  ///< the stored bytes of one group (or the staged rows of a strided read)
};

}  // namespace zpmpi::source
