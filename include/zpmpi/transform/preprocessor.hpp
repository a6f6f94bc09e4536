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
// resolved through the coordinate's CF units and calendar. With "method": "nearest" (and
// optionally "tolerance": 0.5 or "2h"), sel is xarray's ds.sel(..., method="nearest"):
// labels outside the coordinate take its edge, and lists are lists of labels.
//
// xarray's own methods, with its argument names (`getattr(ds, type)(**kwargs)`; see
// xarray_steps.hpp for the JSON and array_steps.hpp for how they apply):
//   {"type": "transpose", "dims": ["latitude", "longitude", "..."]}   ds.transpose(*dims)
//   {"type": "squeeze", "dim": "level"} (or no dim: every dim of length 1)
//   {"type": "thin", "time": 6}                                        ds.thin(time=6)
//   {"type": "drop_vars", "names": ["d2m"], "errors": "raise"}
//   {"type": "rename", "name_dict": {"t2m": "temp"}} (or the names as keys)
//   {"type": "astype", "dtype": "float16"}, {"type": "clip", "min": 0, "max": 1},
//   {"type": "fillna", "value": 0}, {"type": "round", "decimals": 2}
//   {"type": "assign_attrs", "units": "K", ...}, {"type": "drop_attrs"}
//   {"type": "expand_dims", "dim": "member", "axis": -1} (or ["a", "b"], {"member": 1},
//    {"member": [0]}, or the names as keys: {"type": "expand_dims", "member": 1})
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/model/dtype.hpp"

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

/// Labels each selecting its nearest coordinate; the dim is kept, in the list's order.
using LabelList = std::vector<Label>;

struct DimIndexer {
  std::string dim;
  /// isel: int/PySlice; sel: Label/LabelRange, with "method": Label/LabelList
  std::variant<std::int64_t, PySlice, Label, LabelRange, LabelList> what;
};

struct Isel {
  std::vector<DimIndexer> dims;
};
/// ds.sel. Without `nearest` (no "method"): a label selects the nearest coordinate inside
/// the coordinate's range (outside it is an error), a [start, stop] a label range. With
/// `nearest` ("method": "nearest"), as ds.sel(..., method="nearest", tolerance=...): a
/// label outside the range takes the edge, a list is a list of labels (xarray takes no
/// slice with a method), and a label farther than `tolerance` from every coordinate is an
/// error naming it (xarray's KeyError).
struct Sel {
  Sel() = default;
  explicit Sel(std::vector<DimIndexer> d, bool n = false, std::optional<Label> t = {})
      : dims(std::move(d)), nearest(n), tolerance(std::move(t)) {}
  std::vector<DimIndexer> dims;
  bool nearest = false;
  /// In the coordinate's units; a duration string (timedelta.hpp) for a CF time coordinate.
  std::optional<Label> tolerance;
  /// Not from a job (sel_window of an append): range labels past the coordinate are
  /// clipped to it, and a range that selects nothing is empty rather than an error.
  bool clip = false;
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

/// ds.transpose(*dims): "..." stands for the dims not named, in their order.
struct Transpose {
  std::vector<std::string> dims;
};
/// ds.squeeze(dim): the named dims (each of length 1), or every dim of length 1.
struct Squeeze {
  std::vector<std::string> dims;  ///< empty: every dim of length 1
};
/// ds.thin(dim=step): every step-th element from the first.
struct Thin {
  std::vector<std::pair<std::string, std::int64_t>> steps;
};
/// ds.drop_vars(names, errors=...).
struct DropVars {
  std::vector<std::string> names;
  bool ignore_missing = false;  ///< errors="ignore"
};
/// ds.rename(name_dict): variables only (renaming dims is not supported).
struct RenameVars {
  std::vector<std::pair<std::string, std::string>> names;  ///< old -> new, as listed
};
/// Value transforms of the data variables (per variable: of that one): astype(dtype),
/// clip(min, max), fillna(value), round(decimals).
struct AsType {
  model::DType dtype = model::DType::f4;
};
struct Clip {
  std::optional<double> min, max;
};
struct FillNa {
  double value = 0;
};
struct Round {
  std::int64_t decimals = 0;
};
/// ds.assign_attrs(**attrs) (the dataset's attributes; per variable: the variable's).
struct AssignAttrs {
  boost::json::object attrs;
};
/// ds.drop_attrs(): every attribute of the dataset and its variables.
struct DropAttrs {};

/// One dim ds.expand_dims adds: its name and length, or the values of the coordinate
/// xarray creates for it ({"member": [0, 1]}: length 2, coordinate member = [0, 1]).
struct NewDim {
  std::string name;
  std::int64_t length = 1;
  std::vector<model::Scalar> values;  ///< empty: no coordinate; else length == values.size()
  bool integer_values = true;         ///< the values are integers (int64), else float64
};
/// ds.expand_dims(dim, axis): new dims of the data variables (per variable: of that one),
/// at `axis` (positions in the result, negative from the end; none: 0, 1, ...).
struct ExpandDims {
  std::vector<NewDim> dims;
  std::optional<std::vector<std::int64_t>> axis;
};

/// One preprocessor and where the job names it ("preprocessors[2]") for messages.
struct Step {
  std::string key;
  std::variant<Isel, Sel, ReverseAxis, Roll, Tiled, Transpose, Squeeze, Thin, DropVars, RenameVars, AsType, Clip,
               FillNa, Round, AssignAttrs, DropAttrs, ExpandDims>
      op;
};

}  // namespace zpmpi::transform
