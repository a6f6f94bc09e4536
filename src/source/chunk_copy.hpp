// Moving a decoded chunk's part into the output of a read: the box elements in a chunk are
// taken every step[d] from src_start (a strided box read), and land contiguous in the
// output box. Missing chunks put the fill element there instead.
#pragma once

#include <cstddef>

#include "zpmpi/model/box.hpp"

namespace zpmpi::source {

/// Copies count[d] elements along each dim, taken every src_step[d] from src_start of a
/// C-order array of shape src_shape, to dst_start of a C-order array of shape dst_shape
/// (unit step). Rank 0 copies one element.
void copy_strided(const std::byte* src, const model::Shape& src_shape, const model::Shape& src_start,
                  const model::Shape& src_step, std::byte* dst, const model::Shape& dst_shape,
                  const model::Shape& dst_start, const model::Shape& count, std::size_t elem);

/// Writes the element `fill` into the sub-box `count` at dst_start of a C-order array of
/// shape dst_shape.
void fill_box(const std::byte* fill, std::byte* dst, const model::Shape& dst_shape, const model::Shape& dst_start,
              const model::Shape& count, std::size_t elem);

}  // namespace zpmpi::source
