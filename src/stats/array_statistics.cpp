#include "zpmpi/stats/array_statistics.hpp"

#include <cmath>
#include <limits>

#include <boost/json.hpp>

namespace zpmpi::stats {
namespace json = boost::json;
namespace {

/// A double for the job message, whose JSON has no NaN or infinity: those as strings.
json::value number(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  return x;
}

double number_from(const json::value& v) {
  if (v.is_string()) {
    const std::string_view s = v.get_string();
    if (s == "NaN") return std::nan("");
    return s == "Infinity" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  }
  return v.to_number<double>();
}

json::array numbers(const std::vector<double>& xs) {
  json::array a;
  for (double x : xs) a.push_back(number(x));
  return a;
}

json::value optional_number(const std::optional<double>& x) { return x ? number(*x) : json::value(nullptr); }

Result<std::optional<double>> optional_from(const json::value* v) {
  if (!v || v->is_null()) return std::optional<double>{};
  if (!v->is_number() && !v->is_string()) return runtime_error("not a number");
  return std::optional<double>(number_from(*v));
}

/// One figure of every group, nested along the `by` dims (C order of `shape`).
json::value nested(const std::vector<json::value>& flat, const model::Shape& shape, std::size_t dim, std::size_t& at) {
  if (dim == shape.size()) return flat[at++];
  json::array a;
  for (model::Index i = 0; i < shape[dim]; ++i) a.push_back(nested(flat, shape, dim + 1, at));
  return a;
}

}  // namespace

json::value spec_json(const ArrayStatisticsSpec& s) {
  json::array by, window, by_names, by_shape;
  for (std::size_t d : s.selection.by) by.emplace_back(d);
  for (const auto& [b, e] : s.selection.window) window.push_back(json::array{b, e});
  for (const std::string& n : s.by_names) by_names.emplace_back(n);
  for (model::Index n : s.by_shape) by_shape.emplace_back(n);
  return json::object{{"array", s.array},
                      {"dtype", static_cast<int>(s.decoding.dtype)},
                      {"missing", numbers(s.decoding.missing)},
                      {"scale_factor", optional_number(s.decoding.scale_factor)},
                      {"add_offset", optional_number(s.decoding.add_offset)},
                      {"float32", s.decoding.scaled_in_float32},
                      {"by", std::move(by)},
                      {"window", std::move(window)},
                      {"by_names", std::move(by_names)},
                      {"by_shape", std::move(by_shape)},
                      {"window_labels", s.window_labels}};
}

Result<ArrayStatisticsSpec> spec_from_json(const json::value& v) {
  try {
    const json::object& o = v.as_object();
    ArrayStatisticsSpec s;
    s.array = std::string(o.at("array").as_string());
    s.decoding.dtype = static_cast<model::DType>(o.at("dtype").to_number<int>());
    for (const json::value& m : o.at("missing").as_array()) s.decoding.missing.push_back(number_from(m));
    ZPMPI_ASSIGN_OR_RETURN(s.decoding.scale_factor, optional_from(o.if_contains("scale_factor")));
    ZPMPI_ASSIGN_OR_RETURN(s.decoding.add_offset, optional_from(o.if_contains("add_offset")));
    s.decoding.scaled_in_float32 = o.at("float32").as_bool();
    for (const json::value& d : o.at("by").as_array()) s.selection.by.push_back(d.to_number<std::size_t>());
    for (const json::value& w : o.at("window").as_array())
      s.selection.window.emplace_back(w.as_array().at(0).to_number<model::Index>(),
                                      w.as_array().at(1).to_number<model::Index>());
    for (const json::value& n : o.at("by_names").as_array()) s.by_names.emplace_back(n.as_string());
    for (const json::value& n : o.at("by_shape").as_array()) s.by_shape.push_back(n.to_number<model::Index>());
    s.window_labels = o.at("window_labels").as_object();
    return s;
  } catch (const std::exception& e) {
    return runtime_error(std::string("internal: malformed statistics spec: ") + e.what());
  }
}

std::string moments_to_bytes(const std::vector<std::vector<Moments>>& per_spec) {
  std::string bytes;
  for (const auto& groups : per_spec)
    for (const Moments& m : groups) bytes += m.to_bytes();
  return bytes;
}

Status merge_moments_bytes(const std::string& bytes, std::vector<std::vector<Moments>>& per_spec) {
  const std::size_t size = Moments::bytes_size();
  std::size_t at = 0;
  for (auto& groups : per_spec)
    for (Moments& m : groups) {
      Moments received;
      if (at + size > bytes.size() ||
          !received.from_bytes(std::as_bytes(std::span(bytes.data() + at, size))))
        return runtime_error("internal: a rank's statistics have " + std::to_string(bytes.size()) + " bytes");
      m.merge(received);
      at += size;
    }
  if (at != bytes.size()) return runtime_error("internal: a rank's statistics have " + std::to_string(bytes.size()) + " bytes");
  return {};
}

json::object statistics_json(const ArrayStatisticsSpec& spec, const std::vector<Moments>& groups) {
  std::vector<Statistics> s;
  for (const Moments& m : groups) s.push_back(m.finish());
  const auto figure = [&](auto field) {
    std::vector<json::value> flat;
    for (const Statistics& g : s) flat.emplace_back(field(g));
    std::size_t at = 0;
    return nested(flat, spec.by_shape, 0, at);
  };
  json::object o;
  o["count"] = figure([](const Statistics& g) { return g.count; });
  o["nan_count"] = figure([](const Statistics& g) { return g.nan_count; });
  o["mean"] = figure([](const Statistics& g) { return g.mean; });
  o["stdev"] = figure([](const Statistics& g) { return g.stdev; });
  o["minimum"] = figure([](const Statistics& g) { return g.minimum; });
  o["maximum"] = figure([](const Statistics& g) { return g.maximum; });
  o["sum_squares"] = figure([](const Statistics& g) { return g.sum_squares; });
  if (!spec.by_names.empty()) {
    json::array by;
    for (const std::string& n : spec.by_names) by.emplace_back(n);
    o["by"] = std::move(by);
  }
  if (!spec.window_labels.empty()) o["window"] = spec.window_labels;
  return o;
}

}  // namespace zpmpi::stats
