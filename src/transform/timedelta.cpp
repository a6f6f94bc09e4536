// pandas Timedelta strings (see timedelta.hpp).
#include "zpmpi/transform/timedelta.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace zpmpi::transform {
namespace {

double unit_seconds(const std::string& u) {
  static const std::pair<const char*, double> kUnits[] = {
      {"W", 604800},   {"w", 604800},      {"D", 86400},        {"d", 86400},        {"day", 86400},
      {"days", 86400}, {"h", 3600},        {"H", 3600},         {"hr", 3600},        {"hour", 3600},
      {"hours", 3600}, {"m", 60},          {"T", 60},           {"min", 60},         {"minute", 60},
      {"minutes", 60}, {"s", 1},           {"S", 1},            {"sec", 1},          {"second", 1},
      {"seconds", 1},  {"ms", 1e-3},       {"L", 1e-3},         {"milli", 1e-3},     {"millis", 1e-3},
      {"millisecond", 1e-3}, {"milliseconds", 1e-3}, {"us", 1e-6}, {"U", 1e-6},     {"micro", 1e-6},
      {"micros", 1e-6}, {"microsecond", 1e-6}, {"microseconds", 1e-6}, {"ns", 1e-9}, {"N", 1e-9},
      {"nano", 1e-9},  {"nanos", 1e-9},    {"nanosecond", 1e-9}, {"nanoseconds", 1e-9}};
  for (const auto& [name, seconds] : kUnits)
    if (u == name) return seconds;
  return 0;
}

/// "HH:MM:SS(.f)" from `text` (the rest of the string).
Result<double> clock_seconds(const std::string& text, const std::string& whole) {
  int h = 0, m = 0, consumed = 0;
  double s = 0;
  if (std::sscanf(text.c_str(), "%2d:%2d:%lf%n", &h, &m, &s, &consumed) != 3 ||
      static_cast<std::size_t>(consumed) != text.size() || m > 59 || s >= 60)
    return usage_error("cannot read \"" + whole + "\" as a duration: expected hh:mm:ss after the days");
  return h * 3600.0 + m * 60.0 + s;
}

}  // namespace

Result<double> parse_timedelta_seconds(std::string_view view) {
  const std::string text(view);
  const std::string example = " (write e.g. \"2h\", \"30min\", \"1 days 02:00:00\")";
  double total = 0;
  bool any = false;
  std::size_t i = 0;
  auto skip = [&] { while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i; };
  for (skip(); i < text.size(); skip()) {
    if (text[i] == '-') return usage_error("the duration \"" + text + "\" is negative");
    if (text.find(':', i) != std::string::npos && text.find_first_not_of("0123456789:.", i) == std::string::npos) {
      ZPMPI_ASSIGN_OR_RETURN(double clock, clock_seconds(text.substr(i), text));
      return total + clock;
    }
    // Digits with at most one point: no sign, exponent or hexadecimal, as pandas.
    std::size_t after = i;
    while (after < text.size() && (std::isdigit(static_cast<unsigned char>(text[after])) ||
                                   (text[after] == '.' && text.find('.', i) == after)))
      ++after;
    if (after == i || text.substr(i, after - i) == ".")
      return usage_error("cannot read \"" + text + "\" as a duration" + example);
    const double n = std::strtod(text.substr(i, after - i).c_str(), nullptr);
    std::size_t u = after;
    while (u < text.size() && text[u] == ' ') ++u;
    std::size_t e = u;
    while (e < text.size() && std::isalpha(static_cast<unsigned char>(text[e]))) ++e;
    const std::string unit = text.substr(u, e - u);
    if (unit == "M" || unit == "Y" || unit == "y")
      return usage_error("the duration \"" + text + "\" uses '" + unit + "', which has no fixed length" + example);
    const double seconds = unit_seconds(unit);
    if (seconds == 0) return usage_error("cannot read \"" + text + "\" as a duration: unknown unit '" + unit + "'" + example);
    total += n * seconds;
    any = true;
    i = e;
  }
  if (!any) return usage_error("cannot read \"" + text + "\" as a duration" + example);
  return total;
}

}  // namespace zpmpi::transform
