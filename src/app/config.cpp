#include "zpmpi/app/config.hpp"

#include <charconv>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <system_error>

#include <boost/json.hpp>

#include "strict_json.hpp"
#include "zpmpi/app/config_keys.hpp"
#include "zpmpi/model/bytes.hpp"
#include "zpmpi/transform/xarray_steps.hpp"
#include "zpmpi/zarr/metadata.hpp"
#include "zpmpi/zarr/names.hpp"

namespace zpmpi::app {
namespace json = boost::json;
namespace {

/// A short rendering of a JSON value for "got ..." in messages.
std::string show(const json::value& v) {
  std::string s = v.is_double() ? zarr::dump_json(v) : json::serialize(v);
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

std::string too_big(std::uint64_t size) {
  return "the job file is larger than the limit of 16 MiB (" + std::to_string(kMaxJobFileBytes) +
         " bytes): " + std::to_string(size) + " bytes";
}

Error key_error(const std::string& key, const std::string& message) {
  return usage_error(key + ": " + message);
}

/// A rename target becomes a directory of the store: zarr::check_name must accept it.
Status check_array_name(const std::string& name, const std::string& key) {
  if (auto st = zarr::check_name(name); !st.ok())
    return key_error(key, "'" + name + "' cannot name a Zarr array: it " + st.error().message);
  return {};
}

Result<std::string> get_string(const json::value& v, const std::string& key) {
  if (!v.is_string()) return key_error(key, "must be a string, got " + show(v));
  return std::string(v.get_string());
}

Result<bool> get_bool(const json::value& v, const std::string& key) {
  if (!v.is_bool()) return key_error(key, "must be true or false, got " + show(v));
  return v.get_bool();
}

/// A JSON integer >= 1 (an integral double like 24.0 is refused: chunk counts are exact).
Result<std::uint64_t> get_positive(const json::value& v, const std::string& key) {
  if (v.is_int64() && v.get_int64() >= 1) return static_cast<std::uint64_t>(v.get_int64());
  if (v.is_uint64() && v.get_uint64() >= 1) return v.get_uint64();
  return key_error(key, "must be a positive integer, got " + show(v));
}

/// source.uri: one path or url, or a non-empty list of them.
Status parse_uris(const json::value& v, const std::string& key, std::vector<std::string>& uris) {
  if (v.is_string()) {
    uris = {std::string(v.get_string())};
  } else if (v.is_array() && !v.get_array().empty()) {
    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
      ZPMPI_ASSIGN_OR_RETURN(uris.emplace_back(), get_string(v.get_array()[i], key + "[" + std::to_string(i) + "]"));
    }
  } else {
    return key_error(key, "must be a path or a non-empty list of paths, got " + show(v));
  }
  if (uris.size() == 1 && uris[0].empty()) return key_error("source.uri", "is required");
  for (std::size_t i = 0; i < uris.size(); ++i)
    if (uris[i].empty()) return key_error(key + "[" + std::to_string(i) + "]", "is empty");
  return {};
}

Status parse_source(const json::value& v, Config& config) {
  source::SourceSpec& spec = config.source;
  bool engine_given = false;
  if (v.is_string()) {
    ZPMPI_RETURN_IF_ERROR(parse_uris(v, "source", spec.uris));
  } else if (v.is_object()) {
    for (const auto& [k, value] : v.get_object()) {
      const std::string key = "source." + std::string(k);
      if (k == "uri") {
        ZPMPI_RETURN_IF_ERROR(parse_uris(value, key, spec.uris));
      } else if (k == "engine") {
        ZPMPI_ASSIGN_OR_RETURN(const std::string name, get_string(value, key));
        const auto engine = source::engine_from_name(name);
        if (!engine) return key_error(key, "engine '" + name + "' is not supported (supported: netcdf, kerchunk)");
        spec.engine = *engine;
        engine_given = true;
      } else if (k == "group") {
        ZPMPI_ASSIGN_OR_RETURN(spec.group, get_string(value, key));
      } else if (k == "concat_dim") {
        ZPMPI_ASSIGN_OR_RETURN(spec.concat_dim, get_string(value, key));
      } else if (k == "decoder") {
        ZPMPI_ASSIGN_OR_RETURN(const std::string name, get_string(value, key));
        const auto decoder = source::decoder_from_name(name);
        if (!decoder) return key_error(key, "decoder '" + name + "' is not supported (supported: zpmpi, netcdf-c)");
        spec.decoder = *decoder;
      } else if (k == "storage_options") {
        ZPMPI_ASSIGN_OR_RETURN(spec.storage_options, source::parse_s3_options(value, key));
      } else if (k == "remote_options") {
        ZPMPI_ASSIGN_OR_RETURN(spec.remote_options, source::parse_s3_options(value, key));
      } else {
        return key_error("source", "unknown key '" + std::string(k) +
                                       "' (known: uri, engine, group, concat_dim, decoder, storage_options, remote_options)");
      }
    }
  } else {
    return key_error("source", "must be an object {\"uri\": ...} or a path, got " + show(v));
  }
  if (spec.uris.empty()) return key_error("source.uri", "is required");
  // The Python package's default engine is kerchunk; a reference set is a .json file
  // (compressed: .json.zst, .json.gz).
  const auto is_refs = [](const std::string& u) {
    return u.ends_with(".json") || u.ends_with(".json.zst") || u.ends_with(".json.gz");
  };
  if (!engine_given && spec.uris.size() == 1 && is_refs(spec.uris[0])) spec.engine = source::Engine::kKerchunk;
  if (spec.engine != source::Engine::kKerchunk && spec.remote_options != source::S3Options{})
    return key_error("source.remote_options", "applies to the chunk urls of a kerchunk reference set only (use storage_options)");
  if (spec.engine == source::Engine::kKerchunk && spec.uris.size() != 1)
    return key_error("source.uri", "a kerchunk source is one reference file, got " + std::to_string(spec.uris.size()));
  if (spec.engine == source::Engine::kKerchunk && !spec.group.empty())
    return key_error("source.group", "applies to netCDF sources only, not to a kerchunk reference set");
  if (spec.engine == source::Engine::kKerchunk && spec.decoder != source::Decoder::kZpmpi)
    return key_error("source.decoder", "applies to netCDF sources only (a kerchunk reference set is always decoded by zpmpi)");
  return {};
}

/// One per-variable transform list: rename (new_name) and the DataArray methods of
/// transform/xarray_steps.hpp, into `choice`.
Status parse_variable_transforms(const json::value& v, const std::string& key, transform::VariableChoice& choice) {
  if (!v.is_array()) return key_error(key, "must be a list of transforms, got " + show(v));
  const auto& list = v.get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item_key = key + "[" + std::to_string(i) + "]";
    if (!list[i].is_object()) return key_error(item_key, "must be an object, got " + show(list[i]));
    const auto& t = list[i].get_object();
    const json::value* type = t.if_contains("type");
    if (!type) return key_error(item_key, "has no \"type\"");
    ZPMPI_ASSIGN_OR_RETURN(std::string type_name, get_string(*type, item_key + ".type"));
    ZPMPI_ASSIGN_OR_RETURN(transform::StepType step_type, transform::parse_step_type(type_name, item_key + ".type", true));
    if (step_type != transform::StepType::kRename) {  // DataArray.rename(new_name) is below
      ZPMPI_ASSIGN_OR_RETURN(transform::Step step, transform::parse_xarray_step(step_type, t, item_key));
      choice.steps.push_back(std::move(step));
      continue;
    }
    for (const auto& [k, value] : t) {
      if (k == "type") continue;
      if (k != "new_name") return key_error(item_key, "unknown key '" + std::string(k) + "' (known: type, new_name)");
      ZPMPI_ASSIGN_OR_RETURN(choice.new_name, get_string(value, item_key + ".new_name"));
      ZPMPI_RETURN_IF_ERROR(check_array_name(choice.new_name, item_key + ".new_name"));
    }
    if (!t.contains("new_name")) return key_error(item_key, "rename needs \"new_name\"");
  }
  return {};
}

Status parse_variables(const json::value& v, Config& config) {
  std::vector<transform::VariableChoice> chosen;
  std::set<std::string> seen;
  auto add = [&](transform::VariableChoice choice) -> Status {
    if (choice.name.empty()) return key_error("variables", "a variable name must not be empty");
    if (!seen.insert(choice.name).second) return key_error("variables", "'" + choice.name + "' is listed twice");
    chosen.push_back(std::move(choice));
    return {};
  };
  if (v.is_null()) return {};
  if (v.is_array()) {
    const auto& list = v.get_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      ZPMPI_ASSIGN_OR_RETURN(std::string name,
                             get_string(list[i], "variables[" + std::to_string(i) + "]"));
      ZPMPI_RETURN_IF_ERROR(add({name, ""}));
    }
  } else if (v.is_object()) {
    for (const auto& [k, value] : v.get_object()) {
      transform::VariableChoice choice{std::string(k), ""};
      ZPMPI_RETURN_IF_ERROR(parse_variable_transforms(value, "variables." + std::string(k), choice));
      ZPMPI_RETURN_IF_ERROR(add(std::move(choice)));
    }
  } else {
    return key_error("variables", "must be a list of names or an object name -> transforms, got " + show(v));
  }
  if (chosen.empty()) return key_error("variables", "must name at least one variable");
  config.variables = std::move(chosen);
  return {};
}

