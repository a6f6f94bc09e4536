// "base64:" values of kerchunk references (Python's base64.b64encode: standard alphabet,
// '=' padding; kerchunk writes no line breaks).
#include <array>

#include "zpmpi/source/kerchunk_refs.hpp"

namespace zpmpi::source::kerchunk {

Result<std::string> decode_base64(std::string_view text) {
  static const std::array<std::int8_t, 256> kValue = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
  }();
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '=' && text.size() - end < 2) --end;
  if (text.size() % 4 != 0)
    return usage_error("bad base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
  std::string out;
  out.reserve(end / 4 * 3 + 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < end; ++i) {
    const std::int8_t v = kValue[static_cast<unsigned char>(text[i])];
    if (v < 0)
      return usage_error("bad base64: character " + std::to_string(i) + " ('" + std::string(1, text[i]) +
                         "') is not in the alphabet");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace zpmpi::source::kerchunk
