// Gathers one output chunk from its batch's hyperslab as model::assemble_chunk describes
// it, into a worker's own buffers: padding filled, elements copied, values converted by
// the array's value stage (value_transforms.hpp) on the way. The chunk is then the sink's
// (chunk_sink.hpp).
#pragma once

#include <cstdint>

#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/model/byte_buffer.hpp"
#include "zpmpi/model/chunk_assembly.hpp"

namespace zpmpi::exec {

/// One worker's gather buffers, reused for every chunk it gathers.
struct GatherBuffers {
  model::ByteBuffer chunk;
  model::ByteBuffer row;  ///< one strided chunk row in the read type, before the value stage
  std::uint64_t bytes() const { return chunk.capacity() + row.capacity(); }
};

/// The bytes of the chunk `assembly` describes (of `array`, from the hyperslab `hyper`):
/// full chunk shape, C order, the output dtype. Points into `hyper` for a kInPlace chunk,
/// else into buffers.chunk; valid until the buffers' next use.
const std::byte* gather_chunk(const model::ArrayLayout& array, const model::ChunkAssembly& assembly,
                              const std::byte* hyper, GatherBuffers& buffers);

}  // namespace zpmpi::exec
