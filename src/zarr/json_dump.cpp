// JSON text as Python's json.dumps(value, indent=4, sort_keys=True) writes it, which is
// what zarr-python writes: readers do not care, but people diff these files.
#include <algorithm>
#include <charconv>
#include <cmath>

#include <boost/json.hpp>

#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {
namespace {

namespace json = boost::json;

void dump_double(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "NaN";
  } else if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);  // shortest round trip
    std::string s(buf, end);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";  // Python prints 1.0, not 1
    out += s;
  }
}

void dump(const json::value& v, int depth, std::string& out) {
  const std::string pad(static_cast<std::size_t>(depth + 1) * 4, ' ');
  const std::string close_pad(static_cast<std::size_t>(depth) * 4, ' ');
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: out += std::to_string(v.get_int64()); break;
    case json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case json::kind::double_: dump_double(v.get_double(), out); break;
    case json::kind::string: out += json::serialize(v); break;
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        break;
      }
      out += "[\n";
      for (std::size_t i = 0; i < a.size(); ++i) {
        out += pad;
        dump(a[i], depth + 1, out);
        out += i + 1 < a.size() ? ",\n" : "\n";
      }
      out += close_pad + "]";
      break;
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        break;
      }
      std::vector<const json::key_value_pair*> items;
      for (const auto& kv : o) items.push_back(&kv);
      std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
      out += "{\n";
      for (std::size_t i = 0; i < items.size(); ++i) {
        out += pad + json::serialize(json::value(items[i]->key())) + ": ";
        dump(items[i]->value(), depth + 1, out);
        out += i + 1 < items.size() ? ",\n" : "\n";
      }
      out += close_pad + "}";
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
