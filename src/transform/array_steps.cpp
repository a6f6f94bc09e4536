// Array, value and attribute steps (see array_steps.hpp).
#include "zpmpi/transform/array_steps.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include <boost/json.hpp>

namespace zpmpi::transform {
namespace {

namespace json = boost::json;

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

const model::Attribute* find_attr(const OutputArray& a, std::string_view name) {
  for (const auto& x : a.attributes)
    if (x.name == name) return &x;
  return nullptr;
}

void erase_attr(OutputArray& a, std::string_view name) {
  std::erase_if(a.attributes, [&](const model::Attribute& x) { return x.name == name; });
}

/// The numbers of a numeric attribute, as Scalars of its kind.
std::vector<model::Scalar> attr_scalars(const model::AttrValue& v) {
  std::vector<model::Scalar> out;
  if (const auto* i = std::get_if<std::vector<std::int64_t>>(&v.data)) out.assign(i->begin(), i->end());
  if (const auto* u = std::get_if<std::vector<std::uint64_t>>(&v.data)) out.assign(u->begin(), u->end());
  if (const auto* d = std::get_if<std::vector<double>>(&v.data)) out.assign(d->begin(), d->end());
  return out;
}

bool is_cf_time(const OutputArray& a) {
  const model::Attribute* units = find_attr(a, "units");
  return units && units->value.is_text() && std::get<std::string>(units->value.data).find(" since ") != std::string::npos;
}

/// xarray's dtypes.maybe_promote: the float type that holds NaN beside `t`'s values.
model::DType promote_for_nan(model::DType t) {
  if (model::is_float(t)) return t;
  return model::dtype_size(t) <= 2 ? model::DType::f4 : model::DType::f8;
}

/// xarray's _choose_float_dtype(dtype, has_offset) for scale/offset decoding.
model::DType choose_float(model::DType t, bool has_offset) {
  if (model::is_float(t) && model::dtype_size(t) <= 4) return model::DType::f4;
  if (!model::is_float(t) && model::dtype_size(t) <= 2 && !has_offset) return model::DType::f4;
  return model::DType::f8;
}

/// The array's value stage, created on first use from its source attributes: the values
/// open_dataset decodes (mask, then scale and offset) become the array's values.
Result<model::ValueStage*> stage_of(OutputArray& a, const std::string& key) {
  if (a.values) return &*a.values;
  if (a.text) return usage_error(key + ": " + a.name + " is a text variable; its values cannot be transformed");
  if (is_cf_time(a))
    return usage_error(key + ": " + a.name + " holds CF times (units since ...); transforming their values is not supported");
  if (find_attr(a, "_Unsigned"))
    return usage_error(key + ": " + a.name + " has _Unsigned; transforming its values is not supported");
  model::ValueStage st;
  st.source_dtype = a.dtype;
  for (const char* name : {"missing_value", "_FillValue"}) {
    if (const model::Attribute* f = find_attr(a, name))
      for (const model::Scalar& v : attr_scalars(f->value)) {
        const bool nan = std::holds_alternative<double>(v) && std::isnan(std::get<double>(v));
        if (!nan && std::find(st.mask.begin(), st.mask.end(), v) == st.mask.end()) st.mask.push_back(v);
      }
  }
  if (st.mask.size() > model::kMaxMaskValues)
    return usage_error(key + ": " + a.name + " has more than " + std::to_string(model::kMaxMaskValues) + " fill values");
  st.masked_dtype = st.mask.empty() ? a.dtype : promote_for_nan(a.dtype);
  for (auto [name, field] : {std::pair{"scale_factor", &st.scale_factor}, std::pair{"add_offset", &st.add_offset}}) {
    if (const model::Attribute* f = find_attr(a, name)) {
      const auto values = attr_scalars(f->value);
      if (values.size() != 1) return usage_error(key + ": " + a.name + "'s " + name + " is not one number");
      *field = values[0];
    }
  }
  st.decoded_dtype = (st.scale_factor || st.add_offset) ? choose_float(st.masked_dtype, st.add_offset.has_value())
                                                        : st.masked_dtype;
  for (const char* name : {"_FillValue", "missing_value", "scale_factor", "add_offset"}) erase_attr(a, name);
  a.dtype = st.decoded_dtype;
  a.values = std::move(st);
  return &*a.values;
}

model::AttrValue attr_from_json(const json::value& v) {
  if (v.is_string()) return {std::string(v.get_string()), std::nullopt};
  std::vector<json::value> items;
  if (v.is_array()) items.assign(v.get_array().begin(), v.get_array().end());
  else items.push_back(v);
  if (std::all_of(items.begin(), items.end(), [](const json::value& x) { return x.is_int64(); })) {
    std::vector<std::int64_t> out;
    for (const auto& x : items) out.push_back(x.get_int64());
    return {out, model::DType::i8};
  }
  std::vector<double> out;
  for (const auto& x : items) out.push_back(x.to_number<double>());
  return {out, model::DType::f8};
}

void assign_attrs(OutputArray& a, const json::object& attrs) {
  for (const auto& [k, v] : attrs) {
    erase_attr(a, k);
    a.attributes.push_back({std::string(k), attr_from_json(v)});
  }
}

/// Attributes that xarray keeps in `encoding` (decoding moved them there), which
/// drop_attrs leaves: what the store needs to decode the values as the source.
bool is_encoding_attr(const OutputArray& a, const std::string& name) {
  if (name == "_FillValue" || name == "missing_value" || name == "scale_factor" || name == "add_offset" ||
      name == "coordinates")
    return true;
  return (name == "units" || name == "calendar") && is_cf_time(a);
}

class Steps {
 public:
  Steps(std::vector<OutputArray>& arrays, const DimStates& states) : arrays_(arrays), states_(states) {}