Result<std::int64_t> get_integer(const json::value& v, const std::string& key) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v.get_uint64());
  return key_error(key, "must be an integer, got " + show(v));
}

Result<transform::Label> get_label(const json::value& v, const std::string& key) {
  if (v.is_number()) return transform::Label{v.to_number<double>()};
  if (v.is_string()) return transform::Label{std::string(v.get_string())};
  return key_error(key, "must be a number or a date string, got " + show(v));
}

/// isel: an integer, or [start, stop] / [start, stop, step] with integers or nulls.
Result<transform::DimIndexer> parse_isel_dim(const std::string& dim, const json::value& v, const std::string& key) {
  if (v.is_int64() || v.is_uint64()) {
    ZPMPI_ASSIGN_OR_RETURN(std::int64_t i, get_integer(v, key));
    return transform::DimIndexer{dim, i};
  }
  if (!v.is_array() || v.get_array().size() < 2 || v.get_array().size() > 3)
    return key_error(key, "must be an integer or [start, stop] / [start, stop, step], got " + show(v));
  transform::PySlice slice;
  std::optional<std::int64_t>* parts[] = {&slice.start, &slice.stop, &slice.step};
  const auto& a = v.get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_null()) continue;
    ZPMPI_ASSIGN_OR_RETURN(*parts[i], get_integer(a[i], key + "[" + std::to_string(i) + "]"));
  }
  return transform::DimIndexer{dim, slice};
}

