// NumPy typestr and fill_value spelling (see metadata.hpp).
//
// typestr = byte order + kind + size. Chunks hold the machine's native order, which zpmpi
// requires to be little-endian: an int16 0x0456 is stored as 56 04 and spelled "<i2".
// One-byte types have no order, which NumPy spells '|': "|i1", "|u1".
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "zpmpi/zarr/metadata.hpp"

#include "base64.hpp"

namespace zpmpi::zarr {

std::string typestr(model::DType t) {
  static_assert(std::endian::native == std::endian::little, "zpmpi writes the machine's byte order");
  std::string s;
  s += model::dtype_size(t) == 1 ? '|' : '<';
  s += model::dtype_name(t);
  return s;
}

boost::json::value fill_value_json(model::DType t, const std::optional<model::Scalar>& fill) {
  if (!fill) return nullptr;
  // Round-trip through the dtype so the JSON holds exactly the value padded chunks hold
  // (0.1 given for f4 is written as 0.10000000149011612, like zarr-python).
  std::byte buf[8];
  model::store_scalar(t, *fill, buf);
  const model::Scalar v = model::load_scalar(t, buf);
  if (const double* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return "NaN";
    if (std::isinf(*d)) return *d > 0 ? "Infinity" : "-Infinity";
    return *d;
  }
  if (const auto* u = std::get_if<std::uint64_t>(&v)) return *u;
  return std::get<std::int64_t>(v);
}

boost::json::value text_fill_value_json(const model::TextType& t) {
  if (t.kind != model::TextType::Kind::fixed_bytes || !t.fill) return nullptr;
  return boost::json::string(base64_encode(*t.fill));
}

}  // namespace zpmpi::zarr
