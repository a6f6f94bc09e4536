// Preprocessors with xarray semantics, as the job file lists them, in order:
//   {"type": "isel", "time": 0, "latitude": [0, 100], "longitude": [null, null, -1]}
//   {"type": "sel" | "subset", "time": ["2000-01-01", "2000-01-07 23:00"],
//    "latitude": [60, -30], "level": 850}
//   {"type": "reverse_axis", "dim": "latitude"}
//   {"type": "roll", "dim": "longitude", "shifts": 720}
//   {"type": "tiled", "time": 24, "latitude": 200, "boundary": "pad"}  (last; see tiling.hpp)
// isel takes Python slices (negative indices and steps, null bounds) or an integer that
// drops the dim; sel takes label ranges, inclusive like ds.sel(dim=slice(a, b)), or a
// scalar that selects the nearest label and drops the dim; time labels are dates
// resolved through the coordinate's CF units and calendar.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace zpmpi::transform {

/// A Python slice [start:stop:step]; nullopt bounds as in Python.
struct PySlice {
  std::optional<std::int64_t> start, stop, step;
};

/// A coordinate label: a number, or a date string for a CF time coordinate.
using Label = std::variant<double, std::string>;

struct LabelRange {
  Label start, stop;
};

struct DimIndexer {
  std::string dim;
  std::variant<std::int64_t, PySlice, Label, LabelRange> what;  ///< isel: int/PySlice; sel: Label/LabelRange
};

struct Isel {
  std::vector<DimIndexer> dims;
};
struct Sel {
  std::vector<DimIndexer> dims;
};
struct ReverseAxis {
  std::string dim;
};
struct Roll {
  std::string dim;
  std::int64_t shifts = 0;
};

/// xarray's coarsen(boundary=...): "pad" pads the last tile, "trim" drops it, "exact"
/// requires tile sizes that divide the dims.
enum class TileBoundary { kPad, kTrim, kExact };

struct Tiled {
  std::vector<std::pair<std::string, std::int64_t>> sizes;  ///< dim -> tile size (>= 1), as the job lists them
  TileBoundary boundary = TileBoundary::kPad;
  bool validate_axis_order = false;  ///< a tiled dim's coordinate must be strictly ascending
  /// dim -> period: no tile may hold a jump of more than half the period along the dim.
  std::vector<std::pair<std::string, double>> discontinuity_periods{{"longitude", 360.0}, {"lon", 360.0}};
};

/// One preprocessor and where the job names it ("preprocessors[2]") for messages.
struct Step {
  std::string key;
  std::variant<Isel, Sel, ReverseAxis, Roll, Tiled> op;
};

}  // namespace zpmpi::transform
