// Parsing the xarray-method preprocessors (see xarray_steps.hpp).
#include "zpmpi/transform/xarray_steps.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include <boost/json.hpp>

namespace zpmpi::transform {
namespace json = boost::json;
namespace {

std::string show(const json::value& v) {
  std::string s = json::serialize(v);
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

Error key_error(const std::string& key, const std::string& message) { return usage_error(key + ": " + message); }

/// Keys other than "type" must be among `known`.
Status only(const json::object& p, const std::string& key, const std::string& type,
            std::initializer_list<const char*> known) {
  for (const auto& [k, value] : p) {
    if (k == "type") continue;
    if (std::none_of(known.begin(), known.end(), [&](const char* n) { return k == n; })) {
      std::string names = "type";
      for (const char* n : known) names += std::string(", ") + n;
      return key_error(key, "unknown key '" + std::string(k) + "' for " + type + " (known: " + names + ")");
    }
  }
  return {};
}

Result<std::string> get_string(const json::value& v, const std::string& key) {
  if (!v.is_string()) return key_error(key, "must be a string, got " + show(v));
  return std::string(v.get_string());
}

/// A name or a list of names (xarray's `str | Iterable[str]`).
Result<std::vector<std::string>> get_names(const json::value& v, const std::string& key) {
  if (v.is_string()) return std::vector<std::string>{std::string(v.get_string())};
  if (!v.is_array()) return key_error(key, "must be a name or a list of names, got " + show(v));
  std::vector<std::string> names;
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    ZPMPI_ASSIGN_OR_RETURN(names.emplace_back(), get_string(v.get_array()[i], key + "[" + std::to_string(i) + "]"));
  }
  return names;
}

Result<double> get_number(const json::value& v, const std::string& key) {
  if (!v.is_number()) return key_error(key, "must be a number, got " + show(v));
  return v.to_number<double>();
}

Result<std::int64_t> get_integer(const json::value& v, const std::string& key) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v.get_uint64());
  return key_error(key, "must be an integer, got " + show(v));
}

/// NumPy's dtype names zpmpi writes: the ten netCDF numeric types and float16, spelled
/// "float32" or "f4" (also "<f4").
Result<model::DType> get_dtype(const json::value& v, const std::string& key) {
  static const std::pair<const char*, model::DType> kNames[] = {
      {"float16", model::DType::f2}, {"float32", model::DType::f4}, {"float64", model::DType::f8},
      {"int8", model::DType::i1},    {"int16", model::DType::i2},   {"int32", model::DType::i4},
      {"int64", model::DType::i8},   {"uint8", model::DType::u1},   {"uint16", model::DType::u2},
      {"uint32", model::DType::u4},  {"uint64", model::DType::u8}};
  std::string list;
  for (const auto& [name, t] : kNames) list += (list.empty() ? "" : ", ") + std::string(name);
  if (!v.is_string()) return key_error(key, "must be a dtype name (" + list + "), got " + show(v));
  std::string name(v.get_string());
  for (const auto& [n, t] : kNames)
    if (name == n) return t;
  if (name.size() == 3 && (name[0] == '<' || name[0] == '|')) name = name.substr(1);
  if (auto t = model::output_dtype_from_name(name)) return *t;
  return key_error(key, "must be one of " + list + ", got " + show(v));
}

/// A new dim of length 1 without coordinate values (a name given alone).
NewDim named_dim(std::string name) {
  NewDim d;
  d.name = std::move(name);
  return d;
}

