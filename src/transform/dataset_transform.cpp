// The preprocessor chain applied to the dataset description (see dataset_transform.hpp).
#include "zpmpi/transform/dataset_transform.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "zpmpi/model/cf_time.hpp"
#include "zpmpi/model/number_text.hpp"
#include "zpmpi/transform/timedelta.hpp"

namespace zpmpi::transform {
namespace {

std::string fmt(double v) { return model::number_text(v); }

std::string show(const Label& l) {
  return std::holds_alternative<double>(l) ? fmt(std::get<double>(l)) : "\"" + std::get<std::string>(l) + "\"";
}

/// NaN as a number, or spelled as a string ("NaN", "nan": what a port of ds.sel(x=np.nan)
/// writes in JSON, which has no NaN).
bool is_nan_label(const Label& l) {
  if (const double* v = std::get_if<double>(&l)) return std::isnan(*v);
  const std::string& text = std::get<std::string>(l);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && std::isnan(v);
}

std::vector<Segment> affine(std::int64_t start, std::int64_t step, Index n) {
  if (n == 0) return {};
  return {{0, n, start, step}};
}

/// Python's slice.indices(length) and the number of elements it selects.
struct Resolved {
  std::int64_t start, step;
  Index count;
};
Result<Resolved> resolve_slice(const PySlice& s, Index length) {
  const auto n = static_cast<std::int64_t>(length);
  const std::int64_t step = s.step.value_or(1);
  if (step == 0) return usage_error("slice step must not be 0");
  for (const auto& bound : {s.start, s.stop})
    if (bound && (*bound < -n || *bound > n))
      return usage_error("index " + std::to_string(*bound) + " is out of range for length " + std::to_string(n));
  auto norm = [&](std::optional<std::int64_t> v, std::int64_t dflt) {
    if (!v) return dflt;
    std::int64_t x = *v < 0 ? *v + n : *v;
    return step > 0 ? std::clamp<std::int64_t>(x, 0, n) : std::clamp<std::int64_t>(x, -1, n - 1);
  };
  const std::int64_t start = norm(s.start, step > 0 ? 0 : n - 1);
  const std::int64_t stop = norm(s.stop, step > 0 ? n : -1);
  std::int64_t count = step > 0 ? (stop - start + step - 1) / step : (start - stop + (-step) - 1) / (-step);
  return Resolved{start, step, static_cast<Index>(std::max<std::int64_t>(count, 0))};
}

/// Seconds a date label leaves open: "2000-01-07" covers its whole day, as pandas' partial
/// string indexing does for a slice stop; a label with seconds is exact.
double label_resolution_seconds(const std::string& label) {
  const auto sep = label.find_first_of(" T", 4);
  if (sep == std::string::npos) return 86400;
  const std::string time = label.substr(sep + 1);
  const auto colons = std::count(time.begin(), time.end(), ':');
  return colons == 0 ? 3600 : colons == 1 ? 60 : 0;
}

class Chain {
 public:
  Chain(const model::Dataset& dataset, const std::map<std::string, std::vector<double>>& coords)
      : dataset_(dataset) {
    for (const auto& d : dataset.dims) {
      DimState s;
      s.name = d.name;
      s.source_length = d.length;
      s.map = DimMap::identity(d.length);
      if (auto it = coords.find(d.name); it != coords.end() && it->second.size() == d.length) s.coords = it->second;
      states_.dims.push_back(std::move(s));
    }
  }

  Status run(const Step& step) {
    return std::visit([&](const auto& op) { return apply(step.key, op); }, step.op);
  }

  DimStates result() && { return std::move(states_); }
  const DimStates& states() const { return states_; }

 private:
  Result<DimState*> dim(const std::string& key, const std::string& name) {
    if (auto it = new_dims_.find(name); it != new_dims_.end())
      return usage_error(key + "." + name + ": '" + name + "' is a dimension added by expand_dims (" + it->second.key +
                         "); selecting along it is not supported (put expand_dims after this step)");
    for (auto& s : states_.dims) {
      if (s.name != name) continue;
      if (s.map.fixed) return usage_error(key + "." + name + ": the dim was dropped by an earlier selection");
      return &s;
    }
    std::string names;
    for (const auto& s : states_.dims) names += (names.empty() ? "" : ", ") + s.name;
    return usage_error(key + ": no dimension '" + name + "' (dims: " + names + ")");
  }

