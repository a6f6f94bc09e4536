// Helpers shared by the v3 metadata files (v3_metadata.hpp), private to the zarr module.
#pragma once

#include <boost/json/value.hpp>

#include "zpmpi/model/dtype.hpp"

namespace zpmpi::zarr {

/// The "_FillValue" attribute xarray writes for a v3 array of `t` with fill `fill`: the
/// integer, or for a float the base64 of its 8 little-endian float64 bytes.
boost::json::value xarray_v3_fill_attr(model::DType t, const model::Scalar& fill);

/// `value` with every non-finite double replaced by "NaN", "Infinity" or "-Infinity", as
/// zarr-python 3 writes v3 documents (strict JSON).
boost::json::value strict_json(boost::json::value value);

}  // namespace zpmpi::zarr
