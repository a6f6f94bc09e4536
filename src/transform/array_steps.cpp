// Array, value and attribute steps (see array_steps.hpp).
#include "zpmpi/transform/array_steps.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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
            return std::find(a.source.dims.begin(), a.source.dims.end(), d) != a.source.dims.end();
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

}  // namespace zpmpi::transform
