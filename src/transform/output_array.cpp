#include "zpmpi/transform/output_array.hpp"

#include <algorithm>
#include <set>

namespace zpmpi::transform {
namespace {

OutputArray from_variable(const model::Variable& v, bool is_coordinate) {
  OutputArray a;
  a.name = v.name;
  a.dtype = v.dtype;
  a.text = v.text;
  a.dims = v.dims;
  a.shape = v.shape;
  a.fill_value = v.fill_value;
  a.source = {v.name, v.dims, v.shape, v.source_chunks, v.chunked, v.compressed, v.decoded_on_workers};
  a.alignment = v.source_chunks;
  a.map = IndexMap::identity(v.shape);
  a.attributes = v.attributes;
  a.is_coordinate = is_coordinate;
  return a;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

Result<std::vector<OutputArray>> choose_arrays(
    const model::Dataset& dataset, const std::optional<std::vector<VariableChoice>>& choice) {
  const std::vector<std::string> aux = dataset.auxiliary_coordinate_names();
  auto is_coordinate = [&](const model::Variable& v) {
    return dataset.is_dimension_coordinate(v) || contains(aux, v.name);
  };
  std::vector<std::string> data_names;
  for (const auto& v : dataset.variables)
    if (!is_coordinate(v)) data_names.push_back(v.name);

  std::vector<VariableChoice> chosen;
  if (choice) {
    chosen = *choice;
  } else {
    for (const auto& n : data_names) chosen.push_back({n, ""});
  }

  std::vector<OutputArray> out;
  std::set<std::string> used_names;
  for (const auto& c : chosen) {
    const model::Variable* v = dataset.find_variable(c.name);
    if (!v) {
      std::vector<std::string> all;
      for (const auto& var : dataset.variables) all.push_back(var.name);
      return usage_error("variables: '" + c.name + "' is not a variable of " + dataset.uri + " that zpmpi can write" +
                         " (it has: " + join(all) + ")");
    }
    OutputArray a = from_variable(*v, is_coordinate(*v));
    if (!c.new_name.empty()) {
      if (a.is_coordinate)
        return usage_error("variables." + c.name + ": renaming a coordinate is not supported");
      a.name = c.new_name;
    }
    if (!used_names.insert(a.name).second)
      return usage_error("variables: two output arrays would be named '" + a.name + "'");
    out.push_back(std::move(a));
  }

  // Coordinates as xarray keeps them: all of them for the whole dataset; for a chosen list,
  // those whose dims are all dims of the chosen variables (Dataset.__getitem__ with a list).
  std::set<std::string> needed_dims;
  for (const auto& a : out) needed_dims.insert(a.dims.begin(), a.dims.end());
  for (const auto& v : dataset.variables) {
    if (!is_coordinate(v) || used_names.count(v.name)) continue;
    const bool within = std::all_of(v.dims.begin(), v.dims.end(), [&](const std::string& d) { return needed_dims.count(d) > 0; });
    if (choice && !within) continue;
    used_names.insert(v.name);
    out.push_back(from_variable(v, true));
  }
  return out;
}

}  // namespace zpmpi::transform

namespace zpmpi::transform {

Status rename_array(std::vector<OutputArray>& arrays, const std::string& old_name,
                    const std::string& new_name) {
  OutputArray* target = nullptr;
  for (auto& a : arrays) {
    if (a.name == new_name) return usage_error("an array is already named '" + new_name + "'");
    if (a.name == old_name) target = &a;
  }
  if (!target) return usage_error("no output array is named '" + old_name + "'");
  if (target->is_coordinate) return usage_error("renaming coordinate '" + old_name + "' is not supported");
  target->name = new_name;
  return {};
}

}  // namespace zpmpi::transform
