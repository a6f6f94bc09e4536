#include "kerchunk/kerchunk_describe.hpp"

#include <cmath>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace zpmpi::source::kerchunk {

namespace json = boost::json;

namespace {

/// One .zattrs value as xarray's zarr backend sees it (JSON through Python): integers are
/// int64 (uint64 past it), other numbers float64, lists of one kind stay lists. Nested
/// objects, null and mixed lists have no netCDF-like form: nullopt (skipped).
std::optional<model::AttrValue> attr_value(const json::value& v) {
  model::AttrValue a;
  if (v.is_string()) {
    a.data = std::string(v.as_string());
    return a;
  }
  auto numbers = [&](const std::vector<const json::value*>& xs) -> std::optional<model::AttrValue> {
    bool all_int = true, any_uint = false;
    for (const auto* x : xs) {
      if (x->is_double()) all_int = false;
      else if (x->is_uint64()) any_uint = true;
      else if (!x->is_int64() && !x->is_bool()) return std::nullopt;
    }
    if (!all_int) {
      std::vector<double> d;
      for (const auto* x : xs) d.push_back(x->is_bool() ? x->as_bool() : x->to_number<double>());
      a.data = std::move(d);
      a.dtype = model::DType::f8;
    } else if (any_uint) {
      std::vector<std::uint64_t> d;
      for (const auto* x : xs) {
        if (x->is_int64() && x->as_int64() < 0) return std::nullopt;
        d.push_back(x->is_bool() ? x->as_bool() : x->is_uint64() ? x->as_uint64() : static_cast<std::uint64_t>(x->as_int64()));
      }
      a.data = std::move(d);
      a.dtype = model::DType::u8;
    } else {
      std::vector<std::int64_t> d;
      for (const auto* x : xs) d.push_back(x->is_bool() ? x->as_bool() : x->as_int64());
      a.data = std::move(d);
      a.dtype = model::DType::i8;
    }
    return a;
  };
  if (v.is_number() || v.is_bool()) return numbers({&v});
  if (v.is_array() && !v.as_array().empty()) {
    const auto& arr = v.as_array();
    if (arr[0].is_string()) {
      std::vector<std::string> s;
      for (const auto& x : arr) {
        if (!x.is_string()) return std::nullopt;
        s.emplace_back(x.as_string());
      }
      a.data = std::move(s);
      return a;
    }
    std::vector<const json::value*> xs;
    for (const auto& x : arr) xs.push_back(&x);
    return numbers(xs);
  }
  return std::nullopt;
}

Result<json::value> parse_json_text(const ReferenceSet& set, const std::string& key) {
  const std::string* text = set.metadata(key);
  if (!text) return usage_error(key + ": missing");
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec) return usage_error(key + ": not JSON (" + ec.message() + ")");
  if (!v.is_object()) return usage_error(key + ": must be a JSON object");
  return v;
}

Result<std::vector<model::Attribute>> attributes_of(const json::object& o, const std::string& owner,
                                                    std::vector<std::string>& skipped) {
  std::vector<model::Attribute> out;
  for (const auto& [k, v] : o) {
    if (k == "_ARRAY_DIMENSIONS") continue;
    auto value = attr_value(v);
    if (!value) {
      skipped.push_back("attribute " + owner + std::string(k) + " (a JSON " +
                        (v.is_object() ? "object" : v.is_null() ? "null" : "list of mixed or no values") + ")");
      continue;
    }
    out.push_back({std::string(k), std::move(*value)});
  }
  return out;
}

Result<model::Shape> shape_field(const json::object& o, const char* field) {
  const auto* v = o.if_contains(field);
  if (!v || !v->is_array()) return usage_error(std::string(field) + ": must be a list of integers");
  model::Shape s;
  for (const auto& x : v->as_array()) {
    boost::system::error_code ec;
    const auto n = x.is_number() ? x.to_number<std::uint64_t>(ec) : 0;
    if (!x.is_number() || ec) return usage_error(std::string(field) + ": must be a list of non-negative integers");
    s.push_back(n);
  }
  return s;
}

