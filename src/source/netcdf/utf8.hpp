// Bytes to text as netCDF4-python and xarray decode them: UTF-8 with errors="replace".
//
// Each invalid sequence becomes one U+FFFD (EF BF BD) per *maximal subpart* (Unicode 15,
// section 3.9, which CPython follows): "caf\xe9" -> "caf\uFFFD"; "\xe2\x82A" (a truncated
// euro sign) -> "\uFFFDA"; "\xed\xa0\x80" (a surrogate) -> three U+FFFD, because ED accepts
// only 80..9F next; "\xc0\x80" (overlong) -> two. Valid UTF-8 is returned unchanged.
#pragma once

#include <string>
#include <string_view>

namespace zpmpi::source {

/// `bytes` decoded as Python's bytes.decode("utf-8", "replace"), re-encoded as UTF-8.
std::string utf8_replace_invalid(std::string_view bytes);

/// An NC_CHAR attribute as netCDF4-python returns it: decoded as above, then every U+0000
/// removed (C writers often count the terminator; netCDF4-python drops NULs anywhere).
std::string decode_char_attribute(std::string_view bytes);

}  // namespace zpmpi::source
