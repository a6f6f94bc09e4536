#include "zpmpi/app/job_statistics.hpp"

#include <algorithm>

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

}  // namespace

stats::ValueDecoding value_decoding(const transform::OutputArray& a) {
  stats::ValueDecoding d;
  d.dtype = a.dtype;
  if (a.fill_value) d.missing.push_back(as_double(*a.fill_value));
  for (double m : number_list_attr(a, "missing_value")) d.missing.push_back(m);
  d.scale_factor = number_attr(a, "scale_factor");
  d.add_offset = number_attr(a, "add_offset");
  // xarray's _choose_float_dtype: float32 stays, small integers without an offset go to float32.
  const bool small_float = model::is_float(a.dtype) && model::dtype_size(a.dtype) <= 4;
  const bool small_int = !model::is_float(a.dtype) && model::dtype_size(a.dtype) <= 2 && !d.add_offset;
  d.scaled_in_float32 = (d.scale_factor || d.add_offset) && (small_float || small_int);
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