/// One new dim of expand_dims from its mapping value: a length (an integer, as xarray's
/// `isinstance(v, int)`) or the coordinate's values (a list of numbers).
Result<NewDim> new_dim(const std::string& name, const json::value& v, const std::string& key) {
  NewDim d = named_dim(name);
  if (v.is_int64() || v.is_uint64()) {
    ZPMPI_ASSIGN_OR_RETURN(d.length, get_integer(v, key));
    if (d.length < 1) return key_error(key, "the length of a new dimension must be at least 1, got " + show(v));
    return d;
  }
  if (!v.is_array())
    return key_error(key, "must be the new dimension's length or a list of its coordinate values, got " + show(v));
  const json::array& a = v.get_array();
  if (a.empty()) return key_error(key, "a new dimension needs at least one coordinate value");
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_number())
      return key_error(key + "[" + std::to_string(i) + "]",
                       "coordinate values must be numbers (text coordinates are not supported), got " + show(a[i]));
    d.integer_values = d.integer_values && a[i].is_int64();
  }
  for (const auto& x : a)
    d.values.push_back(d.integer_values ? model::Scalar{x.get_int64()} : model::Scalar{x.to_number<double>()});
  d.length = static_cast<std::int64_t>(a.size());
  return d;
}

/// ds.expand_dims(dim=None, axis=None, **dim_kwargs), its arguments checked as xarray does.
Result<Step> parse_expand_dims(const json::object& p, const std::string& key) {
  ExpandDims e;
  const json::value* dim = p.if_contains("dim");
  if (dim && dim->is_null()) dim = nullptr;
  bool keywords = false;
  for (const auto& [k, v] : p) {
    if (k == "type" || k == "dim" || k == "axis") continue;
    keywords = true;
    ZPMPI_ASSIGN_OR_RETURN(e.dims.emplace_back(), new_dim(std::string(k), v, key + "." + std::string(k)));
  }
  if (keywords && dim)
    return key_error(key, "cannot give both \"dim\" and new dimensions as keys (xarray: cannot specify both keyword "
                          "and positional arguments to .expand_dims)");
  if (dim) {
    const std::string where = key + ".dim";
    if (dim->is_string()) {
      e.dims.push_back(named_dim(std::string(dim->get_string())));
    } else if (dim->is_array()) {
      ZPMPI_ASSIGN_OR_RETURN(std::vector<std::string> names, get_names(*dim, where));
      for (const auto& n : names) {
        if (std::count(names.begin(), names.end(), n) > 1)
          return key_error(where, "dims should not contain duplicate values ('" + n + "' is given twice)");
        e.dims.push_back(named_dim(n));
      }
    } else if (dim->is_object()) {
      for (const auto& [k, v] : dim->get_object()) {
        ZPMPI_ASSIGN_OR_RETURN(e.dims.emplace_back(), new_dim(std::string(k), v, where + "." + std::string(k)));
      }
    } else {
      return key_error(where, "dim should be a name, a list of names or a mapping name -> length or values, got " +
                                  show(*dim));
    }
  }
  if (e.dims.empty()) return key_error(key, "expand_dims names no dimension");
  if (const json::value* axis = p.if_contains("axis"); axis && !axis->is_null()) {
    std::vector<std::int64_t>& list = e.axis.emplace();
    if (axis->is_array()) {
      for (std::size_t i = 0; i < axis->get_array().size(); ++i) {
        ZPMPI_ASSIGN_OR_RETURN(list.emplace_back(),
                               get_integer(axis->get_array()[i], key + ".axis[" + std::to_string(i) + "]"));
      }
    } else {
      ZPMPI_ASSIGN_OR_RETURN(list.emplace_back(), get_integer(*axis, key + ".axis"));
    }
    if (list.size() != e.dims.size())
      return key_error(key + ".axis", "lengths of dim and axis should be identical (" + std::to_string(e.dims.size()) +
                                          " dims, " + std::to_string(list.size()) + " axes)");
  }
  return Step{key, std::move(e)};
}

/// The value of a required argument of `type`.
Result<const json::value*> required(const json::object& p, const std::string& key, const std::string& type,
                                    const char* name) {
  const json::value* v = p.if_contains(name);
  if (!v) return key_error(key, type + " needs \"" + name + "\"");
  return v;
}

