// How one output chunk is made from the hyperslab its batch read: the pure half of the
// executor's gather (exec/chunk_gather.hpp copies the bytes, converting values on the way),
// so that which elements go where, and which are padding, is tested without I/O.
//
// A batch covers a box of whole output chunks (plan::Batch::chunks) and reads the elements
// they cover, clipped to the array (Batch::elements), as one C-order hyperslab in the read
// stored dims (IndexMap::stored_box: the source's dim order, new dims left out). Each of
// its chunks is then made in one of three ways:
//  - kInPlace: the chunk's elements are one contiguous run of the hyperslab, in the chunk's
//    own order, and no edge cuts it: the chunk *is* that run, nothing is copied;
//  - kBox: the map keeps the element layout (IndexMap::keeps_layout) and no value stage
//    converts: one box of the hyperslab is copied to the chunk's origin (copy_box);
//  - kRows: dims permuted, new dims added or values converted: the chunk is walked one
//    innermost run at a time (for_each_row along `order`), each run converted if need be.
// Padding: an edge chunk (cut by the array's end) is filled with the fill value first and
// the copy overwrites its part. With a tile stage, tile padding is read as a pad value; a
// value stage turns it into a data value (a packed 0 becomes add_offset), so those runs
// (`refill`) are filled with the fill value again after the copy.
//
// Example: a 7 x 5 array in 3 x 2 chunks, the batch of chunk rows 1..2 (elements rows
// 3..6, a 4 x 5 hyperslab at (3, 0)). Chunk (1, 0): elements (3..5, 0..1), kBox, the
// (3, 2) box at (0, 0) of the hyperslab (its rows are 2 of the hyperslab's 5) copied to
// a 3 x 2 chunk. Chunk (2, 2): element (6, 4) alone, padded, kBox: the (1, 1) box at
// (3, 4) to the chunk's (0, 0), the other 5 elements the fill value. With 5 x 5 chunks
// and a batch of both chunks (a 7 x 5 hyperslab), chunk (0, 0) is rows 0..4 whole:
// kInPlace at element 0; chunk (1, 0), rows 5..6, is one run too (from element 25) but
// padded (rows 7..9 are past the end), so kBox.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/model/box.hpp"
#include "zpmpi/model/dtype.hpp"

namespace zpmpi::model {

struct ChunkAssembly {
  enum class Kind { kInPlace, kBox, kRows };
  Kind kind = Kind::kBox;
  Box chunk;            ///< the chunk's elements in the array (output dims), clipped to its shape
  bool padded = false;  ///< clipped: the rest of the chunk holds the fill value
  Shape hyper_shape;    ///< the batch's hyperslab (read stored dims)
  /// The chunk's elements in the hyperslab (read stored dims). kBox copies this box; kRows
  /// walks `chunk.count` (output dims) from its start along `order`.
  Box from;
  Index offset = 0;     ///< kInPlace: the element offset of from.start in the hyperslab
  /// The chunk buffer's shape: kBox in the stored dims (a new dim of 1 left out: it moves
  /// nothing), kRows the output chunk shape. Unused for kInPlace.
  Shape to_shape;
  std::vector<std::size_t> order;  ///< kRows: output dim k runs along stored dim order[k] (IndexMap::order)
  /// Runs {offset, length} of the chunk (elements, C order) filled with the fill value
  /// after the copy: tile padding that went through a value stage. Empty otherwise.
  std::vector<std::pair<Index, Index>> refill;
};

/// How chunk `index` (its grid index) of `array` is made from the hyperslab of the batch
/// whose element box (output dims, clipped to the array) is `batch_elements`; the chunk
/// must lie inside that box.
ChunkAssembly assemble_chunk(const ArrayLayout& array, const Box& batch_elements, const Shape& index);

/// Copies the chunk's elements from the hyperslab `hyper` to `chunk` as `assembly` says
/// (kInPlace too: its run), unconverted, `esize` bytes each; neither fills nor refills
/// padding (fill_elements does).
void copy_chunk(const ChunkAssembly& assembly, const std::byte* hyper, std::byte* chunk, std::size_t esize);

/// Fills `n` elements of `dtype` at `out` with `value` (zeros when there is none).
void fill_elements(std::byte* out, std::size_t n, DType dtype, const std::optional<Scalar>& value);

}  // namespace zpmpi::model