  Status apply(const std::string& key, const Isel& op) {
    for (const auto& ix : op.dims) {
      ZPMPI_ASSIGN_OR_RETURN(DimState * s, dim(key, ix.dim));
      const std::string where = key + "." + ix.dim;
      const Index length = s->map.length();
      if (const auto* i = std::get_if<std::int64_t>(&ix.what)) {
        const auto n = static_cast<std::int64_t>(length);
        if (*i < -n || *i >= n)
          return usage_error(where + ": index " + std::to_string(*i) + " is out of range for length " + std::to_string(n));
        s->map = DimMap::at(static_cast<Index>(s->map.source_index(static_cast<Index>(*i < 0 ? *i + n : *i))));
        continue;
      }
      auto r = resolve_slice(std::get<PySlice>(ix.what), length);
      if (!r.ok()) return r.error().with_context(where);
      if (r->count == 0) return usage_error(where + ": the slice selects nothing of length " + std::to_string(length));
      narrow(*s, affine(r->start, r->step, r->count));
    }
    return {};
  }

  /// A sel dim's coordinate: its range (for messages) and order; not monotonic is an error.
  struct Axis {
    double lo, hi;
    std::string range;  ///< "latitude (90 .. -90)"
    bool descending;
  };
  Result<Axis> axis(const std::string& where, const DimState& s) {
    if (s.coords.empty()) return usage_error(where + ": '" + s.name + "' has no coordinate to select on (use isel)");
    const Index n = s.map.length();
    const double first = s.coord(0), last = s.coord(n - 1);
    bool ascending = true, descending = true;
    for (Index i = 1; i < n; ++i) {
      ascending = ascending && s.coord(i) > s.coord(i - 1);
      descending = descending && s.coord(i) < s.coord(i - 1);
    }
    if (n > 1 && !ascending && !descending) return usage_error(where + ": coordinate " + s.name + " is not monotonic");
    return Axis{std::min(first, last), std::max(first, last), s.name + " (" + fmt(first) + " .. " + fmt(last) + ")",
                descending && n > 1};
  }

  Status apply(const std::string& key, const Sel& op) {
    for (const auto& ix : op.dims) {
      ZPMPI_ASSIGN_OR_RETURN(DimState * s, dim(key, ix.dim));
      const std::string where = key + "." + ix.dim;
      ZPMPI_ASSIGN_OR_RETURN(Axis ax, axis(where, *s));
      if (const auto* label = std::get_if<Label>(&ix.what)) {
        ZPMPI_ASSIGN_OR_RETURN(Index i, pick(where, *s, ax, op, *label));
        s->map = DimMap::at(static_cast<Index>(s->map.source_index(i)));
      } else if (const auto* labels = std::get_if<LabelList>(&ix.what)) {
        std::vector<Segment> picked;
        for (const Label& label : *labels) {
          ZPMPI_ASSIGN_OR_RETURN(Index i, pick(where, *s, ax, op, label));
          picked.push_back({static_cast<Index>(picked.size()), 1, static_cast<std::int64_t>(i), 1});
        }
        narrow(*s, picked);
      } else if (const auto* r = std::get_if<LabelRange>(&ix.what)) {
        ZPMPI_RETURN_IF_ERROR(select_range(where, *s, ax, *r, op.clip));
      } else {
        return usage_error(where + ": expected [start, stop] or a label");
      }
    }
    return {};
  }

  /// The output index a sel label picks: the nearest coordinate; outside the range an
  /// error without "method", the edge with it (pandas' get_indexer); farther than the
  /// tolerance an error naming the label.
  Result<Index> pick(const std::string& where, const DimState& s, const Axis& ax, const Sel& op, const Label& label) {
    ZPMPI_ASSIGN_OR_RETURN(double v, value_of(where, s, label, false));
    if (!op.nearest && (v < ax.lo || v > ax.hi))
      return usage_error(where + ": " + show(label) + " is outside " + ax.range +
                         " (with \"method\": \"nearest\" it takes the nearest edge, as xarray's sel)");
    const Index i = nearest(s, v);
    if (!op.tolerance) return i;
    ZPMPI_ASSIGN_OR_RETURN(double tolerance, tolerance_of(where, s, *op.tolerance));
    if (std::fabs(s.coord(i) - v) > tolerance)
      return usage_error(where + ": no " + s.name + " within tolerance " + show(*op.tolerance) + " of " + show(label) +
                         " (the nearest is " + fmt(s.coord(i)) + "; as xarray: KeyError)");
    return i;
  }

