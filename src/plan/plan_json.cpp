// The plan as JSON (rank 0 broadcasts it). 64-bit numbers stay exact; fill values keep
// their kind ({"i": -32767}, {"u": 7}, {"f": 1.5} or {"f": "NaN"}).
#include <cmath>

#include <boost/json.hpp>

#include "zpmpi/plan/region_plan.hpp"

namespace zpmpi::plan {
namespace json = boost::json;
namespace {

json::array shape_json(const Shape& s) {
  json::array a;
  for (Index n : s) a.push_back(n);
  return a;
}

Shape shape_from(const json::value& v) {
  Shape s;
  for (const auto& n : v.as_array()) s.push_back(n.to_number<Index>());
  return s;
}

json::value scalar_json(const std::optional<model::Scalar>& fill) {
  if (!fill) return nullptr;
  if (const auto* i = std::get_if<std::int64_t>(&*fill)) return json::object{{"i", *i}};
  if (const auto* u = std::get_if<std::uint64_t>(&*fill)) return json::object{{"u", *u}};
  const double d = std::get<double>(*fill);
  if (std::isnan(d)) return json::object{{"f", "NaN"}};
  if (std::isinf(d)) return json::object{{"f", d > 0 ? "Infinity" : "-Infinity"}};
  return json::object{{"f", d}};
}

std::optional<model::Scalar> scalar_from(const json::value& v) {
  if (v.is_null()) return std::nullopt;
  const auto& o = v.as_object();
  if (const auto* i = o.if_contains("i")) return model::Scalar{i->to_number<std::int64_t>()};
  if (const auto* u = o.if_contains("u")) return model::Scalar{u->to_number<std::uint64_t>()};
  const auto& f = o.at("f");
  if (f.is_string()) {
    if (f.get_string() == "NaN") return model::Scalar{std::nan("")};
    return model::Scalar{f.get_string() == "Infinity" ? INFINITY : -INFINITY};
  }
  return model::Scalar{f.to_number<double>()};
}

json::object spec_json(const ArraySpec& s) {
  json::array map;
  for (const auto& d : s.map.dims) {
    if (d.fixed) {
      map.push_back(json::object{{"fixed", *d.fixed}});
      continue;
    }
    json::array segments;
    for (const auto& g : d.segments) segments.push_back(json::array{g.out_start, g.length, g.src_start, g.stride});
    map.push_back(json::object{{"segments", std::move(segments)}});
  }
  return json::object{{"name", s.name},
                      {"source_name", s.source_name},
                      {"dtype", std::string(model::dtype_name(s.dtype))},
                      {"shape", shape_json(s.shape)},
                      {"chunks", shape_json(s.chunks)},
                      {"source_chunks", shape_json(s.source_chunks)},
                      {"source_chunked", s.source_chunked},
                      {"source_var_shape", shape_json(s.source_var_shape)},
                      {"source_var_chunks", shape_json(s.source_var_chunks)},
                      {"fill_value", scalar_json(s.fill_value)},
                      {"map", std::move(map)}};
}

ArraySpec spec_from(const json::object& o) {
  ArraySpec s;
  s.name = std::string(o.at("name").as_string());
  s.source_name = std::string(o.at("source_name").as_string());
  const auto dtype = model::dtype_from_name(std::string(o.at("dtype").as_string()));
  if (!dtype) throw std::invalid_argument("unknown dtype");
  s.dtype = *dtype;
  s.shape = shape_from(o.at("shape"));
  s.chunks = shape_from(o.at("chunks"));
  s.source_chunks = shape_from(o.at("source_chunks"));
  s.source_chunked = o.at("source_chunked").as_bool();
  s.fill_value = scalar_from(o.at("fill_value"));
  s.source_var_shape = shape_from(o.at("source_var_shape"));
  s.source_var_chunks = shape_from(o.at("source_var_chunks"));
  for (const auto& d : o.at("map").as_array()) {
    transform::DimMap m;
    if (const auto* fixed = d.as_object().if_contains("fixed")) {
      m.fixed = fixed->to_number<Index>();
    } else {
      for (const auto& g : d.as_object().at("segments").as_array()) {
        const auto& a = g.as_array();
        m.segments.push_back({a.at(0).to_number<Index>(), a.at(1).to_number<Index>(),
                              a.at(2).to_number<std::int64_t>(), a.at(3).to_number<std::int64_t>()});
      }
    }
    s.map.dims.push_back(std::move(m));
  }
  return s;
}

}  // namespace

std::string plan_to_json(const RegionPlan& plan) {
  json::array arrays;
  for (const auto& a : plan.arrays) {
    arrays.push_back(json::object{{"spec", spec_json(a.spec)},
                                  {"unit", shape_json(a.unit)},
                                  {"unit_grid", shape_json(a.unit_grid)},
                                  {"batch_chunks", shape_json(a.batch_chunks)},
                                  {"batch_footprint", a.batch_footprint}});
  }
  json::array regions;
  for (const auto& r : plan.regions)
    regions.push_back(json::array{r.array, r.unit_begin, r.unit_end, r.job, r.rank, r.bytes});
  const auto& o = plan.options;
  return json::serialize(json::object{
      {"options", json::object{{"num_jobs", o.num_jobs}, {"num_ranks", o.num_ranks},
                               {"memory_limit", o.memory_limit}, {"workers", o.workers}}},
      {"total_bytes", plan.total_bytes},
      {"max_batch_footprint", plan.max_batch_footprint},
      {"arrays", std::move(arrays)},
      {"regions", std::move(regions)}});
}

Result<RegionPlan> plan_from_json(std::string_view text) {
  json::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec) return runtime_error("plan: malformed JSON (" + ec.message() + ")");
  try {
    RegionPlan plan;
    const auto& o = v.as_object();
    const auto& opts = o.at("options").as_object();
    plan.options.num_jobs = opts.at("num_jobs").to_number<int>();
    plan.options.num_ranks = opts.at("num_ranks").to_number<int>();
    plan.options.memory_limit = opts.at("memory_limit").to_number<std::uint64_t>();
    plan.options.workers = opts.at("workers").to_number<int>();
    plan.total_bytes = o.at("total_bytes").to_number<std::uint64_t>();
    plan.max_batch_footprint = o.at("max_batch_footprint").to_number<std::uint64_t>();
    for (const auto& a : o.at("arrays").as_array()) {
      const auto& ao = a.as_object();
      plan.arrays.push_back(ArrayPlan{spec_from(ao.at("spec").as_object()), shape_from(ao.at("unit")),
                                      shape_from(ao.at("unit_grid")), shape_from(ao.at("batch_chunks")),
                                      ao.at("batch_footprint").to_number<std::uint64_t>()});
    }
    for (const auto& r : o.at("regions").as_array()) {
      const auto& ra = r.as_array();
      plan.regions.push_back(Region{ra.at(0).to_number<std::uint32_t>(), ra.at(1).to_number<Index>(),
                                    ra.at(2).to_number<Index>(), ra.at(3).to_number<int>(),
                                    ra.at(4).to_number<int>(), ra.at(5).to_number<std::uint64_t>()});
    }
    return plan;
  } catch (const std::exception& e) {
    return runtime_error(std::string("plan: unexpected content (") + e.what() + ")");
  }
}

}  // namespace zpmpi::plan
