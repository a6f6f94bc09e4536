#include "zpmpi/transform/require_data.hpp"

#include <algorithm>

namespace zpmpi::transform {

Status require_data_variable(const std::vector<OutputArray>& arrays, const model::Dataset& dataset) {
  if (std::any_of(arrays.begin(), arrays.end(), [](const OutputArray& a) { return !a.is_coordinate; }))
    return {};
  std::string message = dataset.uri + ": no data variable to convert in group " + dataset.group;
  if (!dataset.other_groups.empty()) {
    std::string groups;
    for (const auto& g : dataset.other_groups) groups += (groups.empty() ? "" : ", ") + g;
    message += " (other groups: " + groups + "); choose one with \"source\": {\"uri\": ..., \"group\": ...}";
  } else if (!dataset.skipped.empty()) {
    message += " (skipped: " + dataset.skipped.front() + (dataset.skipped.size() > 1 ? ", ..." : "") + ")";
  }
  return usage_error(message);
}

}  // namespace zpmpi::transform