  /// [start, stop]: label-inclusive, in the coordinate's own order, like pandas' slice_indexer.
  Status select_range(const std::string& where, DimState& s, const Axis& ax, const LabelRange& r, bool clip) {
    ZPMPI_ASSIGN_OR_RETURN(double a, value_of(where, s, r.start, false));
    ZPMPI_ASSIGN_OR_RETURN(double b, value_of(where, s, r.stop, false));
    for (auto [label, v] : {std::pair{&r.start, a}, std::pair{&r.stop, b}})
      if (!clip && (v < ax.lo || v > ax.hi)) return usage_error(where + ": " + show(*label) + " is outside " + ax.range);
    ZPMPI_ASSIGN_OR_RETURN(double b_end, value_of(where, s, r.stop, true));
    std::optional<Index> i0, i1;
    for (Index i = 0; i < s.map.length(); ++i) {
      const double c = s.coord(i);
      const bool inside = ax.descending ? (c <= a && (c > b_end || c >= b)) : (c >= a && (c < b_end || c <= b));
      if (inside) {
        if (!i0) i0 = i;
        i1 = i;
      }
    }
    if (!i0 && clip) return narrow(s, {}), Status{};
    if (!i0) return usage_error(where + ": [" + show(r.start) + ", " + show(r.stop) + "] selects nothing from " + ax.range);
    narrow(s, affine(static_cast<std::int64_t>(*i0), 1, *i1 - *i0 + 1));
    return {};
  }

  Status apply(const std::string& key, const ReverseAxis& op) {
    ZPMPI_ASSIGN_OR_RETURN(DimState * s, dim(key, op.dim));
    const Index n = s->map.length();
    s->map = s->map.after(affine(static_cast<std::int64_t>(n) - 1, -1, n));
    return {};
  }

  Status apply(const std::string& key, const Roll& op) {
    ZPMPI_ASSIGN_OR_RETURN(DimState * s, dim(key, op.dim));
    const auto n = static_cast<std::int64_t>(s->map.length());
    if (n == 0) return {};
    const std::int64_t shift = ((op.shifts % n) + n) % n;
    if (shift == 0) return {};
    // ds.roll(d=shift): output j takes input (j - shift) mod n.
    s->map = s->map.after({{0, static_cast<Index>(shift), n - shift, 1},
                           {static_cast<Index>(shift), static_cast<Index>(n - shift), 0, 1}});
    return {};
  }

  /// ds.squeeze(dim): isel(dim=0) of each named dim, which must have length 1; without
  /// dims, of every dim of length 1 (xarray's get_squeeze_dims).
  Status apply(const std::string& key, const Squeeze& op) {
    if (op.dims.empty()) {
      for (const auto& [name, added] : new_dims_)
        if (added.length == 1)
          return usage_error(key + ": squeeze without \"dim\" after expand_dims (" + added.key + ") would drop '" +
                             name + "' again; name the dims to squeeze, or squeeze before expand_dims");
      for (auto& s : states_.dims)
        if (!s.map.fixed && s.map.length() == 1) s.map = DimMap::at(static_cast<Index>(s.map.source_index(0)));
      return {};
    }
    for (const auto& name : op.dims) {
      ZPMPI_ASSIGN_OR_RETURN(DimState * s, dim(key, name));
      if (s->map.length() != 1)
        return usage_error(key + "." + name + ": cannot squeeze a dimension of length " +
                           std::to_string(s->map.length()) + " (only length 1)");
    }
    for (const auto& name : op.dims) {
      DimState* s = dim(key, name).value();
      s->map = DimMap::at(static_cast<Index>(s->map.source_index(0)));
    }
    return {};
  }

  /// ds.thin(dim=step) = isel(dim=slice(None, None, step)).
  Status apply(const std::string& key, const Thin& op) {
    for (const auto& [name, step] : op.steps) {
      ZPMPI_ASSIGN_OR_RETURN(DimState * s, dim(key, name));
      const Index n = s->map.length();
      if (n == 0) continue;
      narrow(*s, affine(0, step, (n + static_cast<Index>(step) - 1) / static_cast<Index>(step)));
    }
    return {};
  }

