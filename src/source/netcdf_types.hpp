// netCDF external types as zpmpi sees them: the ten numeric types map one-to-one onto
// model::DType (NC_SHORT -> i2, NC_UINT64 -> u8, ...); everything else (NC_CHAR,
// NC_STRING, compound, vlen, enum, opaque) has no Zarr v2 numeric dtype and is skipped.
#pragma once

#include <netcdf.h>

#include <optional>
#include <string>

#include "zpmpi/model/dtype.hpp"

namespace zpmpi::source {

/// The DType of a numeric netCDF type; nullopt for text, strings and user-defined types.
std::optional<model::DType> dtype_of(nc_type type);

/// A short name for a type dtype_of() rejects, for Dataset::skipped: "char", "string",
/// "compound", "vlen", "enum", "opaque" (user types are looked up in `ncid`).
std::string unsupported_type_name(int ncid, nc_type type);

}  // namespace zpmpi::source
