// Fill-only chunks (see fill_chunk.hpp).
#include "zpmpi/zarr/fill_chunk.hpp"

#include <cmath>
#include <cstring>
#include <type_traits>

namespace zpmpi::zarr {

bool is_fill_chunk(std::span<const std::byte> chunk, model::DType t, const std::optional<model::Scalar>& fill) {
  const std::size_t size = model::dtype_size(t);
  std::byte pattern[8] = {};
  if (fill) model::store_scalar(t, *fill, pattern);
  return model::with_type(t, [&](auto type) {
    using T = typename decltype(type)::type;
    T fill_element;
    std::memcpy(&fill_element, pattern, size);
    bool fill_is_nan = false;
    if constexpr (!std::is_integral_v<T>) fill_is_nan = std::isnan(static_cast<double>(fill_element));
    for (std::size_t at = 0; at + size <= chunk.size(); at += size) {
      if (std::memcmp(chunk.data() + at, pattern, size) == 0) continue;
      if constexpr (!std::is_integral_v<T>) {
        T element;
        std::memcpy(&element, chunk.data() + at, size);
        if (fill_is_nan && std::isnan(static_cast<double>(element))) continue;
      }
      return false;
    }
    return true;
  });
}

}  // namespace zpmpi::zarr
