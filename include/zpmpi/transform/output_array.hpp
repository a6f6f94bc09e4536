// The dataset as it will be written: which source variables become which zarr arrays.
//
// Variable choice is the first preprocessor: the data variables the user named (default:
// every data variable, i.e. every variable that is not a coordinate), each optionally
// renamed, followed by the coordinates xarray keeps: every coordinate (dimension
// coordinates and those named in "coordinates" attributes) for the whole dataset, and for
// ds[names] those whose dims are all among the chosen variables' dims.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/transform/preprocessor.hpp"

namespace zpmpi::transform {

using model::DimMap;
using model::Index;
using model::IndexMap;
using model::Segment;

/// One array of the output dataset: its layout (output side, source side, index map; the
/// descriptor every module shares) and what only the metadata needs.
struct OutputArray : model::ArrayLayout {
  std::vector<model::Attribute> attributes;
  bool is_coordinate = false;
  /// Set for the coordinate of a dim that expand_dims created with values ({"member":
  /// [0, 1]}): these are its elements (in `dtype`), nothing is read from the source.
  std::vector<model::Scalar> given_values = {};
};

/// A data variable the user asked for; an empty new_name keeps the source name. `steps`:
/// its per-variable DataArray methods (astype, clip, ...; array_steps.hpp applies them).
struct VariableChoice {
  std::string name;
  std::string new_name;
  std::vector<Step> steps = {};
};

/// The output arrays for `choice` (nullopt = every data variable), data variables first in
/// the order given, then coordinates in source order. Errors (ExitCode::kUsage) name the
/// variable and list what the source has:
///   "variables: 'foo' is not a numeric variable of era5.nc (it has: d2m, t2m)".
Result<std::vector<OutputArray>> choose_arrays(
    const model::Dataset& dataset, const std::optional<std::vector<VariableChoice>>& choice);

}  // namespace zpmpi::transform

namespace zpmpi::transform {

/// Renames the data array called `old_name` (as named after variable choice and earlier
/// renames). Errors (kUsage): no such array, a coordinate, or a name already taken.
Status rename_array(std::vector<OutputArray>& arrays, const std::string& old_name,
                    const std::string& new_name);

}  // namespace zpmpi::transform
