// CF time units and calendars (see cf_time.hpp). Day counts per calendar: Julian Day
// Numbers for the real-world calendars, plain arithmetic for the model calendars.
#include "zpmpi/model/cf_time.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

namespace zpmpi::model {
namespace {

constexpr std::array<int, 12> kDaysNoLeap{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

bool gregorian_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
bool julian_leap(std::int64_t y) { return y % 4 == 0; }

std::int64_t jdn_gregorian(std::int64_t y, int m, int d) {
  const std::int64_t a = (14 - m) / 12, y2 = y + 4800 - a, m2 = m + 12 * a - 3;
  return d + (153 * m2 + 2) / 5 + 365 * y2 + y2 / 4 - y2 / 100 + y2 / 400 - 32045;
}

std::int64_t jdn_julian(std::int64_t y, int m, int d) {
  const std::int64_t a = (14 - m) / 12, y2 = y + 4800 - a, m2 = m + 12 * a - 3;
  return d + (153 * m2 + 2) / 5 + 365 * y2 + y2 / 4 - 32083;
}

int days_in_month(Calendar c, std::int64_t y, int m) {
  switch (c) {
    case Calendar::k360Day: return 30;
    case Calendar::kNoLeap: return kDaysNoLeap[m - 1];
    case Calendar::kAllLeap: return m == 2 ? 29 : kDaysNoLeap[m - 1];
    case Calendar::kJulian: return m == 2 && julian_leap(y) ? 29 : kDaysNoLeap[m - 1];
    case Calendar::kProlepticGregorian: return m == 2 && gregorian_leap(y) ? 29 : kDaysNoLeap[m - 1];
    case Calendar::kStandard:
      return m == 2 && (y > 1582 ? gregorian_leap(y) : julian_leap(y)) ? 29 : kDaysNoLeap[m - 1];
  }
  return 0;
}

/// Days since 0001-01-01 of the calendar.
std::int64_t day_number(Calendar c, std::int64_t y, int m, int d) {
  auto days_before_month = [](int m, bool leap) {
    int n = 0;
    for (int i = 1; i < m; ++i) n += (i == 2 && leap) ? 29 : kDaysNoLeap[i - 1];
    return n;
  };
  switch (c) {
    case Calendar::k360Day: return 360 * (y - 1) + 30 * (m - 1) + (d - 1);
    case Calendar::kNoLeap: return 365 * (y - 1) + days_before_month(m, false) + (d - 1);
    case Calendar::kAllLeap: return 366 * (y - 1) + days_before_month(m, true) + (d - 1);
    case Calendar::kJulian: return jdn_julian(y, m, d) - jdn_julian(1, 1, 1);
    case Calendar::kProlepticGregorian: return jdn_gregorian(y, m, d) - jdn_gregorian(1, 1, 1);
    case Calendar::kStandard: {
      // Julian up to 1582-10-04, Gregorian from 1582-10-15 (the days between never were).
      const bool gregorian = y > 1582 || (y == 1582 && (m > 10 || (m == 10 && d >= 15)));
      return (gregorian ? jdn_gregorian(y, m, d) : jdn_julian(y, m, d)) - jdn_julian(1, 1, 1);
    }
  }
  return 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// Reads an unsigned decimal integer at `pos` into `out` if it is in [lo, hi]; false if
/// there are no digits, or the number overflows or is out of range (`out` is then unset).
bool read_int(std::string_view s, std::size_t& pos, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  const std::size_t start = pos;
  while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data() + start, s.data() + pos, n);
  if (pos == start || ec != std::errc() || end != s.data() + pos || n < lo || n > hi) return false;
  out = n;
  return true;
}

}  // namespace

Result<DateTime> parse_datetime(std::string_view text) {
  const std::string_view s = trim(text);
  auto bad = [&] { return usage_error("cannot read '" + std::string(text) + "' as a date (expected YYYY-MM-DD[ hh[:mm[:ss]]])"); };
  auto invalid = [&](const std::string& why) {
    std::string message = "'";  // appended, not "'" + ...: GCC 12 warns falsely (-Wrestrict)
    message.append(text).append("' is not a valid date-time (").append(why).append(")");
    return usage_error(std::move(message));
  };
  // Digits are read whole, then range-checked: a field that overflows 64 bits, or is out
  // of range (month 13, hour 24, a year above kMaxYear), is refused, never wrapped.
  auto field = [&](const char* name, std::size_t& pos, std::int64_t lo, std::int64_t hi, std::int64_t& out) -> Status {
    const std::size_t start = pos;
    if (read_int(s, pos, lo, hi, out)) return {};
    if (pos == start) return bad();
    return invalid(std::string(name) + " " + std::string(s.substr(start, pos - start)) + " is not in " +
                   std::to_string(lo) + ".." + std::to_string(hi));
  };
  DateTime t;
  std::size_t pos = 0;
  std::int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0;
  ZPMPI_RETURN_IF_ERROR(field("year", pos, 0, kMaxYear, y));
  if (pos >= s.size() || s[pos++] != '-') return bad();
  ZPMPI_RETURN_IF_ERROR(field("month", pos, 1, 12, mo));
  if (pos >= s.size() || s[pos++] != '-') return bad();
  ZPMPI_RETURN_IF_ERROR(field("day", pos, 1, 31, d));
  t.year = y;
  t.month = static_cast<int>(mo);
  t.day = static_cast<int>(d);
  if (pos < s.size() && (s[pos] == ' ' || s[pos] == 'T')) {
    ++pos;
    while (pos < s.size() && s[pos] == ' ') ++pos;
    ZPMPI_RETURN_IF_ERROR(field("hour", pos, 0, 23, h));
    t.hour = static_cast<int>(h);
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      ZPMPI_RETURN_IF_ERROR(field("minute", pos, 0, 59, mi));
      t.minute = static_cast<int>(mi);
      if (pos < s.size() && s[pos] == ':') {
        ++pos;
        const std::size_t start = pos;
        while (pos < s.size() && (std::isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == '.')) ++pos;
        const auto [end, ec] = std::from_chars(s.data() + start, s.data() + pos, t.second, std::chars_format::fixed);
        // The whole run of digits and dots must be one number ("1.2.3" is not).
        if (pos == start || ec != std::errc() || end != s.data() + pos) return bad();
        if (!(t.second >= 0 && t.second < 60))
          return invalid("second " + std::string(s.substr(start, pos - start)) + " is not in [0, 60)");
      }
    }
  }
  std::string_view rest = trim(s.substr(pos));
  if (rest == "Z" || lower(rest) == "utc" || rest == "+00:00" || rest == "+0000") rest = {};
  if (!rest.empty()) return bad();
  return t;
}

Result<Calendar> parse_calendar(std::string_view name) {
  const std::string n = lower(trim(name));
  if (n.empty() || n == "standard" || n == "gregorian") return Calendar::kStandard;
  if (n == "proleptic_gregorian") return Calendar::kProlepticGregorian;
  if (n == "noleap" || n == "365_day") return Calendar::kNoLeap;
  if (n == "all_leap" || n == "366_day") return Calendar::kAllLeap;
  if (n == "360_day") return Calendar::k360Day;
  if (n == "julian") return Calendar::kJulian;
  return usage_error("unknown calendar '" + std::string(name) +
                     "' (known: standard, gregorian, proleptic_gregorian, noleap, 365_day, all_leap, 366_day, "
                     "360_day, julian)");
}

Result<double> seconds_since_epoch(const DateTime& t, Calendar calendar) {
  if (t.day > days_in_month(calendar, t.year, t.month) ||
      (calendar == Calendar::kStandard && t.year == 1582 && t.month == 10 && t.day > 4 && t.day < 15))
    return usage_error(std::to_string(t.year) + "-" + std::to_string(t.month) + "-" + std::to_string(t.day) +
                       " does not exist in this calendar");
  const std::int64_t days = day_number(calendar, t.year, t.month, t.day);
  return static_cast<double>(days) * 86400.0 + t.hour * 3600.0 + t.minute * 60.0 + t.second;
}

Result<CfTimeUnits> CfTimeUnits::parse(std::string_view units, std::string_view calendar) {
  const std::string text(trim(units));
  const std::string low = lower(text);
  const auto since = low.find(" since ");
  if (since == std::string::npos)
    return usage_error("units '" + text + "' are not of the form '<unit> since <date>'");
  const std::string unit = std::string(trim(std::string_view(low).substr(0, since)));
  CfTimeUnits u;
  if (unit == "second" || unit == "seconds" || unit == "sec" || unit == "secs" || unit == "s") u.seconds_per_unit_ = 1;
  else if (unit == "minute" || unit == "minutes" || unit == "min" || unit == "mins") u.seconds_per_unit_ = 60;
  else if (unit == "hour" || unit == "hours" || unit == "hr" || unit == "hrs" || unit == "h") u.seconds_per_unit_ = 3600;
  else if (unit == "day" || unit == "days" || unit == "d") u.seconds_per_unit_ = 86400;
  else return usage_error("unknown time unit '" + unit + "' in '" + text + "' (seconds, minutes, hours, days)");
  ZPMPI_ASSIGN_OR_RETURN(u.calendar_, parse_calendar(calendar));
  ZPMPI_ASSIGN_OR_RETURN(DateTime ref, parse_datetime(std::string_view(text).substr(since + 7)));
  ZPMPI_ASSIGN_OR_RETURN(u.reference_seconds_, seconds_since_epoch(ref, u.calendar_));
  return u;
}

Result<double> CfTimeUnits::value_of(std::string_view label) const {
  ZPMPI_ASSIGN_OR_RETURN(DateTime t, parse_datetime(label));
  return value_of(t);
}

Result<double> CfTimeUnits::value_of(const DateTime& t) const {
  ZPMPI_ASSIGN_OR_RETURN(double s, seconds_since_epoch(t, calendar_));
  return (s - reference_seconds_) / seconds_per_unit_;
}

}  // namespace zpmpi::model
