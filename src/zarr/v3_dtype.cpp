// Zarr v3 data_type names and fill_value spelling, and xarray's v3 _FillValue attribute
// (see v3_metadata.hpp).
#include <bit>
#include <cmath>
#include <cstdint>

#include "zpmpi/zarr/v3_metadata.hpp"

#include "base64.hpp"
#include "v3_json.hpp"

namespace zpmpi::zarr {

std::string v3_data_type(model::DType t) {
  switch (t) {
    case model::DType::i1: return "int8";
    case model::DType::u1: return "uint8";
    case model::DType::i2: return "int16";
    case model::DType::u2: return "uint16";
    case model::DType::i4: return "int32";
    case model::DType::u4: return "uint32";
    case model::DType::i8: return "int64";
    case model::DType::u8: return "uint64";
    case model::DType::f2: return "float16";
    case model::DType::f4: return "float32";
    case model::DType::f8: break;
  }
  return "float64";
}

boost::json::value v3_fill_value_json(model::DType t, const std::optional<model::Scalar>& fill) {
  if (!fill) return model::is_float(t) ? boost::json::value(0.0) : boost::json::value(0);
  // fill_value_json already rounds through the dtype and spells non-finite floats as v3 does.
  return fill_value_json(t, fill);
}

boost::json::value xarray_v3_fill_attr(model::DType t, const model::Scalar& fill) {
  if (!model::is_float(t)) return fill_value_json(t, fill);
  // The value an element holds (0.1 for float32 is 0.10000000149011612), then xarray's
  // FillValueCoder: base64 of struct.pack("<d", value), NaN as Python's 0x7ff8000000000000.
  std::byte element[8];
  model::store_scalar(t, fill, element);
  const double d = std::get<double>(model::load_scalar(t, element));
  const std::uint64_t bits = std::isnan(d) ? 0x7ff8000000000000ull : std::bit_cast<std::uint64_t>(d);
  char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(bits >> (8 * i));
  return boost::json::string(base64_encode(std::string_view(le, 8)));
}

}  // namespace zpmpi::zarr
