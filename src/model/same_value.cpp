// Equality with NaN equal to NaN: see same_value.hpp.
#include "zpmpi/model/same_value.hpp"

#include <cmath>
#include <cstring>
#include <type_traits>

namespace zpmpi::model {

bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

bool same_value(const Scalar& a, const Scalar& b) {
  if (a.index() != b.index()) return false;
  if (const auto* x = std::get_if<double>(&a)) return same_value(*x, std::get<double>(b));
  return a == b;
}

bool same_value(const std::optional<Scalar>& a, const std::optional<Scalar>& b) {
  if (!a || !b) return !a && !b;
  return same_value(*a, *b);
}

bool same_value(const AttrValue& a, const AttrValue& b) {
  if (a.dtype != b.dtype || a.data.index() != b.data.index()) return false;
  if (const auto* x = std::get_if<std::vector<double>>(&a.data)) {
    const auto& y = std::get<std::vector<double>>(b.data);
    if (x->size() != y.size()) return false;
    for (std::size_t i = 0; i < x->size(); ++i)
      if (!same_value((*x)[i], y[i])) return false;
    return true;
  }
  return a.data == b.data;
}

std::optional<std::size_t> first_difference(DType t, std::span<const std::byte> a, std::span<const std::byte> b) {
  if (std::memcmp(a.data(), b.data(), a.size()) == 0) return std::nullopt;  // the common case, fast
  const std::size_t size = dtype_size(t);
  for (std::size_t i = 0; i < a.size() / size; ++i) {
    const std::byte* x = a.data() + i * size;
    const std::byte* y = b.data() + i * size;
    if (std::memcmp(x, y, size) == 0) continue;
    const bool both_nan = with_type(t, [&]<class T>(std::type_identity<T>) {
      if constexpr (std::is_integral_v<T>) {
        return false;
      } else {
        T u, v;
        std::memcpy(&u, x, size);
        std::memcpy(&v, y, size);
        return std::isnan(static_cast<double>(u)) && std::isnan(static_cast<double>(v));
      }
    });
    if (!both_nan) return i;
  }
  // Bytes past the last whole element (a caller's mistake): they differ, so say where.
  return a.size() % size ? std::optional<std::size_t>(a.size() / size) : std::nullopt;
}

}  // namespace zpmpi::model
