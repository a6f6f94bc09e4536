// Applies an array's value stage (model/value_stage.hpp) to the elements of one chunk:
// decode as xarray's open_dataset, then clip / fillna / round, then the cast to the
// output dtype, as NumPy computes each step (element-wise: any chunk split gives the same
// bytes).
#pragma once

#include <cstddef>

#include "zpmpi/model/value_stage.hpp"

namespace zpmpi::exec {

/// Converts `n` elements of stage.source_dtype at `src` into `n` elements of `out` at `dst`
/// (the buffers must not overlap).
void apply_values(const model::ValueStage& stage, model::DType out, const std::byte* src, std::byte* dst,
                  std::size_t n);

/// The source value that decodes to NaN (the first mask value, NaN for a float source
/// without one, else 0): what tile padding holds before the stage. The stage may turn it
/// into a data value (no value of a packed short decodes to NaN), so the executor fills
/// the padding again after it, with the output's fill value (IndexMap::pad_runs).
model::Scalar pad_value(const model::ValueStage& stage);

}  // namespace zpmpi::exec
