// CF time coordinates: "hours since 1900-01-01 00:00:00.0" with a calendar, so that `sel`
// can turn a label such as "2000-01-07 23:00:00" into the coordinate's own numbers without
// Python, and a multi-file source can re-express one file's times in another's units
// (time_recoding.hpp). Units: seconds, minutes, hours, days (and their singular / abbreviated forms
// accepted by CF and cftime: second(s)/sec(s)/s, minute(s)/min(s), hour(s)/hr(s)/h,
// day(s)/d). Calendars: standard, gregorian (mixed Julian/Gregorian, as cftime: dates
// before 1582-10-15 are Julian), proleptic_gregorian, noleap / 365_day, all_leap / 366_day,
// 360_day, julian. A missing calendar attribute means "standard".
//
// Example: units "hours since 1900-01-01 00:00:00.0", calendar "gregorian":
//   parse_cf_units(...)->value_of("2000-01-01") == 876576.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "zpmpi/model/result.hpp"

namespace zpmpi::model {

enum class Calendar { kStandard, kProlepticGregorian, kNoLeap, kAllLeap, k360Day, kJulian };

/// The largest year a date may have: its seconds since year 1 (< 3.2e14) stay whole
/// numbers in a double (exact to 2^53 = 9.0e15), and day counts cannot overflow.
inline constexpr std::int64_t kMaxYear = 9'999'999;

/// A date-time label: "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DD HH:MM:SS(.fff)", with
/// "T" accepted in place of the space, and an optional trailing "Z"; years of 1 to 7
/// digits (0 to kMaxYear, e.g. "1-01-01"). Errors (kUsage) quote the text: a missing or
/// empty field, or anything after the date ("cannot read ... as a date"); a field out of
/// range, including one too long for 64 bits (month 1..12, day 1..31, hour 0..23, minute
/// 0..59, second [0, 60), year 0..kMaxYear: "... is not a valid date-time (month 13 is
/// not in 1..12)"). Whether the day exists in a calendar is seconds_since_epoch's check.
struct DateTime {
  std::int64_t year = 1970;
  int month = 1, day = 1, hour = 0, minute = 0;
  double second = 0;
};
Result<DateTime> parse_datetime(std::string_view text);

/// Errors (kUsage) for an unknown calendar name, quoting it.
Result<Calendar> parse_calendar(std::string_view name);

/// "<unit> since <datetime>" on a calendar.
class CfTimeUnits {
 public:
  /// Errors (kUsage): not "<unit> since <date>", unknown unit, malformed reference date,
  /// or a date that does not exist in the calendar (e.g. 2001-02-29 in standard, 2000-02-30
  /// outside 360_day).
  static Result<CfTimeUnits> parse(std::string_view units, std::string_view calendar);

  /// The coordinate value (in these units since the reference) of a date-time label.
  /// Errors (kUsage) as parse_datetime, and for dates that do not exist in the calendar.
  Result<double> value_of(std::string_view label) const;
  Result<double> value_of(const DateTime& t) const;

  Calendar calendar() const { return calendar_; }
  double seconds_per_unit() const { return seconds_per_unit_; }
  /// The reference date in seconds since 0001-01-01 of the calendar (seconds_since_epoch).
  double reference_seconds() const { return reference_seconds_; }

 private:
  Calendar calendar_ = Calendar::kStandard;
  double seconds_per_unit_ = 1;
  double reference_seconds_ = 0;  ///< reference date in seconds since the calendar's epoch
};

/// Seconds of `t` since 0001-01-01 00:00:00 of `calendar` (may be negative for earlier
/// years); an error (kUsage) for a date the calendar does not have.
Result<double> seconds_since_epoch(const DateTime& t, Calendar calendar);

}  // namespace zpmpi::model