  Status run(const Step& step, OutputArray* only) {
    return std::visit([&](const auto& op) { return apply(step.key, op, only); }, step.op);
  }
  GroupAttrChanges changes() && { return std::move(changes_); }

 private:
  /// The arrays a dataset-level value step changes: the numeric data variables.
  std::vector<OutputArray*> targets(OutputArray* only) {
    if (only) return {only};
    std::vector<OutputArray*> out;
    for (auto& a : arrays_)
      if (!a.is_coordinate && !a.text) out.push_back(&a);
    return out;
  }

  /// xarray's infix_dims check of a dataset's transpose: every named dim exists, and
  /// without "..." every dim is named. The dataset's dims at that step: those of the arrays
  /// written that no earlier step dropped, in the source's order.
  Status check_transpose(const std::string& key, const Transpose& op) {
    std::vector<std::string> present;
    for (const auto& d : states_.dims_at.at(key))
      if (std::any_of(arrays_.begin(), arrays_.end(), [&](const OutputArray& a) {
            return std::find(a.source.dims.begin(), a.source.dims.end(), d) != a.source.dims.end() ||
                   std::find(a.dims.begin(), a.dims.end(), d) != a.dims.end();  // expand_dims' dims
          }))
        present.push_back(d);
    for (const auto& d : op.dims)
      if (d != "..." && std::find(present.begin(), present.end(), d) == present.end())
        return usage_error(key + ".dims: no dimension '" + d + "' (dims: " + join(present) + ")");
    const bool ellipsis = std::find(op.dims.begin(), op.dims.end(), "...") != op.dims.end();
    if (!ellipsis && !op.dims.empty() && op.dims.size() != present.size())
      return usage_error(key + ".dims: must name every dimension (" + join(present) + ") or include \"...\"");
    return {};
  }

