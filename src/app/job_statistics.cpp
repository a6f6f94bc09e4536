#include "zpmpi/app/job_statistics.hpp"

#include <algorithm>
#include <cmath>

namespace zpmpi::app {
namespace {

std::optional<double> number_attr(const transform::OutputArray& a, const std::string& name) {
  for (const model::Attribute& attr : a.attributes) {
    if (attr.name != name) continue;
    if (const auto* d = std::get_if<std::vector<double>>(&attr.value.data); d && !d->empty()) return d->front();
    if (const auto* i = std::get_if<std::vector<std::int64_t>>(&attr.value.data); i && !i->empty())
      return static_cast<double>(i->front());
    if (const auto* u = std::get_if<std::vector<std::uint64_t>>(&attr.value.data); u && !u->empty())
      return static_cast<double>(u->front());
  }
  return std::nullopt;
}

std::vector<double> number_list_attr(const transform::OutputArray& a, const std::string& name) {
  for (const model::Attribute& attr : a.attributes) {
    if (attr.name != name) continue;
    if (const auto* d = std::get_if<std::vector<double>>(&attr.value.data)) return *d;
    std::vector<double> out;
    if (const auto* i = std::get_if<std::vector<std::int64_t>>(&attr.value.data))
      for (auto v : *i) out.push_back(static_cast<double>(v));
    if (const auto* u = std::get_if<std::vector<std::uint64_t>>(&attr.value.data))
      for (auto v : *u) out.push_back(static_cast<double>(v));
    return out;
  }
  return {};
}

double as_double(const model::Scalar& s) {
  return std::visit([](auto v) { return static_cast<double>(v); }, s);
}

/// netCDF-3's _Unsigned, as xarray 2023.01 reads it: "true" on a signed integer array (or
/// "false" on an unsigned one) makes it the integer of the same size and the other
/// signedness. The type to read the stored bytes as, if so.
std::optional<model::DType> other_signedness(const transform::OutputArray& a) {
  using model::DType;
  std::string flag;
  for (const model::Attribute& attr : a.attributes)
    if (attr.name == "_Unsigned" && attr.value.is_text()) flag = std::get<std::string>(attr.value.data);
  if (model::is_float(a.dtype) || flag != (model::is_signed_integer(a.dtype) ? "true" : "false")) return {};
  switch (a.dtype) {
    case DType::i1: return DType::u1;
    case DType::u1: return DType::i1;
    case DType::i2: return DType::u2;
    case DType::u2: return DType::i2;
    case DType::i4: return DType::u4;
    case DType::u4: return DType::i4;
    case DType::i8: return DType::u8;
    case DType::u8: return DType::i8;
    default: return {};
  }
}

/// The fill value as xarray converts it with _Unsigned: its bytes read as `as`.
double reinterpreted(const model::Scalar& fill, model::DType stored, model::DType as) {
  std::byte bytes[8];
  model::store_scalar(stored, fill, bytes);
  return as_double(model::load_scalar(as, bytes));
}

std::string names_of(const std::vector<const transform::OutputArray*>& arrays) {
  std::string out;
  for (const auto* a : arrays) out += (out.empty() ? "" : ", ") + a->name;
  return out;
}

std::string dims_of(const transform::OutputArray& a) {
  std::string dims;
  for (const auto& d : a.dims) dims += (dims.empty() ? "" : ", ") + d;
  return dims;
}

/// The position of `dim` among the array's dims; an error naming `key` when it has none.
Result<std::size_t> dim_of(const transform::OutputArray& a, const std::string& dim, const std::string& key) {
  const auto it = std::find(a.dims.begin(), a.dims.end(), dim);
  if (it == a.dims.end())
    return usage_error(key + ": " + a.name + " has no dim '" + dim + "' (its dims: " + dims_of(a) + ")");
  return static_cast<std::size_t>(it - a.dims.begin());
}

Result<stats::ArrayStatisticsSpec> spec_of(const transform::OutputArray& a, const Config::StatisticsRequest& request,
                                           const std::vector<std::pair<model::Index, model::Index>>& windows) {
  const std::vector<std::string>& by = request.by;
  if (a.dtype == model::DType::f2)
    return usage_error("statistics: '" + a.name + "' is float16, which has no statistics here");
  stats::ArrayStatisticsSpec spec;
  spec.array = a.name;
  spec.decoding = value_decoding(a);
  for (std::size_t d = 0; d < a.shape.size(); ++d) spec.selection.window.emplace_back(0, a.shape[d]);
  for (std::size_t w = 0; w < request.windows.size() && w < windows.size(); ++w) {
    const std::string& dim = request.windows[w].first;
    ZPMPI_ASSIGN_OR_RETURN(const std::size_t d, dim_of(a, dim, "statistics." + dim));
    spec.selection.window[d] = windows[w];
    const auto label = [](const transform::Label& l) {
      return std::visit([](const auto& v) { return boost::json::value(v); }, l);
    };
    spec.window_labels[dim] = boost::json::array{label(request.windows[w].second.start),
                                                 label(request.windows[w].second.stop)};
  }
  for (const std::string& dim : by) {
    ZPMPI_ASSIGN_OR_RETURN(const std::size_t d, dim_of(a, dim, "statistics.by"));
    spec.selection.by.push_back(d);
    spec.by_names.push_back(dim);
    spec.by_shape.push_back(a.shape[d]);
  }
  return spec;
}

/// xarray 2023.01 (Debian 12's, the tests' oracle) masks, then scales: a value to mask (NaN
/// is none) promotes a 1- or 2-byte integer to float32 (dtypes.maybe_promote), which
/// _choose_float_dtype keeps; unmasked, such an integer stays float32 without add_offset
/// only; a float32 stays float32; the rest is float64.
bool scales_in_float32(const stats::ValueDecoding& d) {
  if (model::is_float(d.dtype)) return model::dtype_size(d.dtype) <= 4;
  if (model::dtype_size(d.dtype) > 2) return false;
  const bool masked = std::any_of(d.missing.begin(), d.missing.end(), [](double m) { return !std::isnan(m); });
  return masked || !d.add_offset;
}

}  // namespace

stats::ValueDecoding value_decoding(const transform::OutputArray& a) {
  stats::ValueDecoding d;
  const std::optional<model::DType> flipped = other_signedness(a);
  d.dtype = flipped.value_or(a.dtype);
  // What xarray masks: the store's fill value (with _Unsigned, read alike), or without one
  // the _FillValue attribute the store keeps (zarr/metadata.cpp), which xarray's zarr
  // reader then takes; missing_value as it is.
  if (a.fill_value)
    d.missing.push_back(flipped ? reinterpreted(*a.fill_value, a.dtype, d.dtype) : as_double(*a.fill_value));
  else
    d.missing = number_list_attr(a, "_FillValue");
  for (double m : number_list_attr(a, "missing_value")) d.missing.push_back(m);
  d.scale_factor = number_attr(a, "scale_factor");
  d.add_offset = number_attr(a, "add_offset");
  d.scaled_in_float32 = (d.scale_factor || d.add_offset) && scales_in_float32(d);
  return d;
}

Result<std::vector<stats::ArrayStatisticsSpec>> statistics_specs(
    const Config::StatisticsRequest& request, const JobArrays& job,
    const std::vector<std::pair<model::Index, model::Index>>& windows) {
  std::vector<const transform::OutputArray*> data;
  for (const auto& a : job.arrays)
    if (!a.is_coordinate) data.push_back(&a);
  for (const std::string& name : request.variables) {
    const auto is = [&](const auto& a) { return a.name == name; };
    if (std::any_of(data.begin(), data.end(), [&](const auto* a) { return is(*a); })) continue;
    if (std::any_of(job.text_arrays.begin(), job.text_arrays.end(), is))
      return usage_error("statistics.variables: '" + name + "' is a text array: statistics are of numbers");
    return usage_error("statistics.variables: '" + name + "' is not a data variable the job writes (it writes: " +
                       names_of(data) + ")");
  }
  std::vector<stats::ArrayStatisticsSpec> specs;
  for (const auto* a : data) {
    const auto& wanted = request.variables;
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), a->name) == wanted.end()) continue;
    ZPMPI_ASSIGN_OR_RETURN(stats::ArrayStatisticsSpec spec, spec_of(*a, request, windows));
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace zpmpi::app
