// Module `transform` (DESIGN.md, "Modules"): the user's preprocessors, applied to the
// dataset's description, never to its data: which arrays are written and, per array, the
// index map from output to source, the output dims, shape, attributes and value stage.
// Rank 0 runs it once; exec later moves data through the maps. Depends on model (index
// maps; CF time for sel's labels, model/cf_time.hpp, not here as DESIGN.md first had it)
// and Boost.JSON. Never: I/O (coordinate values are passed in), MPI, the output chunk
// choice (plan's, plan/output_chunks.hpp).
//
//   preprocessor.hpp   the preprocessors as the job file lists them, parsed
//   xarray_steps.hpp   the job-file form of those named after xarray methods
//   dataset_transform.hpp  per-dim steps -> DimStates -> index maps; recommendations (below)
//   array_steps.hpp    the steps on whole arrays (transpose, drop_vars, rename, value
//                      stages, attributes)
//   output_array.hpp   which source variables become which zarr arrays
//   text_array.hpp     char and string arrays, taken out before planning
//   tiling.hpp         the tiled preprocessor (xarray's coarsen/construct/stack)
//   coordinates_attribute.hpp   the CF "coordinates" attributes of what is written
//   require_data.hpp   a job writes at least one data variable
//   timedelta.hpp      pandas Timedelta strings, for sel's tolerance
//
// Applies the preprocessor chain to the dataset *description*: per dimension, the index
// map from output to source and the coordinate values that remain. Pure: the caller (rank
// 0) reads the 1-D coordinate variables once and passes their values in.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/model/index_map.hpp"
#include "zpmpi/transform/output_array.hpp"
#include "zpmpi/transform/preprocessor.hpp"

namespace zpmpi::transform {

struct DimState {
  std::string name;
  Index source_length = 0;
  DimMap map;                  ///< output -> source indices; fixed when a scalar selection dropped it
  std::vector<double> coords;  ///< source coordinate values (empty if the dim has no coordinate)
  bool selected = false;       ///< a slice or selection narrowed it (recommendations look here)

  /// The value of output index i.
  double coord(Index i) const { return coords[static_cast<std::size_t>(map.source_index(i))]; }
};

struct DimStates {
  std::vector<DimState> dims;  ///< in the dataset's dim order
  /// The `tiled` step, if the chain ends with one (its dims checked against `dims`);
  /// apply_tiling (tiling.hpp) applies it to the arrays.
  std::optional<Step> tiled;
  /// Per transpose step (by key): the dims not dropped at that point of the chain, which
  /// its dims are checked against (array_steps.hpp) among the dims of the arrays written,
  /// then those expand_dims added. Per expand_dims step: the source dims not dropped then
  /// (a dim a later step drops was there when the new dim took its position).
  std::map<std::string, std::vector<std::string>> dims_at;
  const DimState* find(std::string_view name) const;
};

/// Runs `steps` in order. `coords` maps a dim name to its coordinate variable's values.
/// Errors (kUsage) name the step and the dim, e.g.
///   "preprocessors[1].latitude: [-30, 60] selects nothing from latitude (90 .. -90)".
Result<DimStates> apply_preprocessors(const model::Dataset& dataset,
                                      const std::map<std::string, std::vector<double>>& coords,
                                      const std::vector<Step>& steps);

/// The output indexes along `dim` that ds.sel({dim: slice(range.start, range.stop)}) keeps
/// after the chain `steps` (what apply_preprocessors gives): [begin, end). The statistics'
/// window (app/job_statistics.hpp) uses sel's own label semantics (CF calendars, inclusive
/// bounds, a date's whole span). Errors as sel's, naming `key` ("statistics.time: [...]
/// selects nothing from time (...)"). Labels past the coordinate clip to it, as xarray's
/// slicing does; a window that selects nothing is an error, but with `allow_empty` (an
/// append's window: its new steps may all lie outside it) [0, 0).
Result<std::pair<Index, Index>> sel_window(const model::Dataset& dataset,
                                           const std::map<std::string, std::vector<double>>& coords,
                                           const std::vector<Step>& steps, const std::string& key,
                                           const std::string& dim, const LabelRange& range, bool allow_empty = false);

/// Rewrites chosen arrays (source dims) into their transformed form: index maps, output
/// dims and shapes, alignment chunks; coordinates of dropped dims become 0-d arrays named
/// in the data arrays' "coordinates" attribute, as xarray writes them.
void apply_dim_states(std::vector<OutputArray>& arrays, const DimStates& states);

/// A misaligned selection: it starts or ends inside a source chunk of a chunked dim; or a
/// misaligned tile size (tiling.hpp): neither a multiple nor a divisor of the source chunk.
struct Recommendation {
  std::string dim;
  Index chunk = 0;                ///< source chunk extent along the dim
  Index start = 0, stop = 0;      ///< selected source indices [start, stop)
  Index aligned_start = 0, aligned_stop = 0;  ///< nearest chunk-aligned bounds
  Index tile = 0, aligned_tile = 0;  ///< a tile size and the nearest aligned one (0: a selection)
  double amplification = 1;       ///< decoded / needed along this dim
  std::string text;               ///< one line for the user
};

/// The recommendations for the data arrays of `arrays` (after apply_dim_states).
std::vector<Recommendation> recommendations(const std::vector<OutputArray>& arrays, const DimStates& states);

}  // namespace zpmpi::transform