  /// ds.transpose(*dims): the dims present here are kept for its check (array_steps.hpp),
  /// the dims added by expand_dims after the source's.
  Status apply(const std::string& key, const Transpose&) {
    std::vector<std::string>& present = states_.dims_at[key];
    for (const auto& s : states_.dims)
      if (!s.map.fixed) present.push_back(s.name);
    for (const auto& name : new_dim_order_) present.push_back(name);
    return {};
  }

  /// ds.expand_dims: array_steps.hpp adds the dims; here the source dims present are kept
  /// (a later step that drops one moves the new dim's position), and the new dims known,
  /// so that a later per-dim step naming one is refused.
  Status apply(const std::string& key, const ExpandDims& op) {
    std::vector<std::string>& present = states_.dims_at[key];
    for (const auto& s : states_.dims)
      if (!s.map.fixed) present.push_back(s.name);
    for (const NewDim& d : op.dims) {
      if (auto it = new_dims_.find(d.name); it != new_dims_.end())
        return usage_error(key + "." + d.name + ": Dimension " + d.name + " already exists (added by " +
                           it->second.key + ")");
      new_dims_[d.name] = {key, d.length};
      new_dim_order_.push_back(d.name);
    }
    return {};
  }

  /// Steps on whole arrays or attributes: array_steps.hpp applies them.
  template <class ArrayStep>
  Status apply(const std::string&, const ArrayStep&) {
    return {};
  }

  /// Tiling acts on whole arrays (tiling.hpp), after every per-dim step: here its dims are
  /// checked and the step kept for apply_tiling.
  Status apply(const std::string& key, const Tiled& op) {
    if (!new_dims_.empty())
      return usage_error(key + ": tiled after expand_dims (" + new_dims_.begin()->second.key + ") is not supported");
    for (const auto& [name, size] : op.sizes) {
      auto s = dim(key, name);
      if (!s.ok()) return s.error();
    }
    states_.tiled = Step{key, op};
    return {};
  }

  void narrow(DimState& s, const std::vector<Segment>& outer) {
    if (outer.size() == 1 && outer[0].length == s.map.length() && outer[0].src_start == 0 && outer[0].stride == 1)
      return;
    s.map = s.map.after(outer);
    s.selected = true;
  }

  /// The index of the coordinate nearest to `v`; on a tie the larger coordinate, as pandas'
  /// get_indexer(method="nearest") picks on a monotonic index (the right neighbour on an
  /// increasing one, the left on a decreasing one): 675 between 500 and 850 gives 850.
  static Index nearest(const DimState& s, double v) {
    Index best = 0;
    for (Index i = 1; i < s.map.length(); ++i) {
      const double d = std::fabs(s.coord(i) - v), best_d = std::fabs(s.coord(best) - v);
      if (d < best_d || (d == best_d && s.coord(i) > s.coord(best))) best = i;
    }
    return best;
  }

  /// The CF time units of a dim's coordinate, or nullopt when its "units" attribute is not
  /// "<unit> since <date>" text; malformed time units are an error.
  Result<std::optional<model::CfTimeUnits>> time_units(const std::string& where, const DimState& s) {
    const model::Variable* coord = dataset_.find_variable(s.name);
    const model::Attribute* units = coord ? coord->find_attribute("units") : nullptr;
    const model::Attribute* calendar = coord ? coord->find_attribute("calendar") : nullptr;
    if (!units || !units->value.is_text() || std::get<std::string>(units->value.data).find(" since ") == std::string::npos)
      return std::optional<model::CfTimeUnits>{};
    auto cf = model::CfTimeUnits::parse(std::get<std::string>(units->value.data),
                                 calendar && calendar->value.is_text() ? std::get<std::string>(calendar->value.data) : "standard");
    if (!cf.ok()) return cf.error().with_context(where);
    return std::optional<model::CfTimeUnits>{cf.value()};
  }

