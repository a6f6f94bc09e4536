#include "chunk_gather.hpp"

#include <cstring>

#include "zpmpi/exec/value_transforms.hpp"
#include "zpmpi/model/index_map.hpp"

namespace zpmpi::exec {
namespace {

using model::Index;
using model::Shape;

/// Walks the chunk's rows (kRows), each converted by the value stage on the way: a
/// strided row is first gathered into `row` in the read type. No chunk-sized buffer
/// besides the output.
void convert_rows(const model::ArrayLayout& spec, const model::ChunkAssembly& a, const std::byte* hyper,
                  std::byte* chunk, model::ByteBuffer& row_buffer) {
  const std::size_t esize = model::dtype_size(spec.dtype), read_size = model::dtype_size(spec.read_dtype());
  const auto max_row = static_cast<std::size_t>(model::max_row_length(a.to_shape));
  std::byte* row = row_buffer.get(max_row * read_size);
  model::for_each_row(a.hyper_shape, a.from.start, a.to_shape, Shape(a.to_shape.size(), 0), a.chunk.count, a.order,
                      [&](Index s, Index step, Index t, Index m) {
                        const std::byte* from = hyper + s * read_size;
                        if (step != 1) {
                          for (Index i = 0; i < m; ++i)
                            std::memcpy(row + i * read_size, from + i * step * read_size, read_size);
                          from = row;
                        }
                        apply_values(*spec.values, spec.dtype, from, chunk + t * esize, m);
                      });
}

}  // namespace

const std::byte* gather_chunk(const model::ArrayLayout& spec, const model::ChunkAssembly& a, const std::byte* hyper,
                              GatherBuffers& buffers) {
  const std::size_t esize = model::dtype_size(spec.dtype);
  if (a.kind == model::ChunkAssembly::Kind::kInPlace) return hyper + a.offset * esize;
  const std::size_t chunk_elems = model::num_elements(spec.chunks);
  std::byte* chunk = buffers.chunk.get(chunk_elems * esize);
  if (a.padded) model::fill_elements(chunk, chunk_elems, spec.dtype, spec.fill_value);
  if (spec.values) {
    convert_rows(spec, a, hyper, chunk, buffers.row);
  } else {
    model::copy_chunk(a, hyper, chunk, esize);
  }
  for (const auto& [at, m] : a.refill)
    model::fill_elements(chunk + at * esize, static_cast<std::size_t>(m), spec.dtype, spec.fill_value);
  return chunk;
}

}  // namespace zpmpi::exec
