// Text element types: what a netCDF char array or string variable becomes in Zarr v2,
// spelled as xarray's to_zarr writes what xarray's open_dataset reads.
//
//   netCDF char x(station, strlen=8)   -> fixed_bytes, width 8: dtype "|S8", the last (char)
//                                          dim folded into the element; a station "Ab" is the
//                                          8 bytes 41 62 00 00 00 00 00 00 (NUL padded)
//   netCDF char crs (0-d)              -> fixed_bytes, width 1: dtype "|S1"
//   netCDF char fl_dmn(fl_dmn)         -> fixed_bytes, width 1, dims kept: xarray folds a char
//                                          dim only when no variable is named like it and every
//                                          variable using it is a char array with it last
//   netCDF char c(n, strlen) with      -> fixed_bytes with fill "x": zarr fill_value "eA=="
//   _FillValue = "x"                      (base64), elements equal to it read back as NaN
//   netCDF string x(station), or char  -> utf8: dtype "|O" with the vlen-utf8 filter, each
//   with _Encoding = "utf-8"              element a UTF-8 string (see codec/vlen_utf8.hpp)
//
// A separate descriptor rather than more model::DType values: the numeric path (plan,
// exec, fill values) switches over DType and never sees text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace zpmpi::model {

struct TextType {
  enum class Kind : std::uint8_t { fixed_bytes, utf8 };
  Kind kind = Kind::fixed_bytes;
  /// fixed_bytes: bytes per element (the length of the folded char dim, at least 1);
  /// 0 for utf8.
  std::size_t width = 0;
  /// fixed_bytes: a char variable's _FillValue. xarray decodes the elements equal to it to
  /// NaN (an object array); the zarr fill_value holds it so that it decodes them alike.
  std::optional<std::string> fill{};
  bool operator==(const TextType&) const = default;
};

/// NumPy typestr of a text type: "|S8" or "|O".
std::string text_typestr(const TextType& t);

}  // namespace zpmpi::model