  Status apply(const std::string& key, const Transpose& op, OutputArray* only) {
    if (states_.tiled) return usage_error(key + ": transpose before tiled is not supported (tiled orders the dims itself)");
    if (!only) ZPMPI_RETURN_IF_ERROR(check_transpose(key, op));
    for (auto& a : arrays_) {
      if (only && &a != only) continue;
      // xarray: var.transpose(*[d for d in dims if d in var.dims + (...,)]), no dims = reversed.
      std::vector<std::string> want;
      if (op.dims.empty()) want.assign(a.dims.rbegin(), a.dims.rend());
      for (const auto& d : op.dims)
        if (d == "..." || std::find(a.dims.begin(), a.dims.end(), d) != a.dims.end()) want.push_back(d);
      if (only)
        for (const auto& d : op.dims)
          if (d != "..." && std::find(a.dims.begin(), a.dims.end(), d) == a.dims.end())
            return usage_error(key + ".dims: " + a.name + " has no dimension '" + d + "' (dims: " + join(a.dims) + ")");
      std::vector<std::size_t> perm;  // new dim k = current dim perm[k]
      auto index_of = [&](const std::string& d) {
        return static_cast<std::size_t>(std::find(a.dims.begin(), a.dims.end(), d) - a.dims.begin());
      };
      for (const auto& d : want) {
        if (d != "...") {
          perm.push_back(index_of(d));
          continue;
        }
        for (std::size_t i = 0; i < a.dims.size(); ++i)
          if (std::find(want.begin(), want.end(), a.dims[i]) == want.end()) perm.push_back(i);
      }
      if (perm.size() != a.dims.size())
        return usage_error(key + ".dims: must name every dimension of " + a.name + " (" + join(a.dims) +
                           ") or include \"...\"");
      bool moved = false;
      for (std::size_t k = 0; k < perm.size(); ++k) moved = moved || perm[k] != k;
      if (!moved) continue;
      if (a.text) return usage_error(key + ": transposing text variable " + a.name + " is not supported");
      std::vector<std::size_t> order(perm.size());
      for (std::size_t k = 0; k < perm.size(); ++k) order[k] = a.map.order.empty() ? perm[k] : a.map.order[perm[k]];
      const auto dims = a.dims;
      const auto shape = a.shape, alignment = a.alignment;
      for (std::size_t k = 0; k < perm.size(); ++k) {
        a.dims[k] = dims[perm[k]];
        a.shape[k] = shape[perm[k]];
        a.alignment[k] = alignment[perm[k]];
      }
      a.map.order = std::move(order);
      if (!a.map.transposed()) a.map.order.clear();
    }
    return {};
  }

  Status apply(const std::string& key, const DropVars& op, OutputArray*) {
    for (const auto& name : op.names) {
      const auto it = std::find_if(arrays_.begin(), arrays_.end(), [&](const OutputArray& a) { return a.name == name; });
      if (it == arrays_.end()) {
        if (op.ignore_missing) continue;
        std::vector<std::string> names;
        for (const auto& a : arrays_) names.push_back(a.name);
        return usage_error(key + ".names: no variable '" + name + "' to drop (variables: " + join(names) + ")");
      }
      arrays_.erase(it);
    }
    return {};
  }

  Status apply(const std::string& key, const RenameVars& op, OutputArray*) {
    for (const auto& [from, to] : op.names) {
      if (auto st = rename_array(arrays_, from, to); !st.ok()) return st.error().with_context(key + "." + from);
    }
    return {};
  }

  Status apply(const std::string& key, const AsType& op, OutputArray* only) {
    for (OutputArray* a : targets(only)) {
      if (auto st = stage_of(*a, key); !st.ok()) return st.error();
      a->dtype = op.dtype;
      astype_key_[a->name] = key;
    }
    return {};
  }

  /// clip, fillna and round compute in the decoded float type.
  Status add_op(const std::string& key, const char* name, model::ValueOp op, OutputArray* only) {
    for (OutputArray* a : targets(only)) {
      ZPMPI_ASSIGN_OR_RETURN(model::ValueStage * st, stage_of(*a, key));
      // The ops compute on the decoded values, before the one cast: an earlier astype (even
      // back to the decoded type, after int32 truncated) would have changed what they see.
      if (astype_key_.count(a->name))
        return usage_error(key + ": " + name + " after astype (" + astype_key_[a->name] + ") on " + a->name +
                           " is not supported: put astype after it");
      if (!model::is_float(st->decoded_dtype))
        return usage_error(key + ": " + name + " of " + a->name + " (" + std::string(model::dtype_name(a->dtype)) +
                           ", no NaN) is not supported: only float values (decoded or after astype)");
      if (st->ops.size() == model::kMaxValueOps)
        return usage_error(key + ": more than " + std::to_string(model::kMaxValueOps) + " value steps on " + a->name);
      st->ops.push_back(op);
    }
    return {};
  }
  Status apply(const std::string& key, const Clip& op, OutputArray* only) {
    auto num = [](std::optional<double> v) { return v ? std::optional<model::Scalar>(*v) : std::nullopt; };
    return add_op(key, "clip", {"clip", num(op.min), num(op.max)}, only);
  }
  Status apply(const std::string& key, const FillNa& op, OutputArray* only) {
    if (const auto* t = states_.tiled ? std::get_if<Tiled>(&states_.tiled->op) : nullptr;
        t && t->boundary == TileBoundary::kPad)
      return usage_error(key + ": fillna with a padding tiled step (" + states_.tiled->key +
                         ") is not supported (the padding would be filled too)");
    return add_op(key, "fillna", {"fillna", model::Scalar{op.value}, std::nullopt}, only);
  }
  Status apply(const std::string& key, const Round& op, OutputArray* only) {
    return add_op(key, "round", {"round", model::Scalar{op.decimals}, std::nullopt}, only);
  }

