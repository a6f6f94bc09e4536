// Where an output array's elements come from in its source variable.
//
// Preprocessors (isel, sel, reverse_axis, roll) compose into one map per source dim, the
// idea of TensorStore's IndexTransform restricted to what xarray can express per dim:
//  - a dim that a scalar selection dropped is `fixed` at one source index;
//  - every other dim is an output dim (same order as in the source), mapped piecewise
//    affinely: output indices [out_start, out_start + length) of a Segment take source
//    index src_start + stride * (i - out_start). One segment for slices and reversal
//    (stride -1), two for a roll (the wrap-around).
// Example: latitude 721 reversed then sliced to output 0..120 is one segment
// {out_start 0, length 121, src_start 720, stride -1}; longitude 1440 rolled by 720 is
// {0, 720, 720, 1} and {720, 720, 0, 1}.
//
// Tiling (xarray's coarsen(...).construct(...).stack(batch_dim=...)) is not separable per
// dim: the batch index unravels over the tile grid of several dims. It is an optional
// stage after the per-dim maps (TileStage): output (batch, fine / untiled dims) -> the
// per-dim maps' output positions -> source indices.
//
// Transposition (xarray's transpose) reorders the output dims without moving data on the
// read side: batches are read in the per-dim maps' order (the "stored" order, the source's
// dim order) and each output chunk is gathered from that hyperslab with its dims permuted
// (gather_transposed), the copy every non-contiguous chunk gets anyway.
// Example: t2m(time, latitude, longitude) transposed to (latitude, longitude, time) has
// order {1, 2, 0}: output dim 0 is stored dim 1 (latitude), output dim 2 is time.
//
// A new dim (xarray's expand_dims) has no source dim: every index along it reads the same
// source element. The new dims are stored dims too, numbered after those of the per-dim
// maps, but they are never read: the hyperslab has only the per-dim maps' dims, and the
// gather walks a new dim with source step 0 (one element per index: a length-1 dim; the
// same values repeated: a longer one, as xarray broadcasts).
// Example: t2m(time, latitude, longitude).expand_dims("member") has new_dims {1} and
// order {3, 0, 1, 2}: output dim 0 is stored dim 3, the first new dim.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "zpmpi/model/box.hpp"

namespace zpmpi::model {


struct Segment {
  Index out_start = 0;
  Index length = 0;
  std::int64_t src_start = 0;
  std::int64_t stride = 1;  ///< never 0
  bool operator==(const Segment&) const = default;
};

/// The map of one source dim.
struct DimMap {
  std::optional<Index> fixed;      ///< set: the dim is dropped, read at this index
  std::vector<Segment> segments;   ///< ordered by out_start, covering [0, length())

  static DimMap identity(Index length);
  static DimMap at(Index index);  ///< a dropped dim
  Index length() const;           ///< output length (0 for a fixed dim)
  /// The source index of output index i (i < length()).
  std::int64_t source_index(Index i) const;
  /// This map applied after `outer`: output j -> outer(j) -> this. `outer` segments are in
  /// this map's output space and must stay inside [0, length()).
  DimMap after(const std::vector<Segment>& outer) const;
  bool operator==(const DimMap&) const = default;
};

/// One strided source read serving part of an output box.
struct ReadPiece {
  model::Box source;          ///< source start (lowest index) and counts, source rank
  model::Shape stride;        ///< positive source steps, source rank
  model::Box output;          ///< where it lands, relative to the output box, output rank
  std::vector<bool> reversed; ///< per output dim: the source runs backwards along it
};

/// Tiling after the per-dim maps, as xarray's
///   coarsen(d=tile, boundary=...).construct(d=("d_coarse", "d_fine")) then
///   stack(batch_dim=[tiled dims' "_coarse", in the dataset's dim order]).
/// The output is (batch, then per output dim of the per-dim maps ("pre-tile dims"): its
/// tile extent when tiled, else its length). Batch b unravels in C order over `grid`, the
/// tiles along every tiled dim of the dataset (dims this array lacks too: xarray broadcasts
/// the array along them). Fine index f of pre-tile dim d (tiled along grid axis a) is
/// pre-tile position grid_index[a] * tile[d] + f; a position at or past the dim's length
/// is padding (boundary "pad"), which no read fills: the caller fills it.
/// Example: latitude 37 tiled by 10 and longitude 72 by 16 (pad): grid [4, 5], axis
/// [0, 1], tile [10, 16]; batch 7 is tile (1, 2): latitude 10..19, longitude 32..47;
/// batch 19 is tile (3, 4): latitude 30..39 of which 37..39 pad, longitude 64..79 (72.. pad).
struct TileStage {
  Shape grid;                      ///< tiles per grid axis (the batch length is their product)
  std::vector<std::int64_t> axis;  ///< per pre-tile dim: its grid axis, or -1 when not tiled
  Shape tile;                      ///< per pre-tile dim: tile extent (0 when not tiled)

  Index batch_length() const;                  ///< product of grid
  /// The grid index (one per grid axis) of batch b (< batch_length()).
  Shape grid_index(Index b) const;
  bool operator==(const TileStage&) const = default;
};

struct IndexMap {
  std::vector<DimMap> dims;  ///< one per source dim
  std::optional<TileStage> tile;  ///< applied after `dims` (see TileStage)
  /// The lengths of the new dims (expand_dims), stored dims read_rank(), read_rank() + 1, ...
  /// Never set together with `tile`.
  Shape new_dims;
  /// Output dim k is stored dim order[k] (a permutation of the dims that are not fixed and
  /// the new dims); empty: the stored order (then there are no new dims). Never set
  /// together with `tile`.
  std::vector<std::size_t> order;

