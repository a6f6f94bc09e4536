// The decode buffers of a source, as the source publishes them: how many it holds and how
// large a stored chunk it reads (the planner counts both, plan::OwnerBounds). (How the
// process keeps the buffers a decoder allocates and frees is app's: process_memory.hpp.)
#pragma once

#include <cstdint>

namespace zpmpi::source {

/// Source-chunk-sized buffers held while one compressed chunk is decoded. HDF5 (on the
/// reading thread): the stored bytes, the deflate output (grown by doubling, so up to
/// twice the chunk, and both old and new block live during a realloc) and the unshuffled
/// copy; measured on ERA5-like zlib+shuffle chunks of 100MB: peak RSS 3.0-3.2 chunks above
/// the batch and the libraries' ~30MB; 4 bounds it. When zpmpi decodes on the workers
/// (Variable::decoded_on_workers), each worker holds as much: the stored bytes fetched
/// ahead for it (at most 2 chunks), the decode chain's intermediate buffer and the decoded
/// chunk; the ChunkedReader keeps to it (src/source/chunk_read.hpp).
inline constexpr std::uint64_t kDecodeChunkBuffers = 4;

/// The most stored bytes of one compressed chunk of `decoded` bytes that a source reads:
/// decoded + decoded/128 + 1024 (saturating). Every codec a chunk may pass through expands
/// less (zstd: n/256 + 64, numcodecs' lz4: n/255 + 20, deflate and blosc less still). A
/// whole-file chunk larger than this is an error; a read whose chunks are stored larger is
/// not fetched ahead.
std::uint64_t max_stored_chunk_bytes(std::uint64_t decoded);

}  // namespace zpmpi::source