/// The .zarray fill_value as a scalar of `t`: numbers, "NaN", "Infinity", "-Infinity";
/// nullopt for null.
Result<std::optional<model::Scalar>> fill_of(const json::value& v, model::DType t) {
  if (v.is_null()) return std::optional<model::Scalar>();
  model::Scalar s;
  if (v.is_string()) {
    const auto& str = v.as_string();
    if (!model::is_float(t)) return usage_error("fill_value: \"" + std::string(str) + "\" for an integer dtype");
    if (str == "NaN") s = std::numeric_limits<double>::quiet_NaN();
    else if (str == "Infinity") s = std::numeric_limits<double>::infinity();
    else if (str == "-Infinity") s = -std::numeric_limits<double>::infinity();
    else return usage_error("fill_value: \"" + std::string(str) + "\" is not NaN, Infinity or -Infinity");
  } else if (v.is_int64()) {
    s = v.as_int64();
  } else if (v.is_uint64()) {
    s = v.as_uint64();
  } else if (v.is_double()) {
    s = v.as_double();
  } else if (v.is_bool()) {
    s = std::int64_t{v.as_bool()};
  } else {
    return usage_error("fill_value: must be a number, \"NaN\", \"Infinity\", \"-Infinity\" or null");
  }
  // A float fill on a float array stays itself (NaN included); anything else must fit.
  if (model::is_float(t) && std::holds_alternative<double>(s)) return std::optional<model::Scalar>(s);
  auto exact = model::exact_in(t, s);
  if (!exact) return usage_error("fill_value: not a value of the array's dtype");
  return std::optional<model::Scalar>(*exact);
}

}  // namespace

