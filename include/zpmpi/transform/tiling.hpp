// The `tiled` preprocessor: the dataset cut into tiles for ML batches, exactly as xarray's
//   ds.coarsen(time=T, latitude=Y, boundary=b).construct(time=("time_coarse", "time_fine"), ...)
//     .stack(batch_dim=[tiled dims' "_coarse", in the dataset's dim order])
//     .reset_index("batch_dim")
// with each array transposed to ("batch_dim", then per own dim: "{dim}_fine" if tiled, else
// the dim), and written one tile per chunk (1 along batch_dim, whole extents elsewhere).
//
// Example: t2m(time 30, latitude 37, longitude 72) tiled time 8, latitude 10, longitude 16
// (pad): t2m(batch_dim 80, time_fine 8, latitude_fine 10, longitude_fine 16), padded with
// NaN past the ends; the coordinate latitude(batch_dim, latitude_fine) (xarray broadcasts
// every coordinate of a tiled dim along batch_dim); latitude_coarse(batch_dim) = 0 0 0 0 0
// 1 1 ... (int64, the tile's index along latitude); arrays without a tiled dim unchanged.
//
// Padding is the fill value, NaN for a float without one. xarray pads integers by
// promoting them to float with NaN: an integer array with a _FillValue pads with it (xarray
// decodes both to NaN); an integer coordinate without one pads with a value none of its
// elements holds, recorded as its fill value (time then decodes to NaT, as in xarray); an
// integer data variable without one cannot be padded so and is an error naming it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "zpmpi/model/result.hpp"
#include "zpmpi/transform/dataset_transform.hpp"
#include "zpmpi/transform/output_array.hpp"

namespace zpmpi::transform {

inline constexpr const char* kBatchDim = "batch_dim";

/// A "{dim}_coarse" coordinate: its values are the grid index along `axis` of each batch
/// (computed, not read: exec/tile_index_arrays.hpp writes it). Also the coordinate of a dim
/// expand_dims created with values: array.given_values set, `axis` unused.
struct CoarseIndexArray {
  OutputArray array;  ///< int64, dims {"batch_dim"}, one chunk; map: a tile stage over no source dim
  std::size_t axis = 0;
};

/// Applies states.tiled (if any) to `arrays` (after apply_dim_states; text arrays taken
/// out) and returns the coarse index coordinates to add. Errors (kUsage) name the step:
///   "preprocessors[2].latitude: coordinate latitude is not strictly ascending (90 .. -90);
///    reverse it first ({"type": "reverse_axis", "dim": "latitude"}) or set validate_axis_order to false"
///   "preprocessors[2].longitude: tiles 0, 1 (of 5 along longitude) cross a discontinuity of
///    longitude (a jump of more than 180 inside a tile, period 360)"
///   "preprocessors[2].latitude: length 37 is not a multiple of the tile 10 (boundary \"exact\")"
///   "preprocessors[2]: tiling pads latitude (37 = 3 x 10 + 7), and i4v is an integer
///    variable without _FillValue (xarray would make it float with NaN); ..."
/// `text_arrays`: a text array along a tiled dim is an error (not supported).
Result<std::vector<CoarseIndexArray>> apply_tiling(std::vector<OutputArray>& arrays,
                                                   const std::vector<OutputArray>& text_arrays,
                                                   const DimStates& states);

/// The recommendations for the tile sizes of states.tiled (none without one): per tiled dim
/// of a chunked data array whose tile is neither a multiple nor a divisor of the source
/// chunk, the nearest size that is (a divisor of the chunk or a multiple of it, the larger
/// when two are as near) and the read amplification along the dim (source elements of the
/// chunks the tiles touch / elements the tiles need), e.g.
///   "latitude: tiles of 10 cut source chunks of 16 (read amplification 1.60); nearest aligned tile size: 8"
/// Call after apply_tiling.
std::vector<Recommendation> tiling_recommendations(const std::vector<OutputArray>& arrays, const DimStates& states);

}  // namespace zpmpi::transform
