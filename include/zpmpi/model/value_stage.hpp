// What happens to the values of an array between the source and the store, element by
// element, when a preprocessor changes values (astype, clip, fillna, round): exactly what
// xarray computes on the decoded variable.
//
// The values are first decoded as xarray's open_dataset decodes them (xarray 2023.01,
// Debian 12's, the oracle): the fill values (_FillValue, missing_value; NaN ones ignored)
// become NaN in `decoded` = float32 for integers of 1 or 2 bytes and float32 sources, else
// float64; then, for a packed variable, value * scale_factor + add_offset in the float type
// xarray picks (float32, except an unmasked integer of 1 or 2 bytes with an add_offset:
// float64). Then each op in order, in `decoded` arithmetic, and last the cast to the
// layout's dtype (NumPy's astype: round to nearest for floats, truncation toward zero for
// integers, NaN as NumPy's x86 cast leaves it).
//
// Example: t2m short, scale_factor 0.01f, add_offset 273.15f, _FillValue -32767, then
// astype("float16"): -32767 -> NaN; 1234 -> float32(1234) * 0.01f + 273.15f = 285.49f ->
// float16 285.5.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "zpmpi/model/dtype.hpp"

namespace zpmpi::model {

/// Bounds that keep a stage small enough to set up per chunk row without allocating.
inline constexpr std::size_t kMaxValueOps = 16;
inline constexpr std::size_t kMaxMaskValues = 8;

/// One element-wise op on decoded values.
struct ValueOp {
  std::string op;               ///< "clip" (a = min, b = max), "fillna" (a), "round" (a = decimals)
  std::optional<Scalar> a, b;   ///< nullopt: not given (clip without a bound)
  bool operator==(const ValueOp&) const = default;
};

struct ValueStage {
  DType source_dtype = DType::f4;   ///< what the source read yields
  std::vector<Scalar> mask;         ///< source values that decode to NaN (no NaN among them)
  std::optional<Scalar> scale_factor, add_offset;
  DType masked_dtype = DType::f4;   ///< the type after masking (the source type without a mask)
  DType decoded_dtype = DType::f4;  ///< the type of the decoded values, in which ops compute
  std::vector<ValueOp> ops;
  bool operator==(const ValueStage&) const = default;
};

}  // namespace zpmpi::model
