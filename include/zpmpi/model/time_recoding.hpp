// CF time values written in one file's units re-expressed in another's, as xarray's
// open_mfdataset does without saying so: each file is decoded with its own units, and the
// concatenation is encoded again with the first file's (combine keeps the first dataset's
// encoding). Monthly files written separately by to_netcdf each get their own units.
//
// Example, calendar standard: from "hours since 2000-02-01" to "hours since 2000-01-01",
// 0 -> 744 and 6 -> 750 (January's 31 days first); from "days since 2000-02-01",
// 1 -> 768.
//
// Integers convert exactly or not at all: v * from_unit + (from_reference - to_reference)
// must be a whole number of the target unit that the dtype holds (90 "minutes since
// 2000-02-01" is 745.5 "hours since 2000-01-01": refused). Floats convert as xarray's own
// round trip does (Debian's xarray, coding/times.py): the value times the unit's
// nanoseconds, computed in the value's float type and truncated to int64, plus the
// reference offset in nanoseconds, divided by the target unit's nanoseconds in float64;
// beyond int64 nanoseconds (about 292 years) the same in long double without truncation.
// NaN stays NaN. Elements equal to the variable's _FillValue or missing_value stay
// unchanged (xarray masks them before decoding and writes the fill back).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::model {

class TimeRecoding {
 public:
  /// From `from` to `to` units ("<unit> since <date>"), both on `calendar` (the attribute's
  /// text; "" = standard). Errors (kUsage): either units as CfTimeUnits::parse, and
  /// reference dates that differ by a fraction of a second.
  static Result<TimeRecoding> between(std::string_view from, std::string_view to, std::string_view calendar);

  /// Rewrites `values` (whole elements of `v.dtype`, native byte order, read from a file
  /// whose `v` has the `from` units) in place. Errors (kUsage), at the first element that
  /// does not convert, quote it: an integer that is no whole number in the target units,
  /// or does not fit in the dtype, or a result equal to the fill value. On error `values`
  /// may be partly rewritten.
  Status apply(const Variable& v, std::span<std::byte> values) const;

  const std::string& from() const { return from_; }
  const std::string& to() const { return to_; }

 private:
  std::string from_, to_;
  std::int64_t from_unit_ = 1, to_unit_ = 1;  ///< seconds per unit
  std::int64_t offset_ = 0;                   ///< from's reference minus to's, in seconds
};

}  // namespace zpmpi::model
