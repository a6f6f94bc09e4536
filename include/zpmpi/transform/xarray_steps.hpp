// The job-file form of the preprocessors named after xarray methods (preprocessor.hpp):
// the keys are the method's keyword arguments, as the Python package calls
// `getattr(ds, type)(**kwargs)`. Each parse error is kUsage and names the key:
//   "preprocessors[3].dtype: must be one of float16, float32, ..., got \"complex64\""
//   "preprocessors[2]: unknown key 'skipna' for clip (known: type, min, max)"
//   "preprocessors[0].axis: lengths of dim and axis should be identical (2 dims, 1 axes)"
#pragma once

#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "zpmpi/model/result.hpp"
#include "zpmpi/transform/preprocessor.hpp"

namespace zpmpi::transform {

/// Every preprocessor type of a job's "preprocessors", for messages.
inline constexpr const char* kPreprocessorTypes =
    "isel, sel, subset, reverse_axis, roll, tiled, rename, transpose, squeeze, thin, drop_vars, astype, clip, "
    "fillna, round, assign_attrs, drop_attrs, expand_dims";
/// Every transform of a per-variable list in "variables", for messages.
inline constexpr const char* kVariableTransformTypes =
    "rename, transpose, astype, clip, fillna, round, assign_attrs, expand_dims";

/// The step of `type` from its JSON object `p` (where the job names it: `key`), or
/// nullopt when `type` is not one of the xarray-method types (the caller's own types, or an
/// error listing kPreprocessorTypes). `per_variable`: a DataArray method in "variables",
/// where only kVariableTransformTypes apply.
Result<std::optional<Step>> parse_xarray_step(const std::string& type, const boost::json::object& p,
                                              const std::string& key, bool per_variable);

/// The message for a type zpmpi cannot apply, e.g. for "rolling":
///   "'rolling' is not supported (zpmpi applies these xarray methods and preprocessors: ...)"
std::string unsupported_type_message(const std::string& type, bool per_variable);

}  // namespace zpmpi::transform
