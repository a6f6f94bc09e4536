// Reading the JSON documents of a store, as Python's json.loads reads them (metadata.hpp).
#include <charconv>
#include <cmath>
#include <string>
#include <vector>
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

// Boost.JSON 1.81 parses doubles "imprecisely": a number of 17 significant digits may come
// back one ulp off, so a document read and written again would change figures it never
// touched (a statistics attribute, a valid_min). Every double is parsed again from its own
// text with from_chars (correctly rounded), the number tokens taken in document order, which
// is the order a parsed object keeps its keys in.
std::vector<std::string_view> number_tokens(std::string_view text) {
  std::vector<std::string_view> tokens;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t end = text.find_first_not_of("0123456789+-.eE", i);
      tokens.push_back(text.substr(i, end == std::string_view::npos ? end : end - i));
      i = (end == std::string_view::npos ? text.size() : end) - 1;
    }
  }
  return tokens;
}

/// Numbers of `v` in document order; false when they do not match the tokens one for one.
bool restore_precise_doubles(json::value& v, const std::vector<std::string_view>& tokens, std::size_t& at) {
  if (v.is_array()) {
    for (json::value& x : v.get_array())
      if (!restore_precise_doubles(x, tokens, at)) return false;
    return true;
  }
  if (v.is_object()) {
    for (auto& kv : v.get_object())
      if (!restore_precise_doubles(kv.value(), tokens, at)) return false;
    return true;
  }
  if (!v.is_number()) return true;
  if (at >= tokens.size()) return false;
  const std::string_view token = tokens[at++];
  if (!v.is_double()) return true;
  double x = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), x);
  if (ec != std::errc() || end != token.data() + token.size()) return false;
  v = x;
  return true;
}

}  // namespace

Result<json::value> parse_store_json(std::string_view text) {
  boost::system::error_code ec;
  const std::string quoted = quote_non_finite(text);
  json::value v = json::parse(quoted, ec);
  if (ec) return usage_error("not JSON (" + ec.message() + ")");
  const std::vector<std::string_view> tokens = number_tokens(quoted);
  json::value precise = v;
  std::size_t at = 0;
  if (restore_precise_doubles(precise, tokens, at) && at == tokens.size()) v = std::move(precise);
  restore_non_finite(v);
  return v;
}

}  // namespace zpmpi::zarr