/// sel: a label (nearest, drops the dim) or [start, stop] (label-inclusive); with a method,
/// a label or a list of labels (xarray's sel takes no slice with a method).
Result<transform::DimIndexer> parse_sel_dim(const std::string& dim, const json::value& v, const std::string& key,
                                            bool with_method) {
  if (!v.is_array()) {
    ZPMPI_ASSIGN_OR_RETURN(transform::Label label, get_label(v, key));
    return transform::DimIndexer{dim, label};
  }
  if (with_method) {
    transform::LabelList labels;
    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
      ZPMPI_ASSIGN_OR_RETURN(transform::Label label, get_label(v.get_array()[i], key + "[" + std::to_string(i) + "]"));
      labels.push_back(std::move(label));
    }
    if (labels.empty()) return key_error(key, "an empty list selects nothing");
    return transform::DimIndexer{dim, std::move(labels)};
  }
  if (v.get_array().size() != 2) return key_error(key, "must be a label or [start, stop], got " + show(v));
  ZPMPI_ASSIGN_OR_RETURN(transform::Label start, get_label(v.get_array()[0], key + "[0]"));
  ZPMPI_ASSIGN_OR_RETURN(transform::Label stop, get_label(v.get_array()[1], key + "[1]"));
  return transform::DimIndexer{dim, transform::LabelRange{start, stop}};
}

/// sel's dims, and xarray's "method" (only "nearest"; null: none) and "tolerance" (a number,
/// or a duration string for a time coordinate; only with "method").
Result<transform::Sel> parse_sel(const json::object& p, const std::string& key, const std::string& type_name) {
  transform::Sel sel;
  if (const json::value* method = p.if_contains("method"); method && !method->is_null()) {
    if (!method->is_string() || method->get_string() != "nearest")
      return key_error(key + ".method", "must be \"nearest\" (pad and backfill are not supported), got " + show(*method));
    sel.nearest = true;
  }
  if (const json::value* tolerance = p.if_contains("tolerance"); tolerance && !tolerance->is_null()) {
    if (!sel.nearest) return key_error(key + ".tolerance", "needs \"method\": \"nearest\"");
    if (!tolerance->is_number() && !tolerance->is_string())
      return key_error(key + ".tolerance", "must be a number or a duration such as \"2h\", got " + show(*tolerance));
    ZPMPI_ASSIGN_OR_RETURN(sel.tolerance, get_label(*tolerance, key + ".tolerance"));
  }
  for (const auto& [k, value] : p) {
    if (k == "type" || k == "method" || k == "tolerance") continue;
    ZPMPI_ASSIGN_OR_RETURN(transform::DimIndexer ix,
                           parse_sel_dim(std::string(k), value, key + "." + std::string(k), sel.nearest));
    sel.dims.push_back(std::move(ix));
  }
  if (sel.dims.empty()) return key_error(key, type_name + " names no dimension");
  return sel;
}

