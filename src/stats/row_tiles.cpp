#include "row_tiles.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "clones.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"  // vectors stay inside inlined helpers (see Double4)

namespace zpmpi::stats {
namespace {

// Four values of one type: one AVX2 register of doubles, two SSE2 ones in the default build
// (GCC's vector extensions; a C-style cast between two of them keeps the bits). The helpers
// are always inlined, into the clone that calls them: no vector crosses a call (-Wpsabi).
typedef double Double4 __attribute__((vector_size(32)));
typedef float Float4 __attribute__((vector_size(16)));
typedef std::int64_t Bits4 __attribute__((vector_size(32)));
template <class T>
struct Four {
  typedef T type __attribute__((vector_size(4 * sizeof(T))));
};

template <class T>
[[gnu::always_inline]] inline typename Four<T>::type load4(const std::byte* p) {
  typename Four<T>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
[[gnu::always_inline]] inline T load1(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// How a value decodes, as decoded() in chunk_statistics.cpp computes it: in F (float or
/// double), scale, then offset, each rounded (no fused multiply-add: the module is built
/// with -ffp-contract=off); kPlain: the stored value as a double.
template <class F, bool kPlain, bool kScale, bool kOffset>
struct Decode {
  F scale, offset;
  template <class V>  // one value or four
  [[gnu::always_inline]] V operator()(V x) const {
    if constexpr (kScale) x *= scale;
    if constexpr (kOffset) x += offset;
    return x;
  }
};

/// Decodes the tile into `out` and says whether every value is finite and none is a fill,
/// four at a time: no branch per value, the checks or-ed into one mask.
template <class T, class F, bool kPlain, bool kScale, bool kOffset>
[[gnu::always_inline]] inline bool decode_clean(const std::byte* p, std::size_t n, const TileDecoding& d, double* out) {
  const Decode<F, kPlain, kScale, kOffset> decode{static_cast<F>(sizeof(F) == 4 ? d.scale32 : d.scale64),
                                                  static_cast<F>(sizeof(F) == 4 ? d.offset32 : d.offset64)};
  Bits4 bad = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const auto v = load4<T>(p + i * sizeof(T));
    const Double4 stored = __builtin_convertvector(v, Double4);
    Double4 x = stored;
    if constexpr (!kPlain && sizeof(F) == 4) x = __builtin_convertvector(decode(__builtin_convertvector(v, Float4)), Double4);
    if constexpr (!kPlain && sizeof(F) == 8) x = decode(stored);
    std::memcpy(out + i, &x, sizeof x);
    bad |= (Bits4)(x - x);  // 0 when finite, NaN's bits for an infinity or a NaN
    for (const double m : d.missing) bad |= stored == m;
  }
  bool tail_bad = false;
  for (; i < n; ++i) {
    const T v = load1<T>(p + i * sizeof(T));
    double x = static_cast<double>(v);
    if constexpr (!kPlain) x = decode(static_cast<F>(v));
    out[i] = x;
    tail_bad |= !std::isfinite(x);
    for (const double m : d.missing) tail_bad |= static_cast<double>(v) == m;
  }
  return !tail_bad && !(bad[0] | bad[1] | bad[2] | bad[3]);
}

template <class T, class F>
[[gnu::always_inline]] inline bool decode_scaled(const std::byte* p, std::size_t n, const TileDecoding& d, double* out) {
  if (d.has_scale && d.has_offset) return decode_clean<T, F, false, true, true>(p, n, d, out);
  if (d.has_scale) return decode_clean<T, F, false, true, false>(p, n, d, out);
  return decode_clean<T, F, false, false, true>(p, n, d, out);
}

/// One value of a tile that is not clean, sorted as the per-value path sorts it: missing when
/// a fill or NaN (or NaN once decoded), else an infinity, else kept at out[t.finite].
[[gnu::always_inline]] inline void sort_value(double x, double stored, const TileDecoding& d, double* out,
                                              TileCounts& t) {
  bool fill = false;
  for (const double m : d.missing) fill |= stored == m;
  if (fill || std::isnan(x)) ++t.missing;
  else if (std::isinf(x)) ++(x > 0 ? t.positive_infinities : t.negative_infinities);
  else out[t.finite++] = x;
}

/// A tile with a missing value or an infinity: the finite values moved to the front, in
/// order, four at a time where none of the four is missing or infinite (a mask of land or
/// sea leaves runs of those), one by one elsewhere.
template <class T>
[[gnu::always_inline]] inline TileCounts sort_values(const std::byte* p, std::size_t n, const TileDecoding& d,
                                                     double* out) {
  TileCounts t;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const Double4 stored = __builtin_convertvector(load4<T>(p + i * sizeof(T)), Double4);
    Double4 x;
    std::memcpy(&x, out + i, sizeof x);
    Bits4 bad = (Bits4)(x - x);
    for (const double m : d.missing) bad |= stored == m;
    if (!(bad[0] | bad[1] | bad[2] | bad[3])) {
      std::memcpy(out + t.finite, &x, sizeof x);  // x was loaded first: out + t.finite <= out + i
      t.finite += 4;
      continue;
    }
    for (int k = 0; k < 4; ++k) sort_value(x[k], stored[k], d, out, t);
  }
  for (; i < n; ++i) sort_value(out[i], static_cast<double>(load1<T>(p + i * sizeof(T))), d, out, t);
  return t;
}

template <class T>
[[gnu::always_inline]] inline TileCounts decode_tile_of(const std::byte* p, std::size_t n, const TileDecoding& d,
                                                        double* out) {
  using S = TileDecoding::Scaling;
  bool clean = false;
  if (d.scaling == S::none) clean = decode_clean<T, double, true, false, false>(p, n, d, out);
  else if (d.scaling == S::in_float32) clean = decode_scaled<T, float>(p, n, d, out);
  else clean = decode_scaled<T, double>(p, n, d, out);
  return clean ? TileCounts{n, 0, 0, 0} : sort_values<T>(p, n, d, out);
}

}  // namespace

float to_float32(double m) {
  constexpr double kOverflow = 0x1.ffffffp127;  // FLT_MAX + half its ulp
  constexpr float kInfF = std::numeric_limits<float>::infinity();
  if (std::isfinite(m) && std::fabs(m) >= kOverflow) return m > 0 ? kInfF : -kInfF;
  return static_cast<float>(m);
}

TileDecoding tile_decoding(const ValueDecoding& d) {
  TileDecoding t;
  if (d.scale_factor || d.add_offset)
    t.scaling = d.scaled_in_float32 ? TileDecoding::Scaling::in_float32 : TileDecoding::Scaling::in_float64;
  t.has_scale = d.scale_factor.has_value();
  t.has_offset = d.add_offset.has_value();
  t.scale64 = d.scale_factor.value_or(1);
  t.offset64 = d.add_offset.value_or(0);
  t.scale32 = static_cast<float>(t.scale64);
  t.offset32 = static_cast<float>(t.offset64);
  for (const double m : d.missing) {
    if (std::isnan(m)) continue;
    // As Mask in chunk_statistics.cpp: float32 compares with the value rounded as numpy does.
    t.missing.push_back(d.dtype == model::DType::f4 ? static_cast<double>(to_float32(m)) : m);
  }
  return t;
}

ZPMPI_STATS_CLONES  // AVX2 where the CPU has it (clones.hpp)
TileCounts decode_tile(model::DType dtype, const std::byte* p, std::size_t n, const TileDecoding& d, double* out) {
  using model::DType;
  switch (dtype) {
    case DType::i1: return decode_tile_of<std::int8_t>(p, n, d, out);
    case DType::u1: return decode_tile_of<std::uint8_t>(p, n, d, out);
    case DType::i2: return decode_tile_of<std::int16_t>(p, n, d, out);
    case DType::u2: return decode_tile_of<std::uint16_t>(p, n, d, out);
    case DType::i4: return decode_tile_of<std::int32_t>(p, n, d, out);
    case DType::u4: return decode_tile_of<std::uint32_t>(p, n, d, out);
    case DType::i8: return decode_tile_of<std::int64_t>(p, n, d, out);
    case DType::u8: return decode_tile_of<std::uint64_t>(p, n, d, out);
    case DType::f4: return decode_tile_of<float>(p, n, d, out);
    case DType::f8: return decode_tile_of<double>(p, n, d, out);
    case DType::f2: break;  // refused before the run
  }
  return {};
}

}  // namespace zpmpi::stats
