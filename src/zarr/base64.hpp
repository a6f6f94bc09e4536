// Standard base64 (RFC 4648, '+' '/', '=' padding), as Python's base64.standard_b64encode:
// how zarr-python spells a bytes fill value and xarray a float _FillValue in Zarr v3.
#pragma once

#include <string>
#include <string_view>

namespace zpmpi::zarr {

/// "x" -> "eA==", "" -> "".
std::string base64_encode(std::string_view bytes);

}  // namespace zpmpi::zarr