/// tiled: dim -> tile size (positive integers), "boundary" ("pad", "trim" or "exact"),
/// "validate_axis_order" (bool), "discontinuity_periods" (object dim -> positive number).
Result<transform::Tiled> parse_tiled(const json::object& p, const std::string& key) {
  transform::Tiled t;
  for (const auto& [k, value] : p) {
    const std::string name(k), where = key + "." + name;
    if (name == "type") continue;
    if (name == "boundary") {
      ZPMPI_ASSIGN_OR_RETURN(std::string b, get_string(value, where));
      if (b == "pad") t.boundary = transform::TileBoundary::kPad;
      else if (b == "trim") t.boundary = transform::TileBoundary::kTrim;
      else if (b == "exact") t.boundary = transform::TileBoundary::kExact;
      else return key_error(where, "must be \"pad\", \"trim\" or \"exact\", got " + show(value));
    } else if (name == "validate_axis_order") {
      ZPMPI_ASSIGN_OR_RETURN(t.validate_axis_order, get_bool(value, where));
    } else if (name == "discontinuity_periods") {
      if (!value.is_object()) return key_error(where, "must be an object dim -> period, got " + show(value));
      t.discontinuity_periods.clear();
      for (const auto& [dim, period] : value.get_object()) {
        if (!period.is_number() || !(period.to_number<double>() > 0))
          return key_error(where + "." + std::string(dim), "must be a positive number, got " + show(period));
        t.discontinuity_periods.emplace_back(std::string(dim), period.to_number<double>());
      }
    } else {
      ZPMPI_ASSIGN_OR_RETURN(std::uint64_t size, get_positive(value, where));
      if (size > static_cast<std::uint64_t>(INT64_MAX)) return key_error(where, "is too large");
      t.sizes.emplace_back(name, static_cast<std::int64_t>(size));
    }
  }
  if (t.sizes.empty()) return key_error(key, "tiled names no dimension");
  return t;
}

/// One preprocessor object `p` at `key` ("preprocessors[2]").
class PreprocessorParser {
 public:
  PreprocessorParser(const json::object& p, const std::string& key, const std::string& type_name)
      : p_(p), key_(key), type_name_(type_name) {}

  /// Keys other than "type" must be among `known`.
  Status only(std::initializer_list<const char*> known) const {
    for (const auto& [k, value] : p_) {
      if (k == "type") continue;
      if (std::none_of(known.begin(), known.end(), [&, &k = k](const char* n) { return k == n; })) {
        std::string names = "type";
        for (const char* n : known) names += std::string(", ") + n;
        return key_error(key_, "unknown key '" + std::string(k) + "' for " + type_name_ + " (known: " + names + ")");
      }
    }
    return {};
  }

  Result<std::string> required_string(const char* name) const {
    const json::value* value = p_.if_contains(name);
    if (!value) return key_error(key_, type_name_ + " needs \"" + name + "\"");
    return get_string(*value, key_ + "." + name);
  }

  /// {"type": "rename", "var_id": ..., "new_name": ...}: renames a data variable.
  Status rename(Config& config) const {
    ZPMPI_RETURN_IF_ERROR(only({"var_id", "new_name"}));
    ZPMPI_ASSIGN_OR_RETURN(std::string var_id, required_string("var_id"));
    ZPMPI_ASSIGN_OR_RETURN(std::string new_name, required_string("new_name"));
    ZPMPI_RETURN_IF_ERROR(check_array_name(new_name, key_ + ".new_name"));
    config.renames.push_back({key_, var_id, new_name});
    return {};
  }

  Result<transform::Step> isel() const {
    std::vector<transform::DimIndexer> dims;
    for (const auto& [k, value] : p_) {
      if (k == "type") continue;
      ZPMPI_ASSIGN_OR_RETURN(transform::DimIndexer ix, parse_isel_dim(std::string(k), value, key_ + "." + std::string(k)));
      dims.push_back(std::move(ix));
    }
    if (dims.empty()) return key_error(key_, type_name_ + " names no dimension");
    return transform::Step{key_, transform::Isel{std::move(dims)}};
  }

  Result<transform::Step> roll() const {
    ZPMPI_RETURN_IF_ERROR(only({"dim", "shifts"}));
    ZPMPI_ASSIGN_OR_RETURN(std::string dim, required_string("dim"));
    const json::value* shifts = p_.if_contains("shifts");
    if (!shifts) return key_error(key_, "roll needs \"shifts\"");
    ZPMPI_ASSIGN_OR_RETURN(std::int64_t n, get_integer(*shifts, key_ + ".shifts"));
    return transform::Step{key_, transform::Roll{dim, n}};
  }

  /// The step of `type`: the per-dim ones here, xarray's methods in transform/xarray_steps.
  Result<transform::Step> step(transform::StepType type) const {
    using transform::StepType;
    switch (type) {
      case StepType::kIsel: return isel();
      case StepType::kSel: case StepType::kSubset: {
        ZPMPI_ASSIGN_OR_RETURN(transform::Sel sel, parse_sel(p_, key_, type_name_));
        return transform::Step{key_, std::move(sel)};
      }
      case StepType::kReverseAxis: {
        ZPMPI_RETURN_IF_ERROR(only({"dim"}));
        ZPMPI_ASSIGN_OR_RETURN(std::string dim, required_string("dim"));
        return transform::Step{key_, transform::ReverseAxis{dim}};
      }
      case StepType::kRoll: return roll();
      case StepType::kTiled: {
        ZPMPI_ASSIGN_OR_RETURN(transform::Tiled tiled, parse_tiled(p_, key_));
        return transform::Step{key_, std::move(tiled)};
      }
      default: return transform::parse_xarray_step(type, p_, key_);
    }
  }

