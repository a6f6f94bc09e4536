#include "hyperslab_reader.hpp"

#include <algorithm>
#include <optional>

#include "zpmpi/exec/executor.hpp"
#include "zpmpi/exec/value_transforms.hpp"
#include "zpmpi/model/chunk_assembly.hpp"

namespace zpmpi::exec {

using model::Box;
using model::Index;
using model::Shape;

namespace {

/// The bounding box of the pieces' source boxes, or nullopt when one has a step > 1 along
/// a dim it reads more than one element of.
std::optional<Box> union_box(const std::vector<model::ReadPiece>& pieces) {
  Box u = pieces.front().source;
  Shape end(u.rank());
  for (std::size_t d = 0; d < u.rank(); ++d) end[d] = u.start[d] + u.count[d];
  for (const model::ReadPiece& p : pieces) {
    for (std::size_t d = 0; d < u.rank(); ++d) {
      if (p.stride[d] != 1 && p.source.count[d] > 1) return std::nullopt;
      u.start[d] = std::min(u.start[d], p.source.start[d]);
      end[d] = std::max(end[d], p.source.start[d] + p.source.count[d]);
    }
  }
  for (std::size_t d = 0; d < u.rank(); ++d) u.count[d] = end[d] - u.start[d];
  return u;
}

}  // namespace

namespace {

/// One forward, unit-step read of exactly the batch's box (no dim fixed, reversed, strided or
/// padded): the source's elements are the hyperslab's in the same order, so they need no
/// staging copy. A map that only translates (isel/sel of a range, an append's tail) reads so.
bool fills_whole_box(const std::vector<model::ReadPiece>& pieces, const Box& out) {
  if (pieces.size() != 1) return false;
  const model::ReadPiece& p = pieces[0];
  if (p.source.rank() != out.rank() || p.output.rank() != out.rank() || p.source.count != out.count ||
      p.output.count != out.count)
    return false;
  for (std::size_t d = 0; d < out.rank(); ++d)
    if (p.output.start[d] != 0 || p.stride[d] != 1 || p.reversed[d]) return false;
  return true;
}

}  // namespace

Status HyperslabReader::read(const model::ArrayLayout& spec, const Box& out, std::byte* hyper,
                             std::size_t hyper_bytes) {
  const std::size_t esize = model::dtype_size(spec.read_dtype());
  if (spec.map.is_identity()) {
    count_decoded(spec, out, Shape(out.rank(), 1));
    return source_.read(spec.source.name, out, {hyper, hyper_bytes}, {}, &runner_);
  }
  // Tile padding past the source end is read by no piece: it holds the pad value.
  if (spec.map.pads(out))
    model::fill_elements(hyper, out.num_elements(), spec.read_dtype(),
                         spec.values ? std::optional(pad_value(*spec.values)) : spec.fill_value);
  const std::vector<model::ReadPiece> pieces = spec.map.pieces(out);
  if (fills_whole_box(pieces, out)) {  // a translated box (a selection, an append's part): read in place
    count_decoded(spec, pieces[0].source, pieces[0].stride);
    return source_.read(spec.source.name, pieces[0].source, {hyper, hyper_bytes}, {}, &runner_);
  }
  if (spec.map.tile && pieces.size() > 1) {
    // The tiles of a batch often share source chunks (tiles of 200 x 400 in chunks of a
    // whole 721 x 1440 field): one read of their union decodes each chunk once, where a
    // read per tile would decode it once per tile. Taken when the union is no larger
    // than the batch (the staging the plan counts) and every read has unit steps.
    const std::optional<Box> all = union_box(pieces);
    if (all && all->num_elements() <= out.num_elements()) return read_union(spec, out, hyper, pieces, *all);
  }
  for (const model::ReadPiece& piece : pieces) {
    const std::size_t bytes = piece.source.num_elements() * esize;
    std::byte* staging = staging_.get(bytes);
    ZPMPI_RETURN_IF_ERROR(source_.read(spec.source.name, piece.source, {staging, bytes}, piece.stride, &runner_));
    count_decoded(spec, piece.source, piece.stride);
    Shape dst_start(out.rank());
    for (std::size_t d = 0; d < out.rank(); ++d) dst_start[d] = piece.output.start[d];
    model::copy_reversed(staging, piece.output.count, hyper, out.count, dst_start, piece.reversed, esize);
  }
  return {};
}

Status HyperslabReader::read_union(const model::ArrayLayout& spec, const Box& out, std::byte* hyper,
                                   const std::vector<model::ReadPiece>& pieces, const Box& all) {
  const std::size_t esize = model::dtype_size(spec.read_dtype());
  const std::size_t bytes = all.num_elements() * esize;
  std::byte* staging = staging_.get(bytes);
  ZPMPI_RETURN_IF_ERROR(source_.read(spec.source.name, all, {staging, bytes}, {}, &runner_));
  count_decoded(spec, all, Shape(all.rank(), 1));
  // One batch row of `hyper` (a tile) in source rank: dims a scalar selection fixed are 1.
  const std::size_t rank = all.rank();
  Shape row_shape(rank, 1);
  std::vector<std::size_t> out_dim(rank, 0);  // output dim of source dim d (0: fixed)
  for (std::size_t d = 0, od = 1; d < rank; ++d)
    if (!spec.map.dims[d].fixed) out_dim[d] = od++;
  for (std::size_t d = 0; d < rank; ++d)
    if (out_dim[d]) row_shape[d] = out.count[out_dim[d]];
  const std::size_t row_bytes = model::num_elements(row_shape) * esize;
  for (const model::ReadPiece& p : pieces) {
    Shape src_start(rank), dst_start(rank, 0);
    std::vector<bool> reversed(rank, false);
    for (std::size_t d = 0; d < rank; ++d) {
      src_start[d] = p.source.start[d] - all.start[d];
      if (!out_dim[d]) continue;
      dst_start[d] = p.output.start[out_dim[d]];
      reversed[d] = p.reversed[out_dim[d]];
    }
    model::copy_box_mirrored(staging, all.count, src_start, hyper + p.output.start[0] * row_bytes, row_shape,
                             dst_start, p.source.count, reversed, esize);
  }
  return {};
}

void HyperslabReader::count_decoded(const model::ArrayLayout& spec, const Box& source_box, const Shape& stride) {
  const std::size_t esize = model::dtype_size(spec.read_dtype());
  if (!spec.source.chunked || !spec.source.compressed) {
    stats_.bytes_decoded += source_box.num_elements() * esize;
    return;
  }
  Box span = source_box;
  for (std::size_t d = 0; d < span.rank(); ++d)
    if (span.count[d] > 0) span.count[d] = (span.count[d] - 1) * stride[d] + 1;
  stats_.bytes_decoded += touched_elements(span, spec.source.shape, spec.source.chunks) * esize;
}

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

}  // namespace zpmpi::exec
