// Reading the JSON documents of a store, as Python's json.loads reads them (metadata.hpp).
#include <cmath>
#include <limits>

#include <boost/json/parse.hpp>

#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {
namespace json = boost::json;
namespace {

// Boost.JSON 1.81 refuses the bare tokens NaN, Infinity and -Infinity, which Python's json
// (and so zarr-python and xarray) writes for non-finite floats: they are read as strings
// that hold a NUL byte (which no attribute of a real store starts with) and turned back into
// doubles once parsed.
constexpr std::string_view kMark = "\\u0000zpmpi:";

std::string quote_non_finite(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    for (std::string_view token : {"NaN", "Infinity", "-Infinity"}) {
      if (text.substr(i, token.size()) != token) continue;
      out += '"';
      out += kMark;
      out += token;
      out += '"';
      i += token.size();
      break;
    }
    if (i < text.size()) out += text[i];
  }
  return out;
}

void restore_non_finite(json::value& v) {
  if (v.is_string()) {
    const std::string_view s = v.get_string();
    if (s.size() < 7 || s[0] != '\0' || s.substr(1, 6) != "zpmpi:") return;
    const std::string_view token = s.substr(7);
    const double inf = std::numeric_limits<double>::infinity();
    if (token == "NaN") v = std::numeric_limits<double>::quiet_NaN();
    else if (token == "Infinity") v = inf;
    else if (token == "-Infinity") v = -inf;
  } else if (v.is_array()) {
    for (json::value& x : v.get_array()) restore_non_finite(x);
  } else if (v.is_object()) {
    for (auto& kv : v.get_object()) restore_non_finite(kv.value());
  }
}

}  // namespace

Result<json::value> parse_store_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(quote_non_finite(text), ec);
  if (ec) return usage_error("not JSON (" + ec.message() + ")");
  restore_non_finite(v);
  return v;
}

}  // namespace zpmpi::zarr