 private:
  const json::object& p_;
  const std::string& key_;
  const std::string& type_name_;
};

Status parse_preprocessor(const json::value& v, const std::string& key, Config& config) {
  if (!v.is_object()) return key_error(key, "must be an object, got " + show(v));
  const auto& p = v.get_object();
  const json::value* type = p.if_contains("type");
  if (!type) return key_error(key, "has no \"type\"");
  ZPMPI_ASSIGN_OR_RETURN(std::string type_name, get_string(*type, key + ".type"));
  // Tiling acts on whole arrays after every per-dim step: nothing but renames may follow it.
  if (!config.steps.empty() && std::holds_alternative<transform::Tiled>(config.steps.back().op) &&
      type_name != "rename")
    return key_error(key, type_name + " after tiled (" + config.steps.back().key +
                              "): tiled must come last, after isel, sel, reverse_axis and roll");
  const PreprocessorParser parser(p, key, type_name);
  if (type_name == "rename" && (p.contains("var_id") || p.contains("new_name"))) return parser.rename(config);
  ZPMPI_ASSIGN_OR_RETURN(transform::StepType step_type, transform::parse_step_type(type_name, key + ".type", false));
  ZPMPI_ASSIGN_OR_RETURN(transform::Step step, parser.step(step_type));
  config.steps.push_back(std::move(step));
  return {};
}

Status parse_preprocessors(const json::value& v, Config& config) {
  if (!v.is_array()) return key_error("preprocessors", "must be a list, got " + show(v));
  const auto& list = v.get_array();
  for (std::size_t i = 0; i < list.size(); ++i)
    ZPMPI_RETURN_IF_ERROR(parse_preprocessor(list[i], "preprocessors[" + std::to_string(i) + "]", config));
  return {};
}

Status parse_chunks(const json::value& v, Config& config) {
  if (v.is_string()) {
    if (v.get_string() != "auto") return key_error("chunks", "must be \"auto\" or an object, got " + show(v));
    return {};
  }
  if (v.is_null()) return {};
  if (!v.is_object()) return key_error("chunks", "must be an object dim -> size, \"auto\" or {}, got " + show(v));
  for (const auto& [dim, size] : v.get_object()) {
    ZPMPI_ASSIGN_OR_RETURN(config.chunks.sizes[std::string(dim)],
                           get_positive(size, "chunks." + std::string(dim)));
  }
  return {};
}

Status parse_zarr_format(const json::value& v, Config& config) {
  const auto format = v.is_int64() ? zarr::zarr_format_from(v.get_int64()) : std::nullopt;
  if (!format) return key_error("zarr_format", "must be 2 or 3, got " + show(v));
  config.zarr_format = *format;
  return {};
}

/// "shards": "auto", or an object dim -> a positive size or "auto"; null: not sharded.
Status parse_shards(const json::value& v, Config& config) {
  config.shards.reset();
  if (v.is_null()) return {};
  plan::ShardRequest request;
  if (v.is_string() && v.get_string() == "auto") {
    request.all_auto = true;
  } else if (v.is_object() && !v.get_object().empty()) {
    for (const auto& [dim, size] : v.get_object()) {
      const std::string key = "shards." + std::string(dim);
      if (size.is_string() && size.get_string() == "auto") {
        request.sizes[std::string(dim)] = std::nullopt;
        continue;
      }
      const auto n = get_positive(size, key);
      if (!n.ok()) return key_error(key, "must be a positive integer or \"auto\", got " + show(size));
      request.sizes[std::string(dim)] = *n;
    }
  } else {
    return key_error("shards", "must be \"auto\" or an object dim -> size or \"auto\", got " + show(v));
  }
  config.shards = std::move(request);
  return {};
}

Result<std::vector<std::string>> get_names(const json::value& v, const std::string& key) {
  if (!v.is_array()) return key_error(key, "must be a list of names, got " + show(v));
  std::vector<std::string> names;
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    ZPMPI_ASSIGN_OR_RETURN(std::string name, get_string(v.get_array()[i], key + "[" + std::to_string(i) + "]"));
    names.push_back(std::move(name));
  }
  return names;
}

