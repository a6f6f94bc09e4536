// The plan as compact JSON (rank 0 broadcasts it, `zpmpi plan` prints it).
//
//   {"options": {"num_jobs": 5, "num_ranks": 2, "memory_limit": 50000, "workers": 1},
//    "total_bytes": ..., "max_batch_footprint": ...,
//    "arrays": [{"spec": {"name": "t2m", ..., "fill_value": {"f": "9.969209968386869e+36"},
//                         "map": [{"segments": [[0, 30, 0, 1]]}, {"fixed": 3}]},
//                "unit": [...], "unit_grid": [...], "batch_chunks": [...], "batch_footprint": ...}],
//    "regions": [[array, unit_begin, unit_end, job, rank, bytes], ...]}
//
// Integers are JSON integers (Boost.JSON keeps int64 and uint64 exact). A fill value keeps
// its kind: {"i": -32767}, {"u": 18446744073709551615} or {"f": "<double>"}. Doubles are
// strings, the shortest text that reads back to the same bits ("NaN", "inf", "-inf"
// included): JSON has no NaN, and Boost.JSON 1.81's parser does not round doubles exactly
// (9.969209968386869e+36, netCDF's default float fill, comes back one ulp off).
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <boost/json.hpp>

#include "chunk_grid.hpp"
#include "planner_steps.hpp"
#include "zpmpi/plan/region_plan.hpp"

namespace zpmpi::plan {
namespace json = boost::json;
namespace {

/// A malformed plan; caught once in plan_from_json and turned into an Error.
struct BadPlan : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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

std::string double_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  std::array<char, 32> buf;
  const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), d).ptr;
  return std::string(buf.data(), end);
}

double double_from(std::string_view text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  double d = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size())
    throw BadPlan("fill value \"" + std::string(text) + "\" is not a number");
  return d;
}

json::value scalar_json(const std::optional<model::Scalar>& fill) {
  if (!fill) return nullptr;
  if (const auto* i = std::get_if<std::int64_t>(&*fill)) return json::object{{"i", *i}};
  if (const auto* u = std::get_if<std::uint64_t>(&*fill)) return json::object{{"u", *u}};
  return json::object{{"f", double_text(std::get<double>(*fill))}};
}

std::optional<model::Scalar> scalar_from(const json::value& v) {
  if (v.is_null()) return std::nullopt;
  const auto& o = v.as_object();
  if (o.size() != 1) throw BadPlan("a fill value must have one of the keys i, u, f");
  if (const auto* i = o.if_contains("i")) return model::Scalar{i->to_number<std::int64_t>()};
  if (const auto* u = o.if_contains("u")) return model::Scalar{u->to_number<std::uint64_t>()};
  return model::Scalar{double_from(o.at("f").as_string())};
}

json::array map_json(const transform::IndexMap& map) {
  json::array dims;
  for (const auto& d : map.dims) {
    if (d.fixed) {
      dims.push_back(json::object{{"fixed", *d.fixed}});
      continue;
    }
    json::array segments;
    for (const auto& g : d.segments) segments.push_back(json::array{g.out_start, g.length, g.src_start, g.stride});
    dims.push_back(json::object{{"segments", std::move(segments)}});
  }
  return dims;
}

transform::IndexMap map_from(const json::value& v) {
  transform::IndexMap map;
  for (const auto& d : v.as_array()) {
    transform::DimMap m;
    if (const auto* fixed = d.as_object().if_contains("fixed")) {
      m.fixed = fixed->to_number<Index>();
    } else {
      for (const auto& g : d.as_object().at("segments").as_array()) {
        const auto& a = g.as_array();
        if (a.size() != 4) throw BadPlan("a map segment must have 4 numbers");
        m.segments.push_back({a[0].to_number<Index>(), a[1].to_number<Index>(), a[2].to_number<std::int64_t>(),
                              a[3].to_number<std::int64_t>()});
        if (m.segments.back().stride == 0) throw BadPlan("a map segment has stride 0");
      }
    }
    map.dims.push_back(std::move(m));
  }
  return map;
}

json::object spec_json(const ArraySpec& s) {
  return json::object{{"name", s.name},
                      {"source_name", s.source_name},
                      {"dtype", model::dtype_name(s.dtype)},
                      {"shape", shape_json(s.shape)},
                      {"chunks", shape_json(s.chunks)},
                      {"source_chunks", shape_json(s.source_chunks)},
                      {"source_chunked", s.source_chunked},
                      {"source_compressed", s.source_compressed},
                      {"source_var_shape", shape_json(s.source_var_shape)},
                      {"source_var_chunks", shape_json(s.source_var_chunks)},
                      {"fill_value", scalar_json(s.fill_value)},
                      {"map", map_json(s.map)}};
}

