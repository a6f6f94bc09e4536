#include "netcdf/utf8.hpp"

#include <algorithm>

namespace zpmpi::source {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";

/// Well-formed UTF-8 (Unicode Table 3-7): for a lead byte, the number of continuation
/// bytes and the range of the first of them (the others are always 80..BF); 0 = invalid lead.
struct Lead {
  int continuation = 0;
  unsigned char lo = 0x80, hi = 0xBF;
};

Lead lead(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {1};
  if (b == 0xE0) return {2, 0xA0, 0xBF};
  if (b == 0xED) return {2, 0x80, 0x9F};  // no surrogates
  if (b >= 0xE1 && b <= 0xEF) return {2};
  if (b == 0xF0) return {3, 0x90, 0xBF};  // no overlongs
  if (b >= 0xF1 && b <= 0xF3) return {3};
  if (b == 0xF4) return {3, 0x80, 0x8F};  // nothing above U+10FFFF
  return {0};                              // 80..C1, F5..FF
}

}  // namespace

std::string utf8_replace_invalid(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    const Lead l = lead(b);
    std::size_t j = i + 1;
    int taken = 0;
    while (taken < l.continuation && j < bytes.size()) {
      const auto c = static_cast<unsigned char>(bytes[j]);
      const unsigned char lo = taken == 0 ? l.lo : 0x80, hi = taken == 0 ? l.hi : 0xBF;
      if (c < lo || c > hi) break;
      ++j;
      ++taken;
    }
    if (l.continuation > 0 && taken == l.continuation) {
      out.append(bytes.substr(i, j - i));
    } else {
      out += kReplacement;  // one for the maximal subpart [i, j)
    }
    i = j;
  }
  return out;
}

std::string decode_char_attribute(std::string_view bytes) {
  std::string text = utf8_replace_invalid(bytes);
  text.erase(std::remove(text.begin(), text.end(), '\0'), text.end());
  return text;
}

}  // namespace zpmpi::source