  Status apply(const std::string&, const AssignAttrs& op, OutputArray* only) {
    if (only) {
      assign_attrs(*only, op.attrs);
      return {};
    }
    for (const auto& [k, v] : op.attrs) changes_.assigned[k] = v;
    return {};
  }

  Status apply(const std::string&, const DropAttrs&, OutputArray*) {
    changes_.drop_all = true;
    changes_.assigned.clear();
    for (auto& a : arrays_)
      std::erase_if(a.attributes, [&](const model::Attribute& x) { return !is_encoding_attr(a, x.name); });
    return {};
  }

  /// ds.expand_dims (per variable: da.expand_dims): each data variable (that one) gains the
  /// new dims at `axis`, as dims of the index map with no source dim; coordinates are left
  /// alone, except a scalar coordinate of a new dim's name, which becomes its 1-D
  /// coordinate, as xarray promotes it; values create the dim's coordinate.
  Status apply(const std::string& key, const ExpandDims& op, OutputArray* only) {
    if (states_.tiled)
      return usage_error(key + ": expand_dims with tiled (" + states_.tiled->key + ") is not supported");
    std::vector<std::string> dims;  // xarray's ds.dims (per variable: the array's)
    for (const auto& a : arrays_)
      if (!only || &a == only)
        for (const auto& d : a.dims)
          if (std::find(dims.begin(), dims.end(), d) == dims.end()) dims.push_back(d);
    std::vector<std::string> promoted;  // scalar coordinates that become 1-D
    for (const NewDim& d : op.dims) {
      if (std::find(dims.begin(), dims.end(), d.name) != dims.end())
        return usage_error(key + ": Dimension " + d.name + " already exists" + (only ? " in " + only->name : ""));
      // Per variable, the array then joins the dataset: a dim of the name elsewhere must agree.
      for (const auto& other : arrays_)
        for (std::size_t k = 0; k < other.dims.size(); ++k)
          if (other.dims[k] == d.name && other.shape[k] != static_cast<Index>(d.length))
            return usage_error(key + ": " + d.name + " has length " + std::to_string(other.shape[k]) + " in " +
                               other.name + ", not " + std::to_string(d.length) + " (xarray: conflicting sizes)");
      const auto it = std::find_if(arrays_.begin(), arrays_.end(), [&](const OutputArray& a) { return a.name == d.name; });
      if (it == arrays_.end()) continue;
      if (!it->dims.empty())
        return usage_error(key + ": " + d.name + " already exists as coordinate or variable name");
      if (!it->is_coordinate || only)
        return usage_error(key + ": " + d.name + " is a scalar " + (it->is_coordinate ? "coordinate" : "data variable") +
                           "; expand_dims of its name is supported only for a scalar coordinate, on the dataset");
      if (d.values.empty() && d.length != 1)
        return usage_error(key + ": " + d.name + " is a scalar coordinate: expand_dims makes it a dimension of length 1, "
                           "not " + std::to_string(d.length));
      promoted.push_back(d.name);
    }
    std::vector<OutputArray*> expand;
    for (auto& a : arrays_)
      if (only ? &a == only : !a.is_coordinate) expand.push_back(&a);
    for (const std::string& name : promoted) {
      OutputArray& c = *std::find_if(arrays_.begin(), arrays_.end(), [&](const OutputArray& a) { return a.name == name; });
      const NewDim& d = *std::find_if(op.dims.begin(), op.dims.end(), [&](const NewDim& n) { return n.name == name; });
      if (d.values.empty()) expand.push_back(&c);  // becomes c(name); with values, replaced below
      for (auto& a : arrays_) remove_coordinate_name(a, name);
    }
    for (OutputArray* a : expand) {
      if (a->text) return usage_error(key + ": expand_dims of text variable " + a->name + " is not supported");
      // A promoted scalar coordinate gets only its own dim, at 0.
      const bool own = a->is_coordinate && !only;
      ExpandDims one = op;
      if (own) one = {{*std::find_if(op.dims.begin(), op.dims.end(), [&](const NewDim& n) { return n.name == a->name; })}, std::nullopt};
      ZPMPI_RETURN_IF_ERROR(add_dims(*a, key, one, only != nullptr));
    }
    for (const NewDim& d : op.dims) {
      if (d.values.empty()) continue;
      std::erase_if(arrays_, [&](const OutputArray& a) { return a.name == d.name; });  // a promoted scalar: replaced
      OutputArray c;
      c.name = d.name;
      c.dtype = d.integer_values ? model::DType::i8 : model::DType::f8;
      if (!d.integer_values) c.fill_value = std::numeric_limits<double>::quiet_NaN();
      c.dims = {d.name};
      c.map.new_dims = {static_cast<Index>(d.length)};
      c.map.order = {0};
      c.shape = c.chunks = c.alignment = c.map.output_shape();
      c.is_coordinate = true;
      c.given_values = d.values;
      arrays_.push_back(std::move(c));
    }
    return {};
  }