ArraySpec spec_from(const json::object& o) {
  ArraySpec s;
  s.name = o.at("name").as_string();
  s.source_name = o.at("source_name").as_string();
  const auto dtype = model::dtype_from_name(o.at("dtype").as_string());
  if (!dtype) throw BadPlan("unknown dtype \"" + std::string(o.at("dtype").as_string()) + "\"");
  s.dtype = *dtype;
  s.shape = shape_from(o.at("shape"));
  s.chunks = shape_from(o.at("chunks"));
  s.source_chunks = shape_from(o.at("source_chunks"));
  s.source_chunked = o.at("source_chunked").as_bool();
  s.source_compressed = o.at("source_compressed").as_bool();
  s.source_var_shape = shape_from(o.at("source_var_shape"));
  s.source_var_chunks = shape_from(o.at("source_var_chunks"));
  s.fill_value = scalar_from(o.at("fill_value"));
  s.map = map_from(o.at("map"));
  return s;
}

ArrayPlan array_from(const json::object& o) {
  ArrayPlan a{spec_from(o.at("spec").as_object()), shape_from(o.at("unit")), shape_from(o.at("unit_grid")),
              shape_from(o.at("batch_chunks")), o.at("batch_footprint").to_number<std::uint64_t>()};
  // for_each_batch divides by and indexes with these: they must fit the shape.
  const std::size_t rank = a.spec.shape.size();
  if (a.unit.size() != rank || a.unit_grid.size() != rank || a.batch_chunks.size() != rank)
    throw BadPlan("array " + a.spec.name + ": unit, unit grid and batch differ in rank from the shape");
  for (std::size_t d = 0; d < rank; ++d)
    if (a.unit[d] == 0 || a.batch_chunks[d] == 0 || a.unit_grid[d] != grid::ceil_div(a.spec.shape[d], a.unit[d]))
      throw BadPlan("array " + a.spec.name + ": inconsistent unit grid");
  return a;
}

Region region_from(const json::value& v, const RegionPlan& plan) {
  const auto& r = v.as_array();
  if (r.size() != 6) throw BadPlan("a region must have 6 numbers");
  const Region region{r[0].to_number<std::uint32_t>(), r[1].to_number<Index>(), r[2].to_number<Index>(),
                      r[3].to_number<int>(), r[4].to_number<int>(), r[5].to_number<std::uint64_t>()};
  if (region.array >= plan.arrays.size() || region.unit_begin >= region.unit_end ||
      region.unit_end > grid::num_units(plan.arrays[region.array]) || region.rank < 0 ||
      region.rank >= plan.options.num_ranks)
    throw BadPlan("region of array " + std::to_string(region.array) + " is out of range");
  return region;
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
                               {"memory_limit", o.memory_limit}, {"workers", o.workers},
                               {"max_chunks", o.max_chunks}}},
      {"total_bytes", plan.total_bytes},
      {"max_batch_footprint", plan.max_batch_footprint},
      {"arrays", std::move(arrays)},
      {"regions", std::move(regions)}});
}

Result<RegionPlan> plan_from_json(std::string_view text) {
  json::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec) return runtime_error("plan: malformed JSON (" + ec.message() + ")");
  RegionPlan plan;
  try {
    const auto& o = v.as_object();
    const auto& opts = o.at("options").as_object();
    plan.options.num_jobs = opts.at("num_jobs").to_number<int>();
    plan.options.num_ranks = opts.at("num_ranks").to_number<int>();
    plan.options.memory_limit = opts.at("memory_limit").to_number<std::uint64_t>();
    plan.options.workers = opts.at("workers").to_number<int>();
    plan.options.max_chunks = opts.at("max_chunks").to_number<std::uint64_t>();
    plan.total_bytes = o.at("total_bytes").to_number<std::uint64_t>();
    plan.max_batch_footprint = o.at("max_batch_footprint").to_number<std::uint64_t>();
    std::vector<ArraySpec> specs;
    for (const auto& a : o.at("arrays").as_array()) {
      plan.arrays.push_back(array_from(a.as_object()));
      specs.push_back(plan.arrays.back().spec);
    }
    // The same checks make_plan made, so a plan from elsewhere cannot index out of range.
    if (auto st = steps::validate(specs, plan.options); !st.ok()) throw BadPlan(st.error().message);
    for (const auto& r : o.at("regions").as_array()) plan.regions.push_back(region_from(r, plan));
  } catch (const std::exception& e) {
    // Boost.JSON reports a missing key or a wrong type by throwing; so do the checks above.
    return runtime_error(std::string("plan: unexpected content (") + e.what() + ")");
  }
  return plan;
}

}  // namespace zpmpi::plan
