// JSON text byte-for-byte as zarr-python 2 writes it:
//   json.dumps(o, indent=4, sort_keys=True, ensure_ascii=True, separators=(",", ": "))
// Readers do not care about layout, but people diff these files against ones written by
// Python, so numbers and strings follow Python's own spelling:
//   floats  repr(): shortest round-trip digits; positional notation while the decimal
//           exponent e (d.ddd x 10^e) is in -5 < e < 16, with ".0" added to integral
//           values (1.0, 100.0, 1000000000000000.0); otherwise d.ddde+XX with at least two
//           exponent digits (1e-05, 1e+16, 1.2345678901234568e+17). NaN/Infinity/-Infinity
//           are bare tokens (allow_nan=True).
//   strings ensure_ascii: every character outside ' '..'~' is escaped as \uXXXX (lowercase
//           hex, a surrogate pair above U+FFFF) except \" \\ \n \r \t \b \f.
//   layout  empty containers as [] and {}; otherwise one item per line, 4 spaces a level;
//           object keys sorted by code point (= byte order of their UTF-8).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {
namespace {

namespace json = boost::json;

void dump_double(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
    return;
  }
  // Scientific to_chars without precision gives the shortest round-trip digits, e.g.
  // "-1.2345e+17"; Python's repr picks its own layout from the same digits.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  const std::size_t e_pos = sci.find('e');
  std::string_view mantissa = sci.substr(0, e_pos);
  const int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  if (!mantissa.empty() && mantissa.front() == '-') {
    out += '-';
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits += c;

  if (exponent < -4 || exponent >= 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += exponent < 0 ? "e-" : "e+";
    const int mag = std::abs(exponent);
    if (mag < 10) out += '0';
    out += std::to_string(mag);
    return;
  }
  const int point = exponent + 1;  // digits before the decimal point
  const auto n = static_cast<int>(digits.size());
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += digits;
  } else if (point < n) {
    out.append(digits, 0, static_cast<std::size_t>(point));
    out += '.';
    out.append(digits, static_cast<std::size_t>(point));
  } else {
    out += digits;
    out.append(static_cast<std::size_t>(point - n), '0');
    out += ".0";
  }
}

void append_u_escape(std::uint32_t unit, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(unit >> shift) & 0xf];
}

/// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if it is malformed.
std::size_t decode_utf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t min = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2, cp = b0 & 0x1f, min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3, cp = b0 & 0x0f, min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

void dump_string(std::string_view s, std::string& out) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      case '\b': out += "\\b"; ++i; continue;
      case '\f': out += "\\f"; ++i; continue;
      default: break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
      ++i;
      continue;
    }
    std::uint32_t cp = byte;
    std::size_t len = byte < 0x80 ? 1 : decode_utf8(s, i, cp);
    // Text that is not UTF-8 (netCDF-3 attributes may be Latin-1): each stray byte is
    // read as the Latin-1 character it would be, so the document stays valid JSON.
    if (len == 0) cp = byte, len = 1;
    if (cp > 0xffff) {
      cp -= 0x10000;
      append_u_escape(0xd800 + (cp >> 10), out);
      append_u_escape(0xdc00 + (cp & 0x3ff), out);
    } else {
      append_u_escape(cp, out);
    }
    i += len;
  }
  out += '"';
}

void dump(const json::value& v, std::size_t depth, std::string& out) {
  const auto newline = [&out](std::size_t level) {
    out += '\n';
    out.append(level * 4, ' ');
  };
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: out += std::to_string(v.get_int64()); break;
    case json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case json::kind::double_: dump_double(v.get_double(), out); break;
    case json::kind::string: dump_string(v.get_string(), out); break;
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        break;
      }
      out += '[';
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) out += ',';
        newline(depth + 1);
        dump(a[i], depth + 1, out);
      }
      newline(depth);
      out += ']';
      break;
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        break;
      }
      std::vector<const json::key_value_pair*> items;
      items.reserve(o.size());
      for (const auto& kv : o) items.push_back(&kv);
      // char_traits<char> compares as unsigned char: UTF-8 byte order = code point order.
      std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
      out += '{';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        newline(depth + 1);
        dump_string(items[i]->key(), out);
        out += ": ";
        dump(items[i]->value(), depth + 1, out);
      }
      newline(depth);
      out += '}';
      break;
    }
  }
}

}  // namespace

std::string dump_json(const json::value& value) {
  std::string out;
  dump(value, 0, out);
  return out;
}

}  // namespace zpmpi::zarr
