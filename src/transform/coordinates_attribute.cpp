#include "zpmpi/transform/coordinates_attribute.hpp"

#include <algorithm>
#include <set>
#include <sstream>

namespace zpmpi::transform {
namespace {

std::vector<model::Attribute>::iterator find_coordinates(std::vector<model::Attribute>& attributes) {
  return std::find_if(attributes.begin(), attributes.end(),
                      [](const model::Attribute& a) { return a.name == "coordinates" && a.value.is_text(); });
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += (text.empty() ? "" : " ") + n;
  return text;
}

bool is_dimension_coordinate(const CoordinatesView& a) {
  return a.dims.size() == 1 && a.dims[0] == a.name;
}

}  // namespace

std::string encode_coordinates(std::vector<CoordinatesView>& arrays, const model::Dataset& source) {
  std::set<std::string> written;
  for (const auto& a : arrays) written.insert(a.name);
  std::vector<const CoordinatesView*> coords;  // non-dimension coordinates
  for (const auto& a : arrays)
    if (a.is_coordinate && !is_dimension_coordinate(a)) coords.push_back(&a);
  std::sort(coords.begin(), coords.end(), [](auto* x, auto* y) { return x->name < y->name; });

  std::set<std::string> named;
  for (auto& a : arrays) {
    std::vector<std::string> kept;
    auto it = find_coordinates(a.attributes);
    if (it != a.attributes.end() && !source.decodes_coordinates(std::get<std::string>(it->value.data)))
      continue;  // an ordinary attribute (see the header)
    if (it != a.attributes.end()) {
      std::istringstream text(std::get<std::string>(it->value.data));
      for (std::string n; text >> n;)
        if (written.count(n) && std::find(kept.begin(), kept.end(), n) == kept.end()) kept.push_back(n);
    }
    if (kept.empty() && !a.is_coordinate) {
      for (const CoordinatesView* c : coords) {
        const bool within = std::all_of(c->dims.begin(), c->dims.end(), [&](const std::string& d) {
          return std::find(a.dims.begin(), a.dims.end(), d) != a.dims.end();
        });
        if (within && c->name != a.name) kept.push_back(c->name);
      }
    }
    named.insert(kept.begin(), kept.end());
    if (kept.empty()) {
      if (it != a.attributes.end()) a.attributes.erase(it);
    } else if (it != a.attributes.end()) {
      it->value = model::AttrValue{join(kept), std::nullopt};
    } else {
      a.attributes.push_back({"coordinates", model::AttrValue{join(kept), std::nullopt}});
    }
  }
  std::vector<std::string> global;
  for (const CoordinatesView* c : coords)
    if (!named.count(c->name)) global.push_back(c->name);
  return join(global);
}

}  // namespace zpmpi::transform
