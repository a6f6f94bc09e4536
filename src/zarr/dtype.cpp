// NumPy typestr and fill_value spelling (see metadata.hpp).
#include <bit>
#include <cmath>

#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {

std::string typestr(model::DType t) {
  static_assert(std::endian::native == std::endian::little, "zpmpi writes the machine's byte order");
  const std::size_t size = model::dtype_size(t);
  const char order = size == 1 ? '|' : '<';
  return std::string(1, order) + std::string(model::dtype_name(t));
}

boost::json::value fill_value_json(model::DType t, const std::optional<model::Scalar>& fill) {
  if (!fill) return nullptr;
  // Round-trip through the dtype so the JSON holds exactly the value stored in chunks.
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

}  // namespace zpmpi::zarr