std::optional<std::pair<model::DType, bool>> numeric_zarr_dtype(std::string_view t) {
  if (t.size() < 3) return std::nullopt;
  const char order = t[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') return std::nullopt;
  const auto dtype = model::dtype_from_name(t.substr(1));
  if (!dtype) return std::nullopt;
  const bool big = order == '>' && model::dtype_size(*dtype) > 1;
  if (order == '|' && model::dtype_size(*dtype) > 1) return std::nullopt;
  return std::make_pair(*dtype, big);
}

namespace {

/// The group's .zgroup and .zattrs, and the urls' schemes (what cannot be read is refused
/// now, not after the store is created). Errors are not yet in the file's context.
Status describe_group(const ReferenceSet& set, model::Dataset& ds) {
  if (!set.metadata(".zgroup")) return usage_error("no .zgroup: not a Zarr group");
  if (set.metadata(".zattrs")) {
    ZPMPI_ASSIGN_OR_RETURN(const json::value attrs, parse_json_text(set, ".zattrs"));
    ZPMPI_ASSIGN_OR_RETURN(ds.attributes, attributes_of(attrs.as_object(), "", ds.skipped));
  }
  for (std::size_t i = 0; i < set.num_urls(); ++i) {
    const std::string& u = set.url(static_cast<std::uint32_t>(i));
    const auto scheme = u.find("://");
    if (scheme == std::string::npos || u.starts_with("http://") || u.starts_with("https://") || u.starts_with("s3://")) continue;
    return usage_error(u + ": " + u.substr(0, scheme) + ":// urls are not supported (paths, file://, http://, https://, s3://)");
  }
  return {};
}

/// An array's .zarray as zpmpi reads it, with its fill_value.
struct Zarray {
  ArrayReading reading;
  std::optional<model::Scalar> fill;
};

/// Reads `name`'s .zarray (`za`); nullopt for an array zpmpi skips (listed in `skipped`).
/// Errors are relative to the array.
Result<std::optional<Zarray>> read_zarray(const std::string& name, const json::object& za,
                                          std::vector<std::string>& skipped) {
  const auto* dtype_v = za.if_contains("dtype");
  if (!dtype_v) return usage_error(".zarray: no dtype");
  if (!dtype_v->is_string()) {
    skipped.push_back("variable " + name + " (structured dtype)");
    return std::optional<Zarray>();
  }
  const std::string typestr(dtype_v->as_string());
  const auto dt = numeric_zarr_dtype(typestr);
  if (!dt) {
    skipped.push_back("variable " + name + " (dtype " + typestr + ")");
    return std::optional<Zarray>();
  }
  if (const auto* order = za.if_contains("order"); order && !(order->is_string() && order->as_string() == "C"))
    return usage_error(".zarray: order " + json::serialize(*order) +
                       " is not supported (only \"C\": rewrite the references with order C)");
  Zarray z;
  ArrayReading& r = z.reading;
  r.dtype = dt->first;
  auto shape = shape_field(za, "shape");
  if (!shape.ok()) return shape.error().with_context(".zarray");
  auto chunks = shape_field(za, "chunks");
  if (!chunks.ok()) return chunks.error().with_context(".zarray");
  r.shape = std::move(shape).value();
  r.chunks = std::move(chunks).value();
  if (r.shape.size() != r.chunks.size())
    return usage_error(".zarray: shape " + model::to_string(r.shape) + " and chunks " + model::to_string(r.chunks) +
                       " differ in rank");
  for (auto c : r.chunks)
    if (c == 0) return usage_error(".zarray: a chunk extent of 0");
  static const json::value kNull = nullptr;
  const auto* compressor = za.if_contains("compressor");
  const auto* filters = za.if_contains("filters");
  ZPMPI_ASSIGN_OR_RETURN(r.chain, codec::DecodeChain::from_zarr(compressor ? *compressor : kNull,
                                                                filters ? *filters : kNull, typestr));
  const auto* fill_v = za.if_contains("fill_value");
  auto fill = fill_of(fill_v ? *fill_v : kNull, r.dtype);
  if (!fill.ok()) return fill.error().with_context(".zarray");
  z.fill = fill.value();
  return std::optional<Zarray>(std::move(z));
}

/// The dims (_ARRAY_DIMENSIONS) and attributes of `v` from its .zattrs `zo`. Errors are
/// relative to the array.
Status read_zattrs(const json::object& zo, model::Variable& v, std::vector<std::string>& skipped) {
  if (const auto* dims = zo.if_contains("_ARRAY_DIMENSIONS")) {
    if (!dims->is_array()) return usage_error("_ARRAY_DIMENSIONS: must be a list of names");
    for (const auto& n : dims->as_array()) {
      if (!n.is_string()) return usage_error("_ARRAY_DIMENSIONS: must be a list of names");
      v.dims.emplace_back(n.as_string());
    }
  }
  ZPMPI_ASSIGN_OR_RETURN(v.attributes, attributes_of(zo, v.name + ":", skipped));
  return {};
}

/// The variable's fill as xarray has it: .zarray's fill_value, which xarray turns into
/// _FillValue (over one in .zattrs), or a _FillValue only in .zattrs (xarray masks with
/// it; as a model fill it must fit the dtype). Sets the reading's fill element too.
void apply_fill(model::Variable& v, ArrayReading& r, const std::optional<model::Scalar>& fill_value) {
  auto attr = std::find_if(v.attributes.begin(), v.attributes.end(), [](const auto& a) { return a.name == "_FillValue"; });
  if (fill_value) {
    if (attr != v.attributes.end()) v.attributes.erase(attr);
    model::AttrValue fa;
    fa.dtype = r.dtype;
    if (const auto* i = std::get_if<std::int64_t>(&*fill_value)) fa.data = std::vector<std::int64_t>{*i};
    else if (const auto* u = std::get_if<std::uint64_t>(&*fill_value)) fa.data = std::vector<std::uint64_t>{*u};
    else fa.data = std::vector<double>{std::get<double>(*fill_value)};
    v.attributes.push_back({"_FillValue", std::move(fa)});
    v.fill_value = fill_value;
  } else if (attr != v.attributes.end() && !attr->value.is_text()) {
    model::Scalar s = std::visit(
        [](const auto& data) -> model::Scalar {
          using T = std::decay_t<decltype(data)>;
          if constexpr (std::is_same_v<T, std::vector<std::int64_t>> || std::is_same_v<T, std::vector<std::uint64_t>> ||
                        std::is_same_v<T, std::vector<double>>)
            return data.empty() ? model::Scalar{std::int64_t{0}} : model::Scalar{data[0]};
          else
            return model::Scalar{std::int64_t{0}};
        },
        attr->value.data);
    v.fill_value = model::is_float(r.dtype) && std::holds_alternative<double>(s) ? std::optional(s) : model::exact_in(r.dtype, s);
    attr->value.dtype = r.dtype;
  }
  r.fill.assign(model::dtype_size(r.dtype), std::byte{0});
  if (fill_value) model::store_scalar(r.dtype, *fill_value, r.fill.data());
}

/// Adds `v`'s dims to the dataset's, or checks their length against an earlier array's.
Status add_dims(model::Dataset& ds, const model::Variable& v) {
  if (v.dims.size() != v.shape.size() && !(v.dims.empty() && v.shape.empty()))
    return usage_error(v.dims.empty() ? "no _ARRAY_DIMENSIONS in .zattrs (xarray needs it to name the dims)"
                                      : "_ARRAY_DIMENSIONS names " + std::to_string(v.dims.size()) +
                                            " dims for a shape of rank " + std::to_string(v.shape.size()));
  for (std::size_t i = 0; i < v.dims.size(); ++i) {
    const model::Dimension* dim = ds.find_dim(v.dims[i]);
    if (!dim) {
      ds.dims.push_back({v.dims[i], v.shape[i], false});
    } else if (dim->length != v.shape[i]) {
      return usage_error("dim " + v.dims[i] + " has length " + std::to_string(v.shape[i]) + " here and " +
                         std::to_string(dim->length) + " in another array");
    }
  }
  return {};
}

/// Adds array `name` (its .zarray and .zattrs) to `d`, unless zpmpi skips it.
Status describe_array(const ReferenceSet& set, const std::string& name, const std::string& key, Description& d) {
  model::Dataset& ds = d.dataset;
  auto in_file = [&](const Error& e) { return e.with_context(set.location()); };
  auto var_error = [&](const Error& e) { return e.with_context(set.location() + ": " + name); };
  auto zarray_v = parse_json_text(set, key);
  if (!zarray_v.ok()) return in_file(zarray_v.error());
  auto zarray = read_zarray(name, zarray_v->as_object(), ds.skipped);
  if (!zarray.ok()) return var_error(zarray.error());
  if (!*zarray) return {};
  ArrayReading& r = (*zarray)->reading;
  r.refs = set.array(name);
  model::Variable v;
  v.name = name;
  v.dtype = r.dtype;
  v.shape = r.shape;
  v.source_chunks = r.chunks;
  v.chunked = true;
  v.compressed = !r.chain.is_identity();
  v.decoded_on_workers = true;
  if (set.metadata(name + "/.zattrs")) {
    auto zattrs = parse_json_text(set, name + "/.zattrs");
    if (!zattrs.ok()) return in_file(zattrs.error());
    if (auto st = read_zattrs(zattrs->as_object(), v, ds.skipped); !st.ok()) return var_error(st.error());
  }
  apply_fill(v, r, (*zarray)->fill);
  if (auto st = add_dims(ds, v); !st.ok()) return var_error(st.error());
  ds.variables.push_back(std::move(v));
  d.arrays.emplace(name, std::move(r));
  return {};
}

}  // namespace

Result<Description> describe(const ReferenceSet& set) {
  Description d;
  d.dataset.uri = set.location();
  d.dataset.warnings = set.warnings();
  if (auto st = describe_group(set, d.dataset); !st.ok()) return st.error().with_context(set.location());
  for (const auto& [key, text] : set.metadata_keys()) {
    if (!key.ends_with("/.zarray")) continue;
    const std::string name = key.substr(0, key.size() - 8);
    if (name.find('/') != std::string::npos) {
      d.dataset.skipped.push_back("array " + name + " (in a sub-group)");
      continue;
    }
    ZPMPI_RETURN_IF_ERROR(describe_array(set, name, key, d));
  }
  return d;
}

}  // namespace zpmpi::source::kerchunk
