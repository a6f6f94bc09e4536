// Numeric element types of the arrays zpmpi moves: the ten netCDF numeric types, and
// float16 ("f2"), which only an astype preprocessor writes (no source holds it).
// Names follow NumPy's kind+size spelling ("i2" = signed 16-bit, "f4" = float32).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <string_view>
#include <variant>

namespace zpmpi::model {

enum class DType : std::uint8_t { i1, u1, i2, u2, i4, u4, i8, u8, f4, f8, f2 };

/// Bytes per element (1, 2, 4 or 8).
std::size_t dtype_size(DType t);
bool is_float(DType t);
bool is_signed_integer(DType t);
/// "i1" ... "f8".
std::string_view dtype_name(DType t);
/// Inverse of dtype_name for the ten types a source holds ("i1" ... "f8"); nullopt for
/// anything else, "f2" included (no source or codec reads float16).
std::optional<DType> dtype_from_name(std::string_view name);
/// Inverse of dtype_name for every type zpmpi writes: also "f2" (astype's float16).
std::optional<DType> output_dtype_from_name(std::string_view name);

/// Calls f(std::type_identity<T>{}) with the C type T of `t`: the one switch over DType.
template <class F>
decltype(auto) with_type(DType t, F&& f) {
  switch (t) {
    case DType::i1: return f(std::type_identity<std::int8_t>{});
    case DType::u1: return f(std::type_identity<std::uint8_t>{});
    case DType::i2: return f(std::type_identity<std::int16_t>{});
    case DType::u2: return f(std::type_identity<std::uint16_t>{});
    case DType::i4: return f(std::type_identity<std::int32_t>{});
    case DType::u4: return f(std::type_identity<std::uint32_t>{});
    case DType::i8: return f(std::type_identity<std::int64_t>{});
    case DType::u8: return f(std::type_identity<std::uint64_t>{});
    case DType::f4: return f(std::type_identity<float>{});
    case DType::f2: return f(std::type_identity<_Float16>{});  // GCC's IEEE binary16
    case DType::f8: break;
  }
  return f(std::type_identity<double>{});
}

/// One value of any numeric dtype, held in the widest type of its kind: signed integers
/// as int64, unsigned as uint64, floats as double (float32 values are exact in double).
using Scalar = std::variant<std::int64_t, std::uint64_t, double>;

/// Writes `value` converted to `t` in native byte order at `out` (dtype_size(t) bytes).
void store_scalar(DType t, const Scalar& value, std::byte* out);
/// Reads one element of type `t` from `in`.
Scalar load_scalar(DType t, const std::byte* in);

/// `value` as an element of `t` holds it (in the Scalar kind of `t`), or nullopt when no
/// element of `t` equals it: NaN, infinities or fractions for an integer type, a value out
/// of range, a double that float32 rounds. A _FillValue of NaN on a short variable is such
/// a value: no element can be missing, so there is no fill to write.
std::optional<Scalar> exact_in(DType t, const Scalar& value);

}  // namespace zpmpi::model
