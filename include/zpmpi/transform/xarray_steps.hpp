// The job-file form of the preprocessors named after xarray methods (preprocessor.hpp):
// the keys are the method's keyword arguments, as the Python package calls
// `getattr(ds, type)(**kwargs)`. Each parse error is kUsage and names the key:
//   "preprocessors[3].dtype: must be one of float16, float32, ..., got \"complex64\""
//   "preprocessors[2]: unknown key 'skipna' for clip (known: type, min, max)"
//   "preprocessors[0].axis: lengths of dim and axis should be identical (2 dims, 1 axes)"
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "zpmpi/model/result.hpp"
#include "zpmpi/transform/preprocessor.hpp"

namespace zpmpi::transform {

/// Every preprocessor type a job may name, one enumerator per spelling ("subset" is sel's
/// alias). isel .. tiled and the rename of {"var_id", "new_name"} are parsed by app/config;
/// the rest are xarray methods parsed here.
enum class StepType {
  kIsel, kSel, kSubset, kReverseAxis, kRoll, kTiled, kRename, kTranspose, kSqueeze, kThin,
  kDropVars, kAsType, kClip, kFillNa, kRound, kAssignAttrs, kDropAttrs, kExpandDims
};

/// The type spelled `name`, or nullopt when zpmpi has no such type. `per_variable`: in a
/// per-variable list of "variables", where only the DataArray methods apply (rename,
/// transpose, astype, clip, fillna, round, assign_attrs, expand_dims).
std::optional<StepType> step_type(std::string_view name, bool per_variable);

/// The type spelled by `type` (at `key`, e.g. "preprocessors[2].type"); an unknown name is
/// kUsage naming `key` with unsupported_type_message.
Result<StepType> parse_step_type(const std::string& type, const std::string& key, bool per_variable);

/// The type's spelling, as a job writes it.
const char* step_type_name(StepType type);

/// The step of an xarray-method `type` (transpose .. expand_dims, rename of a name mapping)
/// from its JSON object `p` (where the job names it: `key`). A type app/config parses
/// itself (isel, sel, subset, reverse_axis, roll, tiled) is an error naming `key`.
Result<Step> parse_xarray_step(StepType type, const boost::json::object& p, const std::string& key);

/// The same by name: nullopt when `type` is not one of the xarray-method types (the
/// caller's own types, or an error listing every type). `per_variable`: a DataArray method
/// in "variables".
Result<std::optional<Step>> parse_xarray_step(const std::string& type, const boost::json::object& p,
                                              const std::string& key, bool per_variable);

/// The message for a type zpmpi cannot apply, e.g. for "rolling":
///   "'rolling' is not supported (zpmpi applies these xarray methods and preprocessors: ...)"
std::string unsupported_type_message(const std::string& type, bool per_variable);

}  // namespace zpmpi::transform
