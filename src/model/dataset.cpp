#include "zpmpi/model/dataset.hpp"

#include <algorithm>
#include <sstream>

namespace zpmpi::model {

const Attribute* Variable::find_attribute(std::string_view attr_name) const {
  for (const auto& a : attributes)
    if (a.name == attr_name) return &a;
  return nullptr;
}

const Variable* Dataset::find_variable(std::string_view var_name) const {
  for (const auto& v : variables)
    if (v.name == var_name) return &v;
  return nullptr;
}

const Dimension* Dataset::find_dim(std::string_view dim_name) const {
  for (const auto& d : dims)
    if (d.name == dim_name) return &d;
  return nullptr;
}

bool Dataset::is_dimension_coordinate(const Variable& v) const {
  return v.dims.size() == 1 && v.dims[0] == v.name;
}

std::vector<std::string> Dataset::auxiliary_coordinate_names() const {
  std::vector<std::string> names;
  for (const auto& v : variables) {
    const Attribute* coords = v.find_attribute("coordinates");
    if (!coords || !coords->value.is_text()) continue;
    const std::string& text = std::get<std::string>(coords->value.data);
    if (!decodes_coordinates(text)) continue;
    std::istringstream words(text);
    for (std::string w; words >> w;)
      if (std::find(names.begin(), names.end(), w) == names.end()) names.push_back(w);
  }
  return names;
}

bool Dataset::decodes_coordinates(const std::string& text) const {
  std::istringstream words(text);
  for (std::string w; words >> w;)
    if (!find_variable(w)) return false;
  return true;
}

}  // namespace zpmpi::model
