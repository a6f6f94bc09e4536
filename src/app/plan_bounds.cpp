#include "zpmpi/app/plan_bounds.hpp"

#include "zpmpi/source/decode_buffers.hpp"

namespace zpmpi::app {

plan::OwnerBounds owner_bounds(const codec::CodecSpec& codec) {
  plan::OwnerBounds bounds;
  bounds.encoded_size = codec::encoded_size_bound(codec.id);
  bounds.stored_size = &source::max_stored_chunk_bytes;
  bounds.decode_chunk_buffers = source::kDecodeChunkBuffers;
  return bounds;
}

}  // namespace zpmpi::app