  static IndexMap identity(const model::Shape& source_shape);
  /// True when every dim is one segment with stride +1 starting at 0 (and no tile stage):
  /// the stored box is the source box, and reads go straight into the hyperslab buffer
  /// (`order` may still permute the output dims and add new ones: chunks are gathered).
  bool is_identity() const;
  std::size_t output_rank() const;
  /// The stored dims that are read: those of the per-dim maps that are not fixed (with a
  /// tile stage, the pre-tile dims), without the new dims.
  std::size_t read_rank() const;
  model::Shape output_shape() const;
  /// True when output dim k is a new dim (no source dim maps to it: expand_dims).
  bool new_dim(std::size_t k) const { return k < order.size() && order[k] >= read_rank(); }
  /// True when the output dims are not the stored dims in their order: `order` permutes
  /// them or adds new dims (chunks are then gathered with for_each_row).
  bool transposed() const;
  /// True when a chunk's elements lie in the hyperslab in the chunk's own C order: the read
  /// dims in the stored order and every new dim of length 1 (a dim of 1 moves nothing), so
  /// that a chunk is a box of the stored dims, copied as one or even taken in place.
  bool keeps_layout() const;
  /// The box of read stored dims that output box `out` covers: `out` with its dims put
  /// back in the stored order, new dims left out (`out` itself when not transposed()).
  model::Box stored_box(const model::Box& out) const;
  /// The source reads that fill stored box `out` (see stored_box), in C order of pieces.
  /// With a tile stage, one or more per tile of the box, none for its padding.
  std::vector<ReadPiece> pieces(const model::Box& out) const;
  /// True when some element of stored box `out` is tile padding (no source element): the
  /// caller fills the box with the fill value before reading the pieces.
  bool pads(const model::Box& out) const;
  /// The tile padding of output box `out` held at the origin of a C-order buffer of
  /// `buffer_shape` (a chunk: `out.count` <= `buffer_shape`), as runs {offset, length} in
  /// elements, in C order; none without a tile stage. After a value stage, which turns the
  /// padding read before it into a data value (a packed 0 becomes add_offset), the caller
  /// fills these runs with the output's missing value.
  std::vector<std::pair<Index, Index>> pad_runs(const model::Box& out, const model::Shape& buffer_shape) const;
  bool operator==(const IndexMap&) const = default;
};

/// Walks the `count` box (output dims) at `src_start` (read stored dims) of a C-order array
/// of `src_shape` (read stored dims) and at `dst_start` of one of `dst_shape` (output dims),
/// where output dim k runs along stored dim order[k] (empty `order`: the stored order), or
/// along no source dim when order[k] >= src_shape.size() (a new dim: source step 0), one
/// innermost run at a time: row(src, src_step, dst, n) for n elements, the source ones at
/// element offsets src, src + src_step, ... and the destination ones contiguous from dst.
/// src_step is 1 when the innermost output dim is the innermost stored dim, 0 along a new
/// dim. Output dims of count 1 at the end whose `dst_shape` is 1 too are skipped, so that a
/// trailing new dim of length 1 does not cut the rows into single elements.
template <class Row>
void for_each_row(const Shape& src_shape, const Shape& src_start, const Shape& dst_shape, const Shape& dst_start,
                  const Shape& count, const std::vector<std::size_t>& order, Row&& row) {
  const std::size_t out_rank = count.size(), src_rank = src_shape.size();
  if (num_elements(count) == 0) return;
  std::vector<Index> stride(src_rank, 1), along(out_rank);  // source element strides: stored dims, output dims
  for (std::size_t d = src_rank; d-- > 1;) stride[d - 1] = stride[d] * src_shape[d];
  Index base = 0;
  for (std::size_t d = 0; d < src_rank; ++d) base += src_start[d] * stride[d];
  for (std::size_t k = 0; k < out_rank; ++k) {
    const std::size_t s = order.empty() ? k : order[k];
    along[k] = s < src_rank ? stride[s] : 0;
  }
  // Trailing output dims of one element that the destination does not extend: each row
  // stays contiguous without them (their start only offsets the destination).
  std::size_t rank = out_rank;
  Index tail = 0, tail_size = 1;
  while (rank > 1 && count[rank - 1] == 1 && dst_shape[rank - 1] == 1) {
    --rank;
    tail += dst_start[rank] * tail_size;
    tail_size *= dst_shape[rank];
  }
  if (rank == 0) {
    row(base, Index{1}, tail, Index{1});
    return;
  }
  Shape idx(rank, 0);
  const std::size_t last = rank - 1;
  for (;;) {
    Index s = base, t = 0;
    for (std::size_t k = 0; k < rank; ++k) {
      s += idx[k] * along[k];
      t = t * dst_shape[k] + dst_start[k] + idx[k];
    }
    row(s, along[last], t * tail_size + tail, count[last]);
    std::size_t k = last;
    for (;;) {
      if (k == 0) return;
      --k;
      if (++idx[k] < count[k]) break;
      idx[k] = 0;
    }
  }
}

/// The longest row for_each_row yields into a destination of `dst_shape`: its last extent
/// that is not 1 (the trailing dims of 1 are skipped), else 1. Example: (4, 8, 1) -> 8.
inline Index max_row_length(const Shape& dst_shape) {
  for (std::size_t k = dst_shape.size(); k-- > 0;)
    if (dst_shape[k] != 1) return dst_shape[k];
  return 1;
}

/// Copies the `count` box as for_each_row walks it (`esize` bytes per element). Example: a
/// (2, 3) stored block with order {1, 0} lands as its (3, 2) transpose.
void gather_transposed(const std::byte* src, const Shape& src_shape, const Shape& src_start, std::byte* dst,
                       const Shape& dst_shape, const Shape& dst_start, const Shape& count,
                       const std::vector<std::size_t>& order, std::size_t esize);

}  // namespace zpmpi::model
