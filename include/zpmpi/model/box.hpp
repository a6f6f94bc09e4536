// Index-space arithmetic on C-order (row-major) arrays. All indices and sizes are 64-bit:
// arrays over 4 GiB and dims over 2^31 are ordinary here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace zpmpi::model {

using Index = std::uint64_t;
using Shape = std::vector<Index>;

/// Product of the extents; 1 for a rank-0 shape.
Index num_elements(const Shape& shape);

/// "[a, b, c]" for messages and logs.
std::string to_string(const Shape& shape);

/// A rectangular part of an index space: start[d] .. start[d] + count[d] - 1 per dim.
struct Box {
  Shape start;
  Shape count;

  std::size_t rank() const { return start.size(); }
  Index num_elements() const { return model::num_elements(count); }
  bool operator==(const Box&) const = default;
};

/// The `n`-th index (n < box.num_elements()) of `box` in C order. Example: the box at
/// (2, 4) of count (3, 2) holds (2, 4), (2, 5), (3, 4), ...; its index 3 is (3, 5).
Shape nth_index(const Box& box, Index n);

/// The position of `index` in C order of an index space of `shape` (index[d] < shape[d]):
/// the inverse of nth_index for the box at 0 of count `shape`; 0 for rank 0.
Index linear_index(const Shape& index, const Shape& shape);

/// Copies the sub-box `count` at `src_start` of a C-order array of shape `src_shape` into
/// a C-order array of shape `dst_shape` at `dst_start`. Elements are `elem_size` bytes.
/// Runs of the innermost contiguous extent are copied with memcpy.
void copy_box(const std::byte* src, const Shape& src_shape, const Shape& src_start,
              std::byte* dst, const Shape& dst_shape, const Shape& dst_start,
              const Shape& count, std::size_t elem_size);

/// Copies the sub-box `count` at `src_start` of a C-order array of `src_shape` to the box at
/// `dst_start` of one of `dst_shape` (same rank), mirrored along every dim d where
/// reversed[d]: the source's first element along d lands on the destination box's last.
/// Runs along the innermost dim are copied with memcpy unless that dim is reversed.
void copy_box_mirrored(const std::byte* src, const Shape& src_shape, const Shape& src_start, std::byte* dst,
                       const Shape& dst_shape, const Shape& dst_start, const Shape& count,
                       const std::vector<bool>& reversed, std::size_t elem_size);

/// Copies a whole C-order array of shape `count` into the sub-box at `dst_start` of a
/// C-order array of shape `dst_shape`, reversing the element order along every dim d
/// where reversed[d] (a source read upwards that the output wants downwards).
void copy_reversed(const std::byte* src, const Shape& count, std::byte* dst, const Shape& dst_shape,
                   const Shape& dst_start, const std::vector<bool>& reversed, std::size_t elem_size);

}  // namespace zpmpi::model
