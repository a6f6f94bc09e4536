// The plan as compact JSON (rank 0 broadcasts it, `zpmpi plan` prints it).
//
//   {"options": {"num_jobs": 5, "num_ranks": 2, "memory_limit": 50000, "workers": 1,
//                "max_chunks": 10000000},
//    "total_bytes": ..., "max_batch_footprint": ...,
//    "arrays": [{"layout": {"name": "t2m", ..., "shards": [], "fill_value": {"f": "9.969209968386869e+36"},
//                           "source": {"name": "t2m", "dims": [...], ...},
//                           "map": {"dims": [{"segments": [[0, 30, 0, 1]]}, {"fixed": 3}],
//                                   "tile": null, "order": []},
//                           "values": null},
//                "unit": [...], "unit_grid": [...], "batch_chunks": [...], "batches_in_flight": 1,
//                "batch_footprint": ...}],
//    "regions": [{"array": 0, "unit_begin": 0, "unit_end": 3, "job": 0, "rank": 0, "bytes": ...}]}
//
// Each struct's fields are listed once (the `fields` functions below), and that one list
// both writes and reads them, so the two directions cannot drift apart.
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
#include <type_traits>
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

json::array map_json(const model::IndexMap& map) {
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

model::IndexMap map_from(const json::value& v) {
  model::IndexMap map;
  for (const auto& d : v.as_array()) {
    model::DimMap m;
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

// One field list per struct, visited by a Writer (struct -> JSON) or a Reader (JSON -> struct).
template <class Self, class Io>
void fields(Self& s, Io& io) requires std::is_same_v<std::remove_const_t<Self>, model::TileStage> {
  io("grid", s.grid), io("axis", s.axis), io("tile", s.tile);
}
template <class Self, class Io>
void fields(Self& s, Io& io) requires std::is_same_v<std::remove_const_t<Self>, model::SourceLayout> {
  io("name", s.name), io("dims", s.dims), io("shape", s.shape), io("chunks", s.chunks);
  io("chunked", s.chunked), io("compressed", s.compressed), io("decoded_on_workers", s.decoded_on_workers);
}
template <class Self, class Io>
void fields(Self& s, Io& io) requires std::is_same_v<std::remove_const_t<Self>, model::ValueOp> {
  io("op", s.op), io("a", s.a), io("b", s.b);
}
template <class Self, class Io>
void fields(Self& s, Io& io) requires std::is_same_v<std::remove_const_t<Self>, model::ValueStage> {
  io("source_dtype", s.source_dtype), io("mask", s.mask), io("scale_factor", s.scale_factor);
  io("add_offset", s.add_offset), io("masked_dtype", s.masked_dtype), io("decoded_dtype", s.decoded_dtype);
  io("ops", s.ops);
}
template <class Self, class Io>
void fields(Self& s, Io& io) requires std::is_same_v<std::remove_const_t<Self>, model::ArrayLayout> {
  // `text` is not listed: validate() keeps text arrays out of every plan.
  io("name", s.name), io("dtype", s.dtype), io("dims", s.dims), io("shape", s.shape), io("chunks", s.chunks);
  io("shards", s.shards), io("fill_value", s.fill_value), io("source", s.source), io("alignment", s.alignment), io("map", s.map);
  io("values", s.values), io("placement", s.placement);
}
template <class Self, class Io>
void fields(Self& s, Io& io) requires std::is_same_v<std::remove_const_t<Self>, model::StorePlacement> {
  io("axis", s.axis), io("origin", s.origin), io("chunk_offset", s.chunk_offset), io("kept", s.kept);
  io("store_chunks", s.store_chunks);
}
template <class Self, class Io>
void fields(Self& s, Io& io) requires std::is_same_v<std::remove_const_t<Self>, ArrayPlan> {
  io("layout", s.layout), io("unit", s.unit), io("unit_grid", s.unit_grid);
  io("batch_chunks", s.batch_chunks), io("batches_in_flight", s.batches_in_flight), io("fetched_ahead", s.fetched_ahead);
  io("batch_footprint", s.batch_footprint);
}
template <class Self, class Io>
void fields(Self& s, Io& io) requires std::is_same_v<std::remove_const_t<Self>, PlanOptions> {
  io("num_jobs", s.num_jobs), io("num_ranks", s.num_ranks), io("memory_limit", s.memory_limit);
  io("workers", s.workers), io("max_chunks", s.max_chunks);
}
template <class Self, class Io>
void fields(Self& s, Io& io) requires std::is_same_v<std::remove_const_t<Self>, Region> {
  io("array", s.array), io("unit_begin", s.unit_begin), io("unit_end", s.unit_end), io("job", s.job);
  io("rank", s.rank), io("bytes", s.bytes);
}
template <class Self, class Io>
void fields(Self& s, Io& io) requires std::is_same_v<std::remove_const_t<Self>, RegionPlan> {
  io("options", s.options), io("total_bytes", s.total_bytes), io("max_batch_footprint", s.max_batch_footprint);
  io("arrays", s.arrays), io("regions", s.regions);
}

struct Probe {
  template <class V> void operator()(const char*, V&) {}
};
template <class T>
concept HasFields = requires(T& t, Probe& p) { fields(t, p); };

json::value to_json(const std::string& s) { return json::string(s); }
json::value to_json(bool b) { return b; }
json::value to_json(model::DType t) { return json::string(model::dtype_name(t)); }
json::value to_json(const std::optional<model::Scalar>& fill) { return scalar_json(fill); }
json::value to_json(const model::Scalar& value) { return scalar_json(value); }
json::value to_json(const model::IndexMap& map);  // below: its tile stage uses the template
json::value to_json(const std::optional<model::ValueStage>& values);  // below, likewise
json::value to_json(const std::optional<model::StorePlacement>& p);  // below, likewise
template <class T> requires std::is_integral_v<T>
json::value to_json(T n) { return n; }
template <class T> json::value to_json(const std::vector<T>& list);
template <class T> requires HasFields<const T>
json::value to_json(const T& s) {
  json::object o;
  auto io = [&](const char* key, const auto& v) { o[key] = to_json(v); };
  fields(s, io);
  return o;
}
json::value to_json(const model::IndexMap& map) {
  return json::object{{"dims", map_json(map)},
                      {"tile", map.tile ? to_json(*map.tile) : json::value(nullptr)},
                      {"new_dims", to_json(map.new_dims)},
                      {"order", to_json(map.order)}};
}
json::value to_json(const std::optional<model::ValueStage>& values) {
  return values ? to_json(*values) : json::value(nullptr);
}
json::value to_json(const std::optional<model::StorePlacement>& p) { return p ? to_json(*p) : json::value(nullptr); }
template <class T> json::value to_json(const std::vector<T>& list) {
  json::array a;
  for (const auto& x : list) a.push_back(to_json(x));
  return a;
}

void from_json(const json::value& v, std::string& s) { s = v.as_string(); }
void from_json(const json::value& v, bool& b) { b = v.as_bool(); }
void from_json(const json::value& v, model::DType& t) {
  const auto dtype = model::output_dtype_from_name(v.as_string());
  if (!dtype) throw BadPlan("unknown dtype \"" + std::string(v.as_string()) + "\"");
  t = *dtype;
}
void from_json(const json::value& v, std::optional<model::Scalar>& fill) { fill = scalar_from(v); }
void from_json(const json::value& v, model::Scalar& value) {
  const auto s = scalar_from(v);
  if (!s) throw BadPlan("a value must not be null");
  value = *s;
}
void from_json(const json::value& v, model::IndexMap& map);  // below, likewise
void from_json(const json::value& v, std::optional<model::ValueStage>& values);  // below, likewise
void from_json(const json::value& v, std::optional<model::StorePlacement>& p);  // below, likewise
template <class T> requires std::is_integral_v<T>
void from_json(const json::value& v, T& n) { n = v.to_number<T>(); }  // throws when out of range
template <class T> void from_json(const json::value& v, std::vector<T>& list);
template <class T> requires HasFields<T>
void from_json(const json::value& v, T& s) {
  const json::object& o = v.as_object();
  std::size_t seen = 0;
  auto io = [&](const char* key, auto& field) { from_json(o.at(key), field), ++seen; };
  fields(s, io);
  if (seen != o.size()) throw BadPlan("an object has keys the plan does not know");
}
void from_json(const json::value& v, model::IndexMap& map) {
  const json::object& o = v.as_object();
  if (o.size() != 4) throw BadPlan("an index map has the keys dims, tile, new_dims and order");
  map = map_from(o.at("dims"));
  if (const json::value& tile = o.at("tile"); !tile.is_null()) from_json(tile, map.tile.emplace());
  from_json(o.at("new_dims"), map.new_dims);
  from_json(o.at("order"), map.order);
  // A permutation of the output dims, which the executor indexes with.
  std::vector<bool> seen(map.order.size(), false);
  for (std::size_t k : map.order) {
    if (k >= seen.size() || seen[k]) throw BadPlan("an index map's order is not a permutation");
    seen[k] = true;
  }
  if (!map.order.empty() && (map.tile || map.order.size() != map.output_rank()))
    throw BadPlan("an index map's order does not match its output dims");
  if (!map.new_dims.empty() && map.order.empty()) throw BadPlan("an index map's new dims have no order");
}
void from_json(const json::value& v, std::optional<model::ValueStage>& values) {
  values.reset();
  if (!v.is_null()) from_json(v, values.emplace());
}
void from_json(const json::value& v, std::optional<model::StorePlacement>& p) {
  p.reset();
  if (!v.is_null()) from_json(v, p.emplace());
}
template <class T> void from_json(const json::value& v, std::vector<T>& list) {
  list.clear();
  for (const auto& x : v.as_array()) from_json(x, list.emplace_back());
}

/// The checks for_each_batch relies on: it divides by and indexes with these.
void check_array(const ArrayPlan& a) {
  const std::size_t rank = a.layout.shape.size();
  if (a.unit.size() != rank || a.unit_grid.size() != rank || a.batch_chunks.size() != rank)
    throw BadPlan("array " + a.layout.name + ": unit, unit grid and batch differ in rank from the shape");
  for (std::size_t d = 0; d < rank; ++d)
    if (a.unit[d] == 0 || a.batch_chunks[d] == 0 || a.unit_grid[d] != grid::ceil_div(a.layout.shape[d], a.unit[d]))
      throw BadPlan("array " + a.layout.name + ": inconsistent unit grid");
}

void check_region(const Region& region, const RegionPlan& plan) {
  if (region.array >= plan.arrays.size() || region.unit_begin >= region.unit_end ||
      region.unit_end > grid::num_units(plan.arrays[region.array]) || region.rank < 0 ||
      region.rank >= plan.options.num_ranks)
    throw BadPlan("region of array " + std::to_string(region.array) + " is out of range");
}

}  // namespace

std::string plan_to_json(const RegionPlan& plan) { return json::serialize(to_json(plan)); }

Result<RegionPlan> plan_from_json(std::string_view text) {
  json::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec) return runtime_error("plan: malformed JSON (" + ec.message() + ")");
  RegionPlan plan;
  try {
    from_json(v, plan);
    std::vector<model::ArrayLayout> layouts;
    for (const auto& a : plan.arrays) {
      check_array(a);
      layouts.push_back(a.layout);
    }
    // The same checks make_plan made, so a plan from elsewhere cannot index out of range.
    if (auto st = steps::validate(layouts, plan.options); !st.ok()) throw BadPlan(st.error().message);
    for (const auto& r : plan.regions) check_region(r, plan);
  } catch (const std::exception& e) {
    // Boost.JSON reports a missing key or a wrong type by throwing; so do the checks above.
    return runtime_error(std::string("plan: unexpected content (") + e.what() + ")");
  }
  return plan;
}

}  // namespace zpmpi::plan
