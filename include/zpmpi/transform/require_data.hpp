// A job must write at least one data variable: a file whose data all live in sub-groups
// (or that holds only coordinates, or only what zpmpi skips) would otherwise give an empty
// store and exit 0.
#pragma once

#include <vector>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/transform/output_array.hpp"

namespace zpmpi::transform {

/// Ok when some array of `arrays` (numeric or text) is not a coordinate. Otherwise an error
/// (ExitCode::kUsage) naming the file, the group read and the groups it did not read, e.g.
///   "data.nc: no data variable to convert in group / (other groups: /g1, /g1/g2, /other);
///    choose one with \"source\": {\"uri\": ..., \"group\": ...}".
Status require_data_variable(const std::vector<OutputArray>& arrays, const model::Dataset& dataset);

}  // namespace zpmpi::transform