Result<Step> parse_transpose(const json::object& p, const std::string& key) {
  ZPMPI_RETURN_IF_ERROR(only(p, key, "transpose", {"dims"}));
  Transpose t;
  if (const json::value* v = p.if_contains("dims")) {
    ZPMPI_ASSIGN_OR_RETURN(t.dims, get_names(*v, key + ".dims"));
  }
  if (std::count(t.dims.begin(), t.dims.end(), "...") > 1)
    return key_error(key + ".dims", "\"...\" may be given only once");
  for (std::size_t i = 0; i < t.dims.size(); ++i)
    if (std::count(t.dims.begin(), t.dims.end(), t.dims[i]) > 1)
      return key_error(key + ".dims", "'" + t.dims[i] + "' is given twice");
  return Step{key, t};
}

Result<Step> parse_squeeze(const json::object& p, const std::string& key) {
  ZPMPI_RETURN_IF_ERROR(only(p, key, "squeeze", {"dim"}));
  Squeeze s;
  if (const json::value* v = p.if_contains("dim"); v && !v->is_null()) {
    ZPMPI_ASSIGN_OR_RETURN(s.dims, get_names(*v, key + ".dim"));
    if (s.dims.empty()) return key_error(key + ".dim", "names no dimension");
  }
  return Step{key, s};
}

/// thin's steps from `o` (p itself, whose "type" is skipped, or its "indexers").
Status add_thin_steps(const json::object& o, bool skip_type, const std::string& where, Thin& t) {
  for (const auto& [k, v] : o) {
    if (skip_type && k == "type") continue;
    ZPMPI_ASSIGN_OR_RETURN(std::int64_t step, get_integer(v, where + "." + std::string(k)));
    if (step <= 0) return key_error(where + "." + std::string(k), "step must be positive, got " + show(v));
    t.steps.emplace_back(std::string(k), step);
  }
  return {};
}

Result<Step> parse_thin(const json::object& p, const std::string& key) {
  Thin t;
  if (const json::value* v = p.if_contains("indexers")) {
    ZPMPI_RETURN_IF_ERROR(only(p, key, "thin", {"indexers"}));
    if (!v->is_object()) return key_error(key + ".indexers", "must be an object dim -> step, got " + show(*v));
    ZPMPI_RETURN_IF_ERROR(add_thin_steps(v->get_object(), false, key + ".indexers", t));
  } else {
    ZPMPI_RETURN_IF_ERROR(add_thin_steps(p, true, key, t));
  }
  if (t.steps.empty()) return key_error(key, "thin names no dimension");
  return Step{key, t};
}

Result<Step> parse_drop_vars(const json::object& p, const std::string& key) {
  ZPMPI_RETURN_IF_ERROR(only(p, key, "drop_vars", {"names", "errors"}));
  DropVars d;
  ZPMPI_ASSIGN_OR_RETURN(const json::value* names, required(p, key, "drop_vars", "names"));
  ZPMPI_ASSIGN_OR_RETURN(d.names, get_names(*names, key + ".names"));
  if (const json::value* e = p.if_contains("errors")) {
    ZPMPI_ASSIGN_OR_RETURN(std::string errors, get_string(*e, key + ".errors"));
    if (errors != "raise" && errors != "ignore")
      return key_error(key + ".errors", "must be \"raise\" or \"ignore\", got " + show(*e));
    d.ignore_missing = errors == "ignore";
  }
  return Step{key, d};
}