  /// A label as a coordinate value; with `end`, the exclusive end of a date label's span.
  /// NaN (a number, or "nan" written as a string) is refused: it selects nothing.
  Result<double> value_of(const std::string& where, const DimState& s, const Label& label, bool end) {
    if (is_nan_label(label)) return usage_error(where + ": the label " + show(label) + " is not a number");
    if (const double* v = std::get_if<double>(&label)) return *v;
    const std::string& text = std::get<std::string>(label);
    auto cf = time_units(where, s);
    if (cf.ok() && !cf.value())
      return usage_error(where + ": \"" + text + "\" is a date but " + s.name + " has no CF time units");
    if (!cf.ok()) return cf.error();
    auto v = cf.value()->value_of(text);
    if (!v.ok()) return v.error().with_context(where);
    if (!end) return v.value();
    const double open = label_resolution_seconds(text);
    // Exclusive end of the label's span; an exact label is inclusive (callers use <= b too).
    return open == 0 ? v.value() : v.value() + open / cf.value()->seconds_per_unit();
  }

  /// sel's tolerance in the coordinate's units: a number, or for a CF time coordinate a
  /// duration such as "2h" (as pandas takes for a datetime index).
  Result<double> tolerance_of(const std::string& where, const DimState& s, const Label& tolerance) {
    ZPMPI_ASSIGN_OR_RETURN(std::optional<model::CfTimeUnits> cf, time_units(where, s));
    const bool is_time = cf.has_value();
    if (const double* v = std::get_if<double>(&tolerance)) {
      if (is_time)
        return usage_error(where + ": tolerance " + show(tolerance) + " for the time coordinate " + s.name +
                           " must be a duration such as \"2h\"");
      if (!(*v >= 0)) return usage_error(where + ": tolerance " + show(tolerance) + " must not be negative");
      return *v;
    }
    if (!is_time)
      return usage_error(where + ": tolerance " + show(tolerance) + " must be a number for " + s.name +
                         " (a duration is for a time coordinate)");
    auto seconds = parse_timedelta_seconds(std::get<std::string>(tolerance));
    if (!seconds.ok()) return seconds.error().with_context(where + ": tolerance");
    return seconds.value() / cf->seconds_per_unit();
  }

