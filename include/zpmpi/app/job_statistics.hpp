// The job's "statistics" (config.hpp) made into one spec per array (stats/array_statistics.hpp):
// which data variables, grouped along which dims, and how xarray decodes the values the
// store holds (its fill value and missing_value masked, then scale_factor/add_offset in
// xarray's float dtype). Pure: rank 0 calls it after the arrays are chosen, before
// anything is written, so that every refusal comes first.
#pragma once

#include <vector>

#include "zpmpi/app/config.hpp"
#include "zpmpi/app/job.hpp"
#include "zpmpi/stats/array_statistics.hpp"

namespace zpmpi::app {

/// One spec per data variable of `job` asked for (coordinates never), in the order of
/// job.arrays. Errors (kUsage) name the key: "statistics.variables: 'foo' is not a data
/// variable the job writes (it writes: t2m, d2m)", "statistics.variables: 'names' is a text
/// array: statistics are of numbers", "statistics.by: t2m has no dim 'level' (its dims:
/// time, latitude, longitude)", "statistics: 'h' is float16, which has no statistics here".
/// `windows`: the output index range [begin, end) of each dim of request.windows (in its
/// order; transform::sel_window), which each variable must have: "statistics.time: t2m
/// has no dim 'time' (its dims: ...)".
Result<std::vector<stats::ArrayStatisticsSpec>> statistics_specs(
    const Config::StatisticsRequest& request, const JobArrays& job,
    const std::vector<std::pair<model::Index, model::Index>>& windows = {});

/// How xarray decodes the values of `array` as stored (its fill value and attributes): as
/// Debian 12's xarray (2023.01), the tests' oracle, does. It masks first, and a value to
/// mask makes a 1- or 2-byte integer float32, so an ERA5 packed short (_FillValue,
/// scale_factor, add_offset) is scaled in float32; without a fill value, add_offset asks for
/// float64. (Newer xarray, since 2024, scales packed values from a zarr store in float64,
/// their attributes being JSON doubles: its figures can differ in the 8th digit.)
stats::ValueDecoding value_decoding(const transform::OutputArray& array);

}  // namespace zpmpi::app
