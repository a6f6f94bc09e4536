// Equality of values read from files, as xarray sees it: NaN is the same value as NaN.
//
// IEEE NaN compares unequal to everything, itself included, so `a == b` on two _FillValue
// attributes that xarray's to_netcdf wrote as NaN says they differ. Every comparison of
// floats that came from a file (multi-file agreement, verify) goes through these instead.
// NaN equals NaN whatever its bits: 0x7fc00000 (NumPy's float32 NaN), 0xffc00000 (its
// sign flipped) and a NaN with a payload are one value.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/dtype.hpp"

namespace zpmpi::model {

/// a == b, or both NaN. (0.0 and -0.0 are the same value, as == says.)
bool same_value(double a, double b);
/// Same kind (signed, unsigned, float) and same_value.
bool same_value(const Scalar& a, const Scalar& b);
/// Both absent, or both present and same_value.
bool same_value(const std::optional<Scalar>& a, const std::optional<Scalar>& b);
/// Same numeric dtype (or both text), same length, and element by element same_value
/// (text and lists of strings: equal strings).
bool same_value(const AttrValue& a, const AttrValue& b);

/// The first element at which arrays `a` and `b` of dtype `t` differ, or nullopt when none
/// does: elements are the same when their bytes are, or when both are NaN. Bytes are
/// compared exactly otherwise (data, not numbers: -0.0 differs from 0.0). Both spans hold
/// the same whole number of elements (the caller checks sizes).
std::optional<std::size_t> first_difference(DType t, std::span<const std::byte> a, std::span<const std::byte> b);

}  // namespace zpmpi::model