  const model::Dataset& dataset_;
  DimStates states_;
  struct Added {
    std::string key;  ///< the expand_dims step
    std::int64_t length = 1;
  };
  std::map<std::string, Added> new_dims_;  ///< dims added by expand_dims so far
  std::vector<std::string> new_dim_order_;  ///< their names, as added
};

}  // namespace

const DimState* DimStates::find(std::string_view name) const {
  for (const auto& d : dims)
    if (d.name == name) return &d;
  return nullptr;
}

Result<DimStates> apply_preprocessors(const model::Dataset& dataset,
                                      const std::map<std::string, std::vector<double>>& coords,
                                      const std::vector<Step>& steps) {
  Chain chain(dataset, coords);
  for (const Step& step : steps) ZPMPI_RETURN_IF_ERROR(chain.run(step));
  return std::move(chain).result();
}

Result<std::pair<Index, Index>> sel_window(const model::Dataset& dataset,
                                           const std::map<std::string, std::vector<double>>& coords,
                                           const std::vector<Step>& steps, const std::string& key,
                                           const std::string& dim, const LabelRange& range, bool allow_empty) {
  Chain chain(dataset, coords);
  for (const Step& step : steps) ZPMPI_RETURN_IF_ERROR(chain.run(step));
  DimStates before = chain.states();
  Sel sel{{DimIndexer{dim, range}}};
  sel.clip = true;  // xarray's slicing: labels past the coordinate clip to it
  ZPMPI_RETURN_IF_ERROR(chain.run(Step{key, sel}));
  const DimStates after = std::move(chain).result();
  const DimState* was = before.find(dim);
  const DimState* now = after.find(dim);
  if (now->map.length() == 0 && allow_empty) return std::pair<Index, Index>{0, 0};
  if (now->map.length() == 0) {  // the error of sel without clipping names why
    Chain strict(dataset, coords);
    for (const Step& step : steps) ZPMPI_RETURN_IF_ERROR(strict.run(step));
    ZPMPI_RETURN_IF_ERROR(strict.run(Step{key, Sel{{DimIndexer{dim, range}}}}));
    return runtime_error("internal: " + key + ": the window selects nothing from " + dim);
  }
  // The sel narrowed the dim to an affine run of its output indexes: find where it starts.
  const auto first = now->map.source_index(0);
  for (Index i = 0; i < was->map.length(); ++i)
    if (was->map.source_index(i) == first) return std::pair{i, i + now->map.length()};
  return runtime_error("internal: " + key + ": the window is not in " + dim);
}

void apply_dim_states(std::vector<OutputArray>& arrays, const DimStates& states) {
  std::vector<std::string> scalar_coords;
  for (auto& a : arrays) {
    IndexMap map;
    std::vector<std::string> dims;
    model::Shape shape, align;
    for (std::size_t d = 0; d < a.source.dims.size(); ++d) {
      const DimState* s = states.find(a.source.dims[d]);
      const DimMap m = s ? s->map : DimMap::identity(a.source.shape[d]);
      if (!m.fixed) {
        dims.push_back(a.source.dims[d]);
        shape.push_back(m.length());
        const bool unit_steps = std::all_of(m.segments.begin(), m.segments.end(),
                                            [](const Segment& g) { return g.stride == 1 || g.stride == -1; });
        align.push_back(unit_steps ? a.source.chunks[d] : 1);
      }
      map.dims.push_back(m);
    }
    if (a.is_coordinate && dims.empty() && !a.source.dims.empty()) scalar_coords.push_back(a.name);
    a.dims = std::move(dims);
    a.shape = std::move(shape);
    a.alignment = std::move(align);
    a.map = std::move(map);
  }
  if (scalar_coords.empty()) return;
  // xarray names scalar coordinates in each data variable's "coordinates" attribute.
  for (auto& a : arrays) {
    if (a.is_coordinate) continue;
    std::string names;
    auto it = std::find_if(a.attributes.begin(), a.attributes.end(),
                           [](const model::Attribute& x) { return x.name == "coordinates"; });
    if (it != a.attributes.end() && it->value.is_text()) names = std::get<std::string>(it->value.data);
    for (const auto& c : scalar_coords) names += (names.empty() ? "" : " ") + c;
    if (it != a.attributes.end()) it->value = model::AttrValue{names, std::nullopt};
    else a.attributes.push_back({"coordinates", model::AttrValue{names, std::nullopt}});
  }
}

std::vector<Recommendation> recommendations(const std::vector<OutputArray>& arrays, const DimStates& states) {
  std::vector<Recommendation> out;
  std::set<std::pair<std::string, Index>> seen;
  for (const auto& a : arrays) {
    if (a.is_coordinate || !a.source.chunked) continue;
    for (std::size_t d = 0; d < a.map.dims.size(); ++d) {
      const DimMap& m = a.map.dims[d];
      const DimState* s = states.find(a.source.dims[d]);
      if (!s || !s->selected || m.fixed || m.segments.size() != 1) continue;
      const Segment& g = m.segments[0];
      if (g.stride != 1 && g.stride != -1) continue;
      const Index k = a.source.chunks[d], length = a.source.shape[d];
      if (k >= length) continue;
      const auto lo = static_cast<Index>(std::min(g.src_start, g.src_start + g.stride * static_cast<std::int64_t>(g.length - 1)));
      const Index hi = lo + g.length;  // exclusive
      if (lo % k == 0 && (hi % k == 0 || hi == length)) continue;
      if (!seen.insert({s->name, k}).second) continue;
      Recommendation r;
      r.dim = s->name;
      r.chunk = k;
      r.start = lo;
      r.stop = hi;
      r.aligned_start = (lo % k) * 2 <= k ? lo / k * k : (lo / k + 1) * k;
      r.aligned_stop = std::min(length, (hi % k) * 2 < k ? hi / k * k : (hi / k + 1) * k);
      if (r.aligned_stop <= r.aligned_start) r.aligned_stop = std::min(length, r.aligned_start + k);
      const Index decoded = std::min(length, (hi + k - 1) / k * k) - lo / k * k;
      r.amplification = static_cast<double>(decoded) / static_cast<double>(hi - lo);
      std::string labels;
      if (!s->coords.empty())
        labels = " = " + s->name + " " + fmt(s->coords[r.aligned_start]) + " .. " + fmt(s->coords[r.aligned_stop - 1]);
      char amp[32];
      std::snprintf(amp, sizeof amp, "%.2f", r.amplification);
      r.text = s->name + ": the selection [" + std::to_string(lo) + ", " + std::to_string(hi) +
               ") starts or ends inside a source chunk of " + std::to_string(k) + " (read amplification " + amp +
               "); nearest aligned: [" + std::to_string(r.aligned_start) + ", " + std::to_string(r.aligned_stop) + ")" +
               labels;
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace zpmpi::transform
