#include "zpmpi/model/dtype.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

namespace zpmpi::model {
namespace {

struct DTypeInfo {
  std::string_view name;
  std::size_t size;
  bool is_float;
  bool is_signed;
};

constexpr std::array<DTypeInfo, 11> kInfo{{
    {"i1", 1, false, true}, {"u1", 1, false, false}, {"i2", 2, false, true},
    {"u2", 2, false, false}, {"i4", 4, false, true}, {"u4", 4, false, false},
    {"i8", 8, false, true}, {"u8", 8, false, false}, {"f4", 4, true, true},
    {"f8", 8, true, true}, {"f2", 2, true, true},
}};

const DTypeInfo& info(DType t) { return kInfo[static_cast<std::size_t>(t)]; }

/// std::is_floating_point, which libstdc++ 12 does not extend to _Float16.
template <class T>
constexpr bool kIsFloat = std::is_floating_point_v<T> || std::is_same_v<T, _Float16>;

template <class T>
T convert(const Scalar& value) {
  return std::visit([](auto v) { return static_cast<T>(v); }, value);
}

template <class T>
void store_as(const Scalar& value, std::byte* out) {
  const T v = convert<T>(value);
  std::memcpy(out, &v, sizeof v);
}

/// `v` in the Scalar alternative of its kind (int64, uint64 or double).
template <class T>
Scalar widen(T v) {
  if constexpr (kIsFloat<T>) return static_cast<double>(v);
  else if constexpr (std::is_signed_v<T>) return static_cast<std::int64_t>(v);
  else return static_cast<std::uint64_t>(v);
}

template <class T>
Scalar load_as(const std::byte* in) {
  T v;
  std::memcpy(&v, in, sizeof v);
  return widen(v);
}


}  // namespace

std::size_t dtype_size(DType t) { return info(t).size; }
bool is_float(DType t) { return info(t).is_float; }
bool is_signed_integer(DType t) { return info(t).is_signed && !info(t).is_float; }
std::string_view dtype_name(DType t) { return info(t).name; }

std::optional<DType> output_dtype_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kInfo.size(); ++i)
    if (kInfo[i].name == name) return static_cast<DType>(i);
  return std::nullopt;
}

std::optional<DType> dtype_from_name(std::string_view name) {
  const auto t = output_dtype_from_name(name);
  if (t == DType::f2) return std::nullopt;
  return t;
}

void store_scalar(DType t, const Scalar& value, std::byte* out) {
  with_type(t, [&](auto type) { store_as<typename decltype(type)::type>(value, out); });
}

Scalar load_scalar(DType t, const std::byte* in) {
  return with_type(t, [&](auto type) { return load_as<typename decltype(type)::type>(in); });
}

namespace {

/// The value as T, when T holds it exactly.
template <class T>
std::optional<Scalar> exact_as(const Scalar& value) {
  return std::visit(
      [](auto v) -> std::optional<Scalar> {
        using V = decltype(v);
        if constexpr (kIsFloat<T>) {
          if constexpr (std::is_floating_point_v<V>) {
            if (std::isnan(v)) return Scalar{v};
            if (static_cast<double>(static_cast<T>(v)) != v) return std::nullopt;
            return Scalar{static_cast<double>(v)};
          } else {
            // An integer beyond the float's mantissa rounds: it must come back unchanged, and
            // the rounded value is range-checked before the cast back (2^63 is no int64).
            const auto d = static_cast<double>(static_cast<T>(v));
            const bool in_range = d >= static_cast<double>(std::numeric_limits<V>::min()) &&
                                  d < std::ldexp(1.0, std::numeric_limits<V>::digits);
            if (!in_range || static_cast<V>(d) != v) return std::nullopt;
            return Scalar{d};
          }
        } else {
          if constexpr (std::is_floating_point_v<V>) {
            // Compare in double: the range ends of T are powers of two (exact), NaN fails both.
            if (!(v >= static_cast<double>(std::numeric_limits<T>::min()) &&
                  v < std::ldexp(1.0, std::numeric_limits<T>::digits)))
              return std::nullopt;
            if (std::trunc(v) != v) return std::nullopt;
            return widen(static_cast<T>(v));
          } else {
            if (!std::in_range<T>(v)) return std::nullopt;
            return widen(static_cast<T>(v));
          }
        }
      },
      value);
}

}  // namespace

std::optional<Scalar> exact_in(DType t, const Scalar& value) {
  return with_type(t, [&](auto type) { return exact_as<typename decltype(type)::type>(value); });
}

}  // namespace zpmpi::model