/// ds.rename(name_dict) or ds.rename(**names).
Result<Step> parse_rename(const json::object& p, const std::string& key) {
  RenameVars r;
  const json::object* names = &p;
  std::string where = key;
  if (const json::value* v = p.if_contains("name_dict")) {
    ZPMPI_RETURN_IF_ERROR(only(p, key, "rename", {"name_dict"}));
    if (!v->is_object()) return key_error(key + ".name_dict", "must be an object old name -> new name, got " + show(*v));
    names = &v->get_object();
    where = key + ".name_dict";
  }
  for (const auto& [k, v] : *names) {
    if (names == &p && k == "type") continue;
    ZPMPI_ASSIGN_OR_RETURN(std::string to, get_string(v, where + "." + std::string(k)));
    r.names.emplace_back(std::string(k), to);
  }
  if (r.names.empty()) return key_error(key, "rename names no variable");
  return Step{key, r};
}

Result<Step> parse_astype(const json::object& p, const std::string& key) {
  ZPMPI_RETURN_IF_ERROR(only(p, key, "astype", {"dtype"}));
  ZPMPI_ASSIGN_OR_RETURN(const json::value* v, required(p, key, "astype", "dtype"));
  ZPMPI_ASSIGN_OR_RETURN(model::DType t, get_dtype(*v, key + ".dtype"));
  return Step{key, AsType{t}};
}

Result<Step> parse_clip(const json::object& p, const std::string& key) {
  ZPMPI_RETURN_IF_ERROR(only(p, key, "clip", {"min", "max"}));
  Clip c;
  for (auto [name, field] : {std::pair{"min", &c.min}, std::pair{"max", &c.max}}) {
    const json::value* v = p.if_contains(name);
    if (!v || v->is_null()) continue;
    ZPMPI_ASSIGN_OR_RETURN(*field, get_number(*v, key + "." + name));
  }
  if (!c.min && !c.max) return key_error(key, "clip needs \"min\" or \"max\"");
  return Step{key, c};
}

Result<Step> parse_fillna(const json::object& p, const std::string& key) {
  ZPMPI_RETURN_IF_ERROR(only(p, key, "fillna", {"value"}));
  ZPMPI_ASSIGN_OR_RETURN(const json::value* v, required(p, key, "fillna", "value"));
  ZPMPI_ASSIGN_OR_RETURN(double value, get_number(*v, key + ".value"));
  return Step{key, FillNa{value}};
}

Result<Step> parse_round(const json::object& p, const std::string& key) {
  ZPMPI_RETURN_IF_ERROR(only(p, key, "round", {"decimals"}));
  Round r;
  if (const json::value* v = p.if_contains("decimals")) {
    ZPMPI_ASSIGN_OR_RETURN(r.decimals, get_integer(*v, key + ".decimals"));
    if (r.decimals < -30 || r.decimals > 30) return key_error(key + ".decimals", "must be in -30 .. 30, got " + show(*v));
  }
  return Step{key, r};
}

Result<Step> parse_assign_attrs(const json::object& p, const std::string& key) {
  AssignAttrs a;
  for (const auto& [k, v] : p) {
    if (k == "type") continue;
    const std::string where = key + "." + std::string(k);
    const bool number_list = v.is_array() && !v.get_array().empty() &&
                             std::all_of(v.get_array().begin(), v.get_array().end(),
                                         [](const json::value& x) { return x.is_number(); });
    if (!v.is_string() && !v.is_number() && !number_list)
      return key_error(where, "must be a string, a number or a list of numbers, got " + show(v));
    a.attrs[k] = v;
  }
  return Step{key, std::move(a)};
}

Result<Step> parse_drop_attrs(const json::object& p, const std::string& key) {
  ZPMPI_RETURN_IF_ERROR(only(p, key, "drop_attrs", {}));
  return Step{key, DropAttrs{}};
}

