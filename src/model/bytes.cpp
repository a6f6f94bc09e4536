#include "zpmpi/model/bytes.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace zpmpi::model {
namespace {

struct Unit {
  std::string_view name;  // lower case
  double factor;
};

constexpr std::array<Unit, 12> kUnits{{
    {"", 1}, {"b", 1}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"pb", 1e15},
    {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0}, {"tib", 1099511627776.0},
    {"pib", 1125899906842624.0},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::uint64_t> parse_bytes(std::string_view text) {
  text = trim(text);
  std::size_t n = 0;
  while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.' ||
                             text[n] == 'e' || text[n] == 'E' || text[n] == '+'))
    ++n;
  // "1e" followed by a unit letter is not an exponent ("1eb" is not a size either way).
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + n, number);
  if (ec != std::errc() || n == 0) return std::nullopt;
  std::string unit(trim(text.substr(static_cast<std::size_t>(end - text.data()))));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const Unit& u : kUnits) {
    if (u.name != unit) continue;
    const double bytes = std::floor(number * u.factor);
    if (!std::isfinite(bytes) || bytes < 0 || bytes >= 18446744073709551616.0) return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
  }
  return std::nullopt;
}

namespace {

/// `bytes` in the largest decimal unit that keeps it >= 1: (value, unit name).
std::pair<double, std::string_view> in_unit(std::uint64_t bytes) {
  constexpr std::array<std::string_view, 6> kNames{"B", "kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes);
  std::size_t i = 0;
  while (value >= 1000 && i + 1 < kNames.size()) {
    value /= 1000;
    ++i;
  }
  return {value, kNames[i]};
}

/// `tenths / 10` with its unit, without ".0" for a whole number.
std::string tenths_text(double tenths, std::string_view unit) {
  char buf[32];
  if (std::fmod(tenths, 10) == 0)
    std::snprintf(buf, sizeof buf, "%.0f%s", tenths / 10, unit.data());
  else
    std::snprintf(buf, sizeof buf, "%.1f%s", tenths / 10, unit.data());
  return buf;
}

}  // namespace

std::string format_bytes(std::uint64_t bytes) {
  const auto [value, unit] = in_unit(bytes);
  if (bytes < 1000) return std::to_string(bytes) + "B";
  return tenths_text(std::round(value * 10), unit);
}

std::string format_bytes_up(std::uint64_t bytes) {
  const auto [value, unit] = in_unit(bytes);
  if (bytes < 1000) return std::to_string(bytes) + "B";
  // Tenths rounded up; one more tenth if the division rounded just below the true size.
  const double tenths = std::ceil(value * 10 - 1e-9);
  std::string text = tenths_text(tenths, unit);
  if (auto back = parse_bytes(text); !back || *back < bytes) text = tenths_text(tenths + 1, unit);
  return text;
}

}  // namespace zpmpi::model