/// "statistics": true (every written data variable), false or null (none), or an object
/// {"variables": [...], "by": [...], DIM: [start, stop] ...}.
Status parse_statistics(const json::value& v, Config& config) {
  config.statistics.reset();
  if (v.is_null() || (v.is_bool() && !v.get_bool())) return {};
  Config::StatisticsRequest request;
  if (v.is_object()) {
    for (const auto& [key, value] : v.get_object()) {
      const std::string where = "statistics." + std::string(key);
      if (key == "variables") {
        ZPMPI_ASSIGN_OR_RETURN(request.variables, get_names(value, where));
      } else if (key == "by") {
        ZPMPI_ASSIGN_OR_RETURN(request.by, get_names(value, where));
      } else if (value.is_array() && value.get_array().size() == 2) {  // a dim's window
        ZPMPI_ASSIGN_OR_RETURN(transform::Label start, get_label(value.get_array()[0], where + "[0]"));
        ZPMPI_ASSIGN_OR_RETURN(transform::Label stop, get_label(value.get_array()[1], where + "[1]"));
        request.windows.emplace_back(std::string(key), transform::LabelRange{std::move(start), std::move(stop)});
      } else {
        return key_error(where, "must be the labels [start, stop] of the steps that count along " + std::string(key) +
                                    " (the other keys are \"variables\" and \"by\"), got " + show(value));
      }
    }
  } else if (!v.is_bool()) {
    return key_error("statistics", "must be true, false or an object {\"variables\": [...], \"by\": [...], "
                                   "\"time\": [start, stop]}, got " + show(v));
  }
  config.statistics = std::move(request);
  return {};
}

Status parse_store(const json::value& v, Config& config) {
  ZPMPI_ASSIGN_OR_RETURN(config.store, get_string(v, "store"));
  if (config.store.empty()) return key_error("store", "must not be empty");
  return {};
}

Status parse_stats(const json::value& v, Config& config) {
  ZPMPI_ASSIGN_OR_RETURN(config.stats, get_string(v, "stats"));
  if (config.stats.empty()) return key_error("stats", "must not be empty");
  return {};
}

Status parse_cache_label(const json::value& v, Config& config) {
  if (v.is_null()) return {};
  ZPMPI_ASSIGN_OR_RETURN(config.cache_label, get_string(v, "cache_label"));
  return {};
}

Status parse_add_attrs(const json::value& v, Config& config) {
  if (v.is_null()) return {};
  if (!v.is_object()) return key_error("add_attrs", "must be an object, got " + show(v));
  config.add_attrs = v.get_object();
  return {};
}

Status parse_compressor(const json::value& v, Config& config) {
  auto spec = codec::codec_spec_from_json(v);
  if (!spec.ok()) return spec.error().with_context("compressor");
  config.compressor = spec.value();
  return {};
}

Status parse_memory_limit(const json::value& v, Config& config) {
  if (v.is_int64() && v.get_int64() > 0) {
    config.memory_limit = static_cast<std::uint64_t>(v.get_int64());
    return {};
  }
  if (v.is_uint64()) {
    config.memory_limit = v.get_uint64();
    return {};
  }
  if (!v.is_string()) return key_error("memory_limit", "must be a size such as \"2GB\" or \"512MiB\", got " + show(v));
  auto bytes = model::parse_bytes(v.get_string());
  if (!bytes || *bytes == 0)
    return key_error("memory_limit", "cannot parse '" + std::string(v.get_string()) +
                                         "' as a size (e.g. \"2GB\", \"512MiB\", \"1.5GB\")");
  config.memory_limit = *bytes;
  return {};
}

