// Whether a chunk holds nothing but its array's fill value, so that a sharded array need
// not store it: an absent inner chunk (shard_index.hpp) reads back as fill_value.
//
// An element is fill when its bytes equal the fill's as the dtype stores it, or when both
// are NaN (any NaN: a reader gives back the fill's NaN, which xarray masks the same). So
// -0.0 is not fill 0.0 (its sign would be lost), and with fill 0.1 on float32 an element is
// fill when it is the float32 nearest 0.1. Without a fill (ArrayLayout::fill_value unset)
// chunks pad with zeros and zero bytes are the fill.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "zpmpi/model/dtype.hpp"

namespace zpmpi::zarr {

/// True when every element of `chunk` (native order, dtype `t`) is fill; true when empty.
bool is_fill_chunk(std::span<const std::byte> chunk, model::DType t, const std::optional<model::Scalar>& fill);

}  // namespace zpmpi::zarr
