// Typed element access for the arithmetic filters (delta, fixedscaleoffset), internal to
// src/codec: one switch from DType to its C type, loads and stores in either byte order,
// and NumPy's casts and promotions as numpy 1.24 (Debian 12) applies them.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "decode_step.hpp"

namespace zpmpi::codec::elements {

using model::with_type;  // the one switch from DType to its C type

template <class T>
using Bits = std::conditional_t<sizeof(T) == 1, std::uint8_t,
             std::conditional_t<sizeof(T) == 2, std::uint16_t,
             std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;

template <class U>
U byteswap(U b) {
  if constexpr (sizeof(U) == 1) return b;
  else if constexpr (sizeof(U) == 2) return __builtin_bswap16(b);
  else if constexpr (sizeof(U) == 4) return __builtin_bswap32(b);
  else return __builtin_bswap64(b);
}

template <class T>
T load(const std::byte* p, bool swap) {
  Bits<T> b;
  std::memcpy(&b, p, sizeof b);
  if (swap) b = byteswap(b);
  return std::bit_cast<T>(b);
}

template <class T>
void store(std::byte* p, T v, bool swap) {
  Bits<T> b = std::bit_cast<Bits<T>>(v);
  if (swap) b = byteswap(b);
  std::memcpy(p, &b, sizeof b);
}

/// True when a typestr's byte order differs from this machine's.
inline bool needs_swap(const ElementType& t) { return t.size() > 1 && t.big_endian != (std::endian::native == std::endian::big); }

/// numpy's astype(To) of one value. Integer to integer wraps (two's complement); float to
/// integer truncates toward zero through int64 as x86's cvttsd2si does (NaN and values
/// beyond int64 give INT64_MIN, then wrap), so no conversion is undefined behaviour.
template <class To, class From>
To cast(From v) {
  if constexpr (std::is_floating_point_v<To>) {
    return static_cast<To>(v);
  } else if constexpr (std::is_floating_point_v<From>) {
    constexpr double lim = 9223372036854775808.0;  // 2^63
    if constexpr (std::is_same_v<To, std::uint64_t>) {
      // numpy's float -> uint64 goes through the unsigned conversion for large values.
      if (v >= lim && v < 2 * lim) return static_cast<std::uint64_t>(v);
    }
    const std::int64_t i = (v >= -lim && v < lim) ? static_cast<std::int64_t>(v) : std::numeric_limits<std::int64_t>::min();
    return static_cast<To>(static_cast<std::uint64_t>(i));
  } else {
    return static_cast<To>(v);  // integer to integer: modular since C++20
  }
}

/// numpy.result_type of two numeric dtypes (i*/u* mixes widen to the next signed size,
/// u8 with any signed type is f8; an integer of 2 bytes or fewer with f4 stays f4).
model::DType promote(model::DType a, model::DType b);

}  // namespace zpmpi::codec::elements