Status parse_num_jobs(const json::value& v, Config& config) {
  if (v.is_null()) return {};
  ZPMPI_ASSIGN_OR_RETURN(std::uint64_t n, get_positive(v, "num_jobs"));
  if (n > 1'000'000'000) return key_error("num_jobs", "is too large: " + std::to_string(n));
  config.num_jobs = static_cast<int>(n);
  return {};
}

Status parse_recommendations(const json::value& v, Config& config) {
  ZPMPI_ASSIGN_OR_RETURN(std::string name, get_string(v, "recommendations"));
  if (name == "halt") config.recommendations = Recommendations::kHalt;
  else if (name == "warn") config.recommendations = Recommendations::kWarn;
  else if (name == "ignore") config.recommendations = Recommendations::kIgnore;
  else return key_error("recommendations", "must be \"halt\", \"warn\" or \"ignore\", got " + show(v));
  return {};
}

Status parse_workers(const json::value& v, Config& config) {
  ZPMPI_ASSIGN_OR_RETURN(std::uint64_t n, get_positive(v, "workers"));
  if (n > kMaxWorkers) return key_error("workers", "must be at most " + std::to_string(kMaxWorkers) + ", got " + show(v));
  config.workers = static_cast<int>(n);
  return {};
}

Status parse_log_level(const json::value& v, Config& config) {
  if (!v.is_int64() || v.get_int64() < 0 || v.get_int64() > 2)
    return key_error("log_level", "must be 0, 1 or 2, got " + show(v));
  config.log_level = static_cast<int>(v.get_int64());
  return {};
}

/// A boolean key into `field`.
template <bool Config::*field, const char* key>
Status parse_flag_key(const json::value& v, Config& config) {
  ZPMPI_ASSIGN_OR_RETURN(config.*field, get_bool(v, key));
  return {};
}
constexpr char kOverwrite[] = "overwrite", kResume[] = "resume", kFsync[] = "fsync", kAllowGaps[] = "allow_gaps";

Status parse_mode(const json::value& v, Config& config) {
  ZPMPI_ASSIGN_OR_RETURN(std::string mode, get_string(v, "mode"));
  if (mode != "write" && mode != "append") return key_error("mode", "must be \"write\" or \"append\", got " + show(v));
  config.append = mode == "append";
  return {};
}

Status parse_append_dim(const json::value& v, Config& config) {
  ZPMPI_ASSIGN_OR_RETURN(config.append_dim, get_string(v, "append_dim"));
  return {};
}

Status parse_max_chunks(const json::value& v, Config& config) {
  ZPMPI_ASSIGN_OR_RETURN(config.max_chunks, get_positive(v, "max_chunks"));
  return {};
}

// The flags: each error names the flag, as program_options' own do.
Status flag_store(const FlagValue& v, Config& config) {
  config.store = std::get<std::string>(v);
  return {};
}

Status flag_memory_limit(const FlagValue& v, Config& config) {
  const std::string& text = std::get<std::string>(v);
  auto bytes = model::parse_bytes(text);
  if (!bytes || *bytes == 0)
    return usage_error("--memory-limit: cannot parse '" + text + "' as a size (e.g. 2GB, 512MiB)");
  config.memory_limit = *bytes;
  return {};
}

Status flag_num_jobs(const FlagValue& v, Config& config) {
  if (std::get<int>(v) < 1) return usage_error("--num-jobs must be a positive integer");
  config.num_jobs = std::get<int>(v);
  return {};
}

template <bool Config::*field>
Status flag_switch(const FlagValue& v, Config& config) {
  if (std::get<bool>(v)) config.*field = true;
  return {};
}

Status flag_log_level(const FlagValue& v, Config& config) {
  if (std::get<int>(v) < 0 || std::get<int>(v) > 2) return usage_error("--log-level must be 0, 1 or 2");
  config.log_level = std::get<int>(v);
  return {};
}

Status flag_workers(const FlagValue& v, Config& config) {
  if (std::get<int>(v) < 1 || std::get<int>(v) > kMaxWorkers)
    return usage_error("--workers must be between 1 and " + std::to_string(kMaxWorkers));
  config.workers = std::get<int>(v);
  return {};
}

/// A positive decimal integer of 64 bits, else nullopt. Flags read numbers as text:
/// program_options would take "-1" as 2^64 - 1 for an unsigned type.
std::optional<std::uint64_t> positive_from_text(std::string_view text) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 1) return std::nullopt;
  return n;
}

Status flag_max_chunks(const FlagValue& v, Config& config) {
  const std::string& text = std::get<std::string>(v);
  const auto n = positive_from_text(text);
  if (!n) return usage_error("--max-chunks must be a positive integer, got '" + text + "'");
  config.max_chunks = *n;
  return {};
}

Status flag_zarr_format(const FlagValue& v, Config& config) {
  const auto format = zarr::zarr_format_from(std::get<int>(v));
  if (!format) return usage_error("--zarr-format must be 2 or 3");
  config.zarr_format = *format;
  return {};
}

/// --shards auto, or DIM=SIZE,... with SIZE a positive integer or auto.
Status flag_shards(const FlagValue& v, Config& config) {
  const std::string& text = std::get<std::string>(v);
  plan::ShardRequest request;
  request.all_auto = text == "auto";
  for (std::size_t at = 0; !request.all_auto && at <= text.size();) {
    const std::size_t end = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, end - at);
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return usage_error("--shards: '" + item + "' is not DIM=SIZE (e.g. time=240,latitude=auto, or auto)");
    const std::string dim = item.substr(0, eq), size = item.substr(eq + 1);
    if (request.sizes.count(dim)) return usage_error("--shards: " + dim + " is given twice");
    if (size == "auto") {
      request.sizes[dim] = std::nullopt;
    } else if (const auto n = positive_from_text(size)) {
      request.sizes[dim] = *n;
    } else {
      return usage_error("--shards: " + dim + " must be a positive integer or auto, got '" + size + "'");
    }
    at = end + 1;
  }
  config.shards = std::move(request);
  return {};
}

Status flag_stats(const FlagValue& v, Config& config) {
  if (std::get<std::string>(v).empty()) return usage_error("--stats needs a file name");
  config.stats = std::get<std::string>(v);
  return {};
}

