// Attributes of a netCDF file or variable, as xarray (netCDF4-python) reads them:
//   NC_CHAR               -> text: UTF-8 with U+FFFD for invalid bytes, every NUL dropped
//                            (netCDF4-python: decode("utf-8", "replace"), see utf8.hpp)
//   NC_STRING, one value  -> text (invalid UTF-8 replaced the same way)
//   NC_STRING, n values   -> a list of strings (one value: text)
//   numeric, n values     -> a vector of n (int64 / uint64 / double by kind), with
//                            AttrValue::dtype the attribute's own netCDF type, so a float
//                            scale_factor stays f4 and is written back as float32
//   enum                  -> its values in the base integer type
//   compound, vlen, opaque -> left out, named in `skipped` (Zarr attributes are JSON)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::source {

/// Every attribute of `varid` (NC_GLOBAL for the file's own) in netCDF order. Errors say
/// "attribute <name>: <netCDF message>"; the caller adds the file and variable.
/// The attributes left out are added to `skipped` as "name (compound)".
Result<std::vector<model::Attribute>> read_attributes(int ncid, int varid,
                                                     std::vector<std::string>& skipped);

/// The `_FillValue` attribute of `varid` as an element of `dtype` (the variable's own type)
/// holds it, a Scalar of that kind (model::exact_in). nullopt when there is no numeric
/// `_FillValue` (netCDF's default fill values are deliberately not reported, as xarray does
/// not mask them either) and when no element of `dtype` equals it (NaN on a short): then
/// no element is missing, as xarray reads it.
Result<std::optional<model::Scalar>> read_fill_value(int ncid, int varid, model::DType dtype);

}  // namespace zpmpi::source
