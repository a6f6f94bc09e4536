// The preprocessors that act on whole arrays, their values or attributes rather than on
// one dim (preprocessor.hpp), applied after the per-dim steps (apply_dim_states), in the
// job's order, as xarray would:
//  - transpose: each array's dims in the given order (its own dims only; "..." = the rest
//    in their order; no dims = reversed), as an index-map order (model/index_map.hpp):
//    t2m(time, latitude, longitude) with dims ["latitude", "..."] is written
//    (latitude, time, longitude), its chunks gathered transposed from the source order;
//  - drop_vars, rename (name_dict): the arrays written;
//  - astype, clip, fillna, round: a value stage (model/value_stage.hpp) on each data
//    variable (per variable: that one). The values are first decoded as open_dataset does
//    (fill values to NaN, scale_factor/add_offset applied); the array loses those
//    attributes, is written in the new dtype (the decoded float type without astype: a
//    packed short becomes float32 or float64) with fill_value NaN when it is a float;
//  - assign_attrs, drop_attrs: attributes of the arrays and of the dataset;
//  - expand_dims: new dims of each data variable (per variable: that one), index-map dims
//    with no source dim (model/index_map.hpp), at xarray's `axis` positions:
//    t2m(time, latitude, longitude) with {"dim": "member", "axis": 1} is written
//    (time, member, latitude, longitude); values create the dim's coordinate (an OutputArray
//    with given_values, which take_given_coordinates moves out); a scalar coordinate of the
//    new dim's name becomes its 1-D coordinate, as xarray promotes it.
// Errors (kUsage) name the step, e.g.
//   "preprocessors[2].names: no variable 'x' to drop (variables: t2m, time, latitude)"
//   "preprocessors[3]: clip after astype (preprocessors[1]) is not supported: put astype last"
//   "preprocessors[0]: Dimension time already exists"
//   "preprocessors[0].axis: Axis 4 of variable t2m is out of bounds of the expanded dimension size 4"
#pragma once

#include <optional>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/model/result.hpp"
#include "zpmpi/transform/dataset_transform.hpp"
#include "zpmpi/transform/output_array.hpp"
#include "zpmpi/transform/preprocessor.hpp"
#include "zpmpi/transform/tiling.hpp"

namespace zpmpi::transform {

/// What the steps do to the dataset's own (root) attributes.
struct GroupAttrChanges {
  bool drop_all = false;        ///< drop_attrs: the source's global attributes are not written
  boost::json::object assigned;  ///< assign_attrs, after any drop, in order
};

/// Applies the per-variable steps of `choice` (to the array each names, after its rename),
/// then the array steps of `steps`, to `arrays` (after apply_dim_states, text arrays
/// included). `states`: the per-dim result (a tiled chain refuses transpose).
Result<GroupAttrChanges> apply_array_steps(std::vector<OutputArray>& arrays, const std::vector<Step>& steps,
                                           const std::optional<std::vector<VariableChoice>>& choice,
                                           const DimStates& states);

/// Moves the coordinates expand_dims created with values (OutputArray::given_values) out of
/// `arrays` (after apply_array_steps): nothing is read for them; rank 0 writes each as one
/// chunk with the "{dim}_coarse" coordinates (exec/tile_index_arrays.hpp).
std::vector<CoarseIndexArray> take_given_coordinates(std::vector<OutputArray>& arrays);

}  // namespace zpmpi::transform
