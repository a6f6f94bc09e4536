// netCDF external types as zpmpi sees them: the ten numeric types map one-to-one onto
// model::DType (NC_SHORT -> i2, NC_UINT64 -> u8, ...); an enum type is its base integer
// type (as netCDF4-python and xarray read it); NC_CHAR and NC_STRING are text (see
// model/text.hpp); compound, vlen and opaque types have no Zarr v2 form and are skipped.
#pragma once

#include <netcdf.h>

#include <optional>
#include <string>
#include <vector>

#include "zpmpi/model/dtype.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::source {

/// The DType of a numeric netCDF type; nullopt for text, strings and user-defined types.
std::optional<model::DType> dtype_of(nc_type type);

/// dtype_of(), and for an enum type of `ncid` its base type; nullopt for the rest.
std::optional<model::DType> numeric_dtype(int ncid, nc_type type);

/// True for an enum type of `ncid`.
bool is_enum(int ncid, nc_type type);

struct EnumMember {
  std::string name;
  model::Scalar value;
};

/// The members of enum type `type` of `ncid`, in their netCDF order.
Result<std::vector<EnumMember>> enum_members(int ncid, nc_type type);

/// A short name for a type dtype_of() rejects, for Dataset::skipped: "char", "string",
/// "compound", "vlen", "enum", "opaque" (user types are looked up in `ncid`).
std::string unsupported_type_name(int ncid, nc_type type);

}  // namespace zpmpi::source