  /// The array's dims gain `op`'s at op.axis (xarray: positions in the result, sorted and
  /// inserted in turn). The positions count the dims the array had at that step: with
  /// `per_variable`, all its source dims; else those the chain had not dropped by then
  /// (states_.dims_at), of which a later drop removes its own.
  Status add_dims(OutputArray& a, const std::string& key, const ExpandDims& op, bool per_variable) {
    const std::vector<std::string>* then = per_variable ? nullptr : &states_.dims_at.at(key);
    std::vector<std::string> dropped_later;
    for (std::size_t s = 0; s < a.source.dims.size(); ++s) {
      const std::string& d = a.source.dims[s];
      if (a.map.dims[s].fixed && (!then || std::find(then->begin(), then->end(), d) != then->end()))
        dropped_later.push_back(d);
    }
    std::vector<std::string> dims_then = a.dims;
    if (!dropped_later.empty()) {
      if (!a.map.order.empty())
        return usage_error(key + ": expand_dims of " + a.name + " after a transpose or expand_dims and before a step "
                           "that drops " + dropped_later.front() + " is not supported (drop it first)");
      dims_then.clear();
      for (std::size_t s = 0; s < a.source.dims.size(); ++s)
        if (!a.map.dims[s].fixed ||
            std::find(dropped_later.begin(), dropped_later.end(), a.source.dims[s]) != dropped_later.end())
          dims_then.push_back(a.source.dims[s]);
    }
    const auto ndim = static_cast<std::int64_t>(dims_then.size() + op.dims.size());
    std::vector<std::pair<std::int64_t, std::size_t>> at;  // (position, new dim)
    for (std::size_t i = 0; i < op.dims.size(); ++i) {
      const std::int64_t axis = op.axis ? (*op.axis)[i] : static_cast<std::int64_t>(i);
      if (axis < -ndim || axis >= ndim)
        return usage_error(key + ".axis: Axis " + std::to_string(axis) + " of variable " + a.name +
                           " is out of bounds of the expanded dimension size " + std::to_string(ndim));
      at.emplace_back(axis < 0 ? axis + ndim : axis, i);
    }
    std::sort(at.begin(), at.end());
    for (std::size_t i = 1; i < at.size(); ++i)
      if (at[i].first == at[i - 1].first)
        return usage_error(key + ".axis: axis should not contain duplicate values (" + a.name + ")");
    for (const auto& [pos, i] : at) dims_then.insert(dims_then.begin() + pos, op.dims[i].name);
    // The stored dim of each current dim, and of each new one (after the existing new dims).
    const std::size_t first_new = a.map.read_rank() + a.map.new_dims.size();
    std::vector<std::string> dims;
    model::Shape shape, alignment;
    std::vector<std::size_t> order;
    for (const std::string& d : dims_then) {
      if (std::find(dropped_later.begin(), dropped_later.end(), d) != dropped_later.end()) continue;
      dims.push_back(d);
      const auto k = static_cast<std::size_t>(std::find(a.dims.begin(), a.dims.end(), d) - a.dims.begin());
      if (k < a.dims.size()) {
        shape.push_back(a.shape[k]);
        alignment.push_back(a.alignment[k]);
        order.push_back(a.map.order.empty() ? k : a.map.order[k]);
        continue;
      }
      const auto i = static_cast<std::size_t>(
          std::find_if(op.dims.begin(), op.dims.end(), [&](const NewDim& n) { return n.name == d; }) - op.dims.begin());
      shape.push_back(static_cast<Index>(op.dims[i].length));
      // Every index reads the same source elements: one "source chunk" spans the dim, so
      // that a batch spans it too and reads them once for all its chunks.
      alignment.push_back(static_cast<Index>(op.dims[i].length));
      order.push_back(first_new + i);
    }
    for (const NewDim& d : op.dims) a.map.new_dims.push_back(static_cast<Index>(d.length));
    a.dims = std::move(dims);
    a.shape = std::move(shape);
    a.alignment = std::move(alignment);
    a.map.order = std::move(order);
    return {};
  }