/// Every type with its spelling, in the order messages list them; `per_variable`: a
/// DataArray method a per-variable list accepts.
struct StepTypeInfo {
  const char* name;
  StepType type;
  bool per_variable;
};
constexpr StepTypeInfo kStepTypes[] = {
    {"isel", StepType::kIsel, false},          {"sel", StepType::kSel, false},
    {"subset", StepType::kSubset, false},      {"reverse_axis", StepType::kReverseAxis, false},
    {"roll", StepType::kRoll, false},          {"tiled", StepType::kTiled, false},
    {"rename", StepType::kRename, true},       {"transpose", StepType::kTranspose, true},
    {"squeeze", StepType::kSqueeze, false},    {"thin", StepType::kThin, false},
    {"drop_vars", StepType::kDropVars, false}, {"astype", StepType::kAsType, true},
    {"clip", StepType::kClip, true},           {"fillna", StepType::kFillNa, true},
    {"round", StepType::kRound, true},         {"assign_attrs", StepType::kAssignAttrs, true},
    {"drop_attrs", StepType::kDropAttrs, false}, {"expand_dims", StepType::kExpandDims, true}};

std::string type_list(bool per_variable) {
  std::string list;
  for (const auto& t : kStepTypes)
    if (t.per_variable || !per_variable) list += (list.empty() ? "" : ", ") + std::string(t.name);
  return list;
}

}  // namespace

std::string unsupported_type_message(const std::string& type, bool per_variable) {
  return "'" + type + "' is not supported (zpmpi applies " +
         (per_variable ? "these DataArray methods: " : "these preprocessors: ") + type_list(per_variable) +
         "; xarray methods that need neighbouring values, like rolling or interp, cannot be cached chunk by chunk)";
}

std::optional<StepType> step_type(std::string_view name, bool per_variable) {
  for (const auto& t : kStepTypes)
    if (name == t.name && (t.per_variable || !per_variable)) return t.type;
  return std::nullopt;
}

Result<StepType> parse_step_type(const std::string& type, const std::string& key, bool per_variable) {
  if (auto t = step_type(type, per_variable)) return *t;
  return key_error(key, unsupported_type_message(type, per_variable));
}

const char* step_type_name(StepType type) {
  for (const auto& t : kStepTypes)
    if (t.type == type) return t.name;
  return "?";  // unreachable: kStepTypes names every enumerator
}

Result<Step> parse_xarray_step(StepType type, const json::object& p, const std::string& key) {
  switch (type) {
    case StepType::kTranspose: return parse_transpose(p, key);
    case StepType::kSqueeze: return parse_squeeze(p, key);
    case StepType::kThin: return parse_thin(p, key);
    case StepType::kDropVars: return parse_drop_vars(p, key);
    case StepType::kRename: return parse_rename(p, key);
    case StepType::kAsType: return parse_astype(p, key);
    case StepType::kClip: return parse_clip(p, key);
    case StepType::kFillNa: return parse_fillna(p, key);
    case StepType::kRound: return parse_round(p, key);
    case StepType::kAssignAttrs: return parse_assign_attrs(p, key);
    case StepType::kDropAttrs: return parse_drop_attrs(p, key);
    case StepType::kExpandDims: return parse_expand_dims(p, key);
    case StepType::kIsel: case StepType::kSel: case StepType::kSubset:
    case StepType::kReverseAxis: case StepType::kRoll: case StepType::kTiled: break;
  }
  return key_error(key + ".type", std::string("'") + step_type_name(type) + "' is not an xarray-method step");
}

Result<std::optional<Step>> parse_xarray_step(const std::string& type, const json::object& p, const std::string& key,
                                              bool per_variable) {
  const std::optional<StepType> t = step_type(type, per_variable);
  // A per-variable rename (DataArray.rename(new_name)) is the caller's, as are isel .. tiled.
  const bool callers = t == StepType::kIsel || t == StepType::kSel || t == StepType::kSubset ||
                       t == StepType::kReverseAxis || t == StepType::kRoll || t == StepType::kTiled;
  if (!t || callers || (per_variable && *t == StepType::kRename)) return std::optional<Step>{};
  ZPMPI_ASSIGN_OR_RETURN(Step step, parse_xarray_step(*t, p, key));
  return std::optional<Step>{std::move(step)};
}

}  // namespace zpmpi::transform