using enum FlagKind;
const ConfigKey kConfigKeys[] = {
    {"source", parse_source, true},
    {"variables", parse_variables, true},
    {"preprocessors", parse_preprocessors, true},
    {"chunks", parse_chunks, true},
    {"zarr_format", parse_zarr_format, true, kInteger, "zarr-format", "2|3",
     "the store's Zarr format (overrides \"zarr_format\"; default 2)", flag_zarr_format},
    {"shards", parse_shards, true, kText, "shards", "DIM=SIZE,...|auto",
     "Zarr v3 shards, SIZE elements or auto per dim (overrides \"shards\"; default: none)", flag_shards},
    {"store", parse_store, true, kText, "store", "PATH", "output store (overrides \"store\"; default: the job's)",
     flag_store},
    {"cache_label", parse_cache_label, true},
    {"add_attrs", parse_add_attrs, true},
    {"compressor", parse_compressor, true},
    {"memory_limit", parse_memory_limit, false, kText, "memory-limit", "SIZE",
     "buffer memory per rank, e.g. 2GB, 512MiB (overrides \"memory_limit\"; default 2GB)", flag_memory_limit},
    {"num_jobs", parse_num_jobs, false, kInteger, "num-jobs", "N",
     "number of work parts (overrides \"num_jobs\"; default: the ranks)", flag_num_jobs},
    {"overwrite", parse_flag_key<&Config::overwrite, kOverwrite>, false, kSwitch, "overwrite", "",
     "replace an existing zarr store (overrides \"overwrite\"; default off)", flag_switch<&Config::overwrite>},
    {"resume", parse_flag_key<&Config::resume, kResume>, false, kSwitch, "resume", "",
     "finish the interrupted run of this job (after a signal, exit 75, or a kill; overrides \"resume\"; default off)",
     flag_switch<&Config::resume>},
    {"mode", parse_mode, true, kSwitch, "append", "",
     "append the job's data after the store's extent along append_dim (overrides \"mode\"; default \"write\")",
     flag_switch<&Config::append>},
    {"append_dim", parse_append_dim, true},
    {"allow_gaps", parse_flag_key<&Config::allow_gaps, kAllowGaps>, false},
    {"recommendations", parse_recommendations, false},
    {"log_level", parse_log_level, false, kInteger, "log-level", "0|1|2",
     "0 warnings, 1 info, 2 debug (overrides \"log_level\"; default 1)", flag_log_level},
    {"workers", parse_workers, false, kInteger, "workers", "N",
     "encode/write threads per rank (overrides \"workers\"; default 1)", flag_workers},
    {"max_chunks", parse_max_chunks, false, kText, "max-chunks", "N",
     "most output chunks (files) in all (overrides \"max_chunks\"; default 10000000)", flag_max_chunks},
    {"stats", parse_stats, false, kText, "stats", "FILE",
     "write the run's summary as JSON to FILE, also when it fails (overrides \"stats\"; default: none)", flag_stats},
    {"fsync", parse_flag_key<&Config::fsync, kFsync>, true},
    {"statistics", parse_statistics, true},
};

std::string known_keys() {
  std::string s;
  for (const ConfigKey& k : kConfigKeys) s += (s.empty() ? "" : ", ") + std::string(k.name);
  return s;
}

}  // namespace

Result<Config> parse_config(std::string_view text, const std::string& path, JobUse needs) {
  auto in_file = [&](const Error& e) { return e.with_context(path); };
  if (text.size() > kMaxJobFileBytes) return in_file(usage_error(too_big(text.size())));
  auto root = parse_strict_json(text);
  if (!root.ok()) return in_file(root.error());
  if (!root->is_object()) return in_file(usage_error("the job must be a JSON object"));

  Config config;
  config.path = path;
  const auto& object = root->get_object();
  for (const auto& [k, v] : object) {
    if (!find_config_key(k))
      return in_file(usage_error("unknown key '" + std::string(k) + "' (known: " + known_keys() + ")"));
  }
  // Keys in the table's order so that variables are known before preprocessors refer to them.
  for (const ConfigKey& key : kConfigKeys) {
    if (const json::value* v = object.if_contains(key.name)) {
      if (auto st = key.parse(*v, config); !st.ok()) return in_file(st.error());
    }
  }
  if (config.source.uris.empty() && needs == JobUse::kRun) return in_file(usage_error("source: is required"));
  return config;
}

std::span<const ConfigKey> config_keys() { return kConfigKeys; }

const ConfigKey* find_config_key(std::string_view name) {
  for (const ConfigKey& k : kConfigKeys)
    if (k.name == name) return &k;
  return nullptr;
}

Result<Config> load_config(const std::string& path, JobUse needs) {
  // The size is checked before reading: a job is a few kB, and Boost.JSON holds ~50 bytes
  // per element (a 100 MB job of one long list took 5.7 GB). A file that is not regular
  // (a pipe) or grows meanwhile is caught by reading at most one byte past the limit.
  std::error_code ec;
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size > kMaxJobFileBytes)
    return usage_error(path + ": " + too_big(size));
  std::ifstream in(path, std::ios::binary);
  if (!in) return usage_error(path + ": cannot read the job file");
  std::string text;
  char block[65536];
  while (text.size() <= kMaxJobFileBytes && in.read(block, sizeof block).gcount() > 0)
    text.append(block, static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return usage_error(path + ": cannot read the job file");
  return parse_config(text, path, needs);  // refuses text over the limit (read from a pipe)
}

}  // namespace zpmpi::app