  /// Drops `name` from the array's "coordinates" attribute (a scalar coordinate no more).
  static void remove_coordinate_name(OutputArray& a, const std::string& name) {
    auto it = std::find_if(a.attributes.begin(), a.attributes.end(),
                           [](const model::Attribute& x) { return x.name == "coordinates"; });
    if (it == a.attributes.end() || !it->value.is_text()) return;
    std::string kept, word;
    std::istringstream words(std::get<std::string>(it->value.data));
    while (words >> word)
      if (word != name) kept += (kept.empty() ? "" : " ") + word;
    if (kept.empty()) a.attributes.erase(it);
    else it->value = model::AttrValue{kept, std::nullopt};
  }

  /// The per-dim steps were applied by apply_dim_states.
  template <class DimStep>
  Status apply(const std::string&, const DimStep&, OutputArray*) {
    return {};
  }

  std::vector<OutputArray>& arrays_;
  const DimStates& states_;
  GroupAttrChanges changes_;
  std::map<std::string, std::string> astype_key_;  ///< array -> the astype step that cast it
};

}  // namespace

Result<GroupAttrChanges> apply_array_steps(std::vector<OutputArray>& arrays, const std::vector<Step>& steps,
                                           const std::optional<std::vector<VariableChoice>>& choice,
                                           const DimStates& states) {
  Steps run(arrays, states);
  if (choice) {
    for (const VariableChoice& c : *choice) {
      const std::string name = c.new_name.empty() ? c.name : c.new_name;
      for (const Step& step : c.steps) {
        auto it = std::find_if(arrays.begin(), arrays.end(), [&](const OutputArray& a) { return a.name == name; });
        if (it == arrays.end()) return usage_error(step.key + ": no array '" + name + "'");
        ZPMPI_RETURN_IF_ERROR(run.run(step, &*it));
      }
    }
  }
  for (const Step& step : steps) ZPMPI_RETURN_IF_ERROR(run.run(step, nullptr));
  // A value stage writes its own dtype: NaN marks missing floats, as xarray's to_zarr writes.
  for (auto& a : arrays)
    if (a.values) a.fill_value = model::is_float(a.dtype) ? std::optional<model::Scalar>(std::numeric_limits<double>::quiet_NaN()) : std::nullopt;
  return std::move(run).changes();
}

std::vector<CoarseIndexArray> take_given_coordinates(std::vector<OutputArray>& arrays) {
  const auto given = std::stable_partition(arrays.begin(), arrays.end(),
                                           [](const OutputArray& a) { return a.given_values.empty(); });
  std::vector<CoarseIndexArray> out;
  for (auto it = given; it != arrays.end(); ++it) out.push_back({std::move(*it), 0});
  arrays.erase(given, arrays.end());
  return out;
}

}  // namespace zpmpi::transform
