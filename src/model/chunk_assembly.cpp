#include "zpmpi/model/chunk_assembly.hpp"

#include <algorithm>
#include <cstring>

namespace zpmpi::model {
namespace {

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

/// Element offset of `start` in a C-order array of `shape`.
Index offset_of(const Shape& start, const Shape& shape) {
  Index offset = 0;
  for (std::size_t d = 0; d < start.size(); ++d) offset = offset * shape[d] + start[d];
  return offset;
}

}  // namespace

ChunkAssembly assemble_chunk(const ArrayLayout& array, const Box& batch_elements, const Shape& index) {
  const std::size_t rank = array.shape.size();
  ChunkAssembly a;
  a.chunk = {Shape(rank), Shape(rank)};
  Box in_batch{Shape(rank), Shape(rank)};  // the chunk's elements relative to the batch's
  for (std::size_t d = 0; d < rank; ++d) {
    const Index first = a.chunk.start[d] = index[d] * array.chunks[d];
    a.chunk.count[d] = std::min(array.chunks[d], array.shape[d] - first);
    a.padded = a.padded || a.chunk.count[d] < array.chunks[d];
    in_batch.start[d] = first - batch_elements.start[d];
    in_batch.count[d] = a.chunk.count[d];
  }
  const IndexMap& map = array.map;
  a.hyper_shape = map.stored_box(batch_elements).count;
  a.from = map.stored_box(in_batch);
  if (map.keeps_layout() && !array.values) {
    a.offset = offset_of(a.from.start, a.hyper_shape);
    const bool in_place = !a.padded && is_contiguous(a.from.count, a.hyper_shape);
    a.kind = in_place ? ChunkAssembly::Kind::kInPlace : ChunkAssembly::Kind::kBox;
    if (!in_place) a.to_shape = map.stored_box({Shape(rank, 0), array.chunks}).count;
    return a;
  }
  a.kind = ChunkAssembly::Kind::kRows;
  a.to_shape = array.chunks;
  a.order = map.order;
  // Tile padding went through the value stage as data: it is filled again afterwards.
  if (array.values && map.pads(a.chunk)) a.refill = map.pad_runs(a.chunk, array.chunks);
  return a;
}

void copy_chunk(const ChunkAssembly& a, const std::byte* hyper, std::byte* chunk, std::size_t esize) {
  switch (a.kind) {
    case ChunkAssembly::Kind::kInPlace:
      std::memcpy(chunk, hyper + a.offset * esize, a.from.num_elements() * esize);
      return;
    case ChunkAssembly::Kind::kBox:
      copy_box(hyper, a.hyper_shape, a.from.start, chunk, a.to_shape, Shape(a.from.rank(), 0), a.from.count, esize);
      return;
    case ChunkAssembly::Kind::kRows:
      gather_transposed(hyper, a.hyper_shape, a.from.start, chunk, a.to_shape, Shape(a.to_shape.size(), 0),
                        a.chunk.count, a.order, esize);
      return;
  }
}

void fill_elements(std::byte* out, std::size_t n, DType dtype, const std::optional<Scalar>& value) {
  const std::size_t esize = dtype_size(dtype);
  if (!value || n == 0) {
    std::memset(out, 0, n * esize);
    return;
  }
  store_scalar(dtype, *value, out);
  // Double the filled prefix until it covers the buffer.
  for (std::size_t done = 1; done < n;) {
    const std::size_t step = std::min(done, n - done);
    std::memcpy(out + done * esize, out, step * esize);
    done += step;
  }
}

}  // namespace zpmpi::model
