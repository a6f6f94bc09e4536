// Module `stats`: normalisation statistics of the arrays a run writes (issue 28), computed
// from the chunks in memory as they are written. Depends on model only. Never: MPI (app
// gathers the partial results as bytes), I/O.
//
//   exact_sum.hpp      a sum of doubles without rounding: the same bits in any order
//   moments.hpp        count, mean, m2, min, max of one group of values, merged exactly
//   chunk_statistics   one chunk's values decoded, masked and grouped into moments
//   row_tiles (src/stats, private)  its hot loop: tiles of a row decoded and checked in
//                      vector passes (AVX2 where the CPU has it), the same bits as one by one
//
// Why exact sums: the ranks, their workers and a resumed run add the chunks in different
// orders, and floating-point addition is not associative; yet two runs of one job must
// write the same statistics (a store is compared byte for byte by `zpmpi verify`). So each
// chunk's figures are computed alone, in a fixed order (moments.hpp), and only those
// per-chunk figures are added, exactly, into accumulators whose result is independent of
// the order: a few additions per chunk, none per element.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace zpmpi::stats {

/// A double-double: the unevaluated sum hi + lo, |lo| <= ulp(hi) / 2 (~106 bits).
struct DoubleDouble {
  double hi = 0, lo = 0;
};

/// The exact sum of finite doubles, as a two's complement fixed-point number of
/// kWords x 64 bits whose lowest bit is 2^-1126 (below the smallest subnormal) and whose
/// top leaves room for 2^64 additions of the largest double. Adding is exact and
/// commutative, so the value (and to_double_double) depends only on what was added.
class ExactSum {
 public:
  static constexpr int kWords = 36;

  /// Adds `x` exactly; a non-finite x is the caller's to exclude (ignored here).
  void add(double x);
  /// Adds another sum exactly.
  void add(const ExactSum& other);
  /// The value rounded to a double-double (~106 bits), the same for the same value.
  DoubleDouble to_double_double() const;
  bool is_zero() const;

  /// For the ranks' exchange: the words, least significant first, little endian.
  std::string to_bytes() const;
  /// Inverse of to_bytes; false when `bytes` is not kWords * 8 long.
  bool from_bytes(std::span<const std::byte> bytes);

 private:
  void add_at(int bit, std::uint64_t magnitude, bool negative);
  std::array<std::uint64_t, kWords> words_{};
};

// Error-free double-double arithmetic (Dekker, Knuth): what finish() computes with. two_sum
// and dd_add are inline (a chunk's blocks are added with them, ~1 per 64 values); they have
// no product that a fused multiply-add could round differently.
inline DoubleDouble two_sum(double a, double b) {
  const double s = a + b;
  const double bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}

inline DoubleDouble dd_add(DoubleDouble a, DoubleDouble b) {
  DoubleDouble s = two_sum(a.hi, b.hi);
  s.lo += a.lo + b.lo;
  return two_sum(s.hi, s.lo);
}

DoubleDouble two_prod(double a, double b);
DoubleDouble dd_mul(DoubleDouble a, DoubleDouble b);
DoubleDouble dd_div(DoubleDouble a, double b);

}  // namespace zpmpi::stats
