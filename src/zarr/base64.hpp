// Standard base64 (RFC 4648, '+' '/', '=' padding), as Python's base64.standard_b64encode:
// how zarr-python spells a bytes fill value and xarray a float _FillValue in Zarr v3.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace zpmpi::zarr {

/// "x" -> "eA==", "" -> "".
std::string base64_encode(std::string_view bytes);

/// "eA==" -> "x"; nullopt for text that is not padded standard base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace zpmpi::zarr
