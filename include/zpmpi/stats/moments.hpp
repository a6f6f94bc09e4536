// The statistics of one group of values (a variable, or one index of its `by` dims), built
// in two steps so that the result does not depend on the order of the chunks (exact_sum.hpp):
//  - ChunkAccumulator takes one chunk's values of the group, in the chunk's own order, and
//    gives its ChunkMoments: count, mean and m2 (the sum of squared deviations from that
//    mean) from sums of the values shifted by the chunk's first value, in blocks of
//    kBlock values whose sums are added with compensation: no sum of squares of raw values
//    (which loses everything when the values are ~1e5 and the variance ~1e-3);
//  - Moments adds ChunkMoments exactly: sum n_k c_k, sum n_k c_k^2 and sum m2_k, from which
//    finish() gives the mean and m2 = sum m2_k + sum n_k (c_k - mean)^2 (Chan's merge, with
//    its between-chunk term computed in double-double from exact sums). Each chunk mean c_k
//    is a double-double: rounded to a double it would be off by up to ulp(c_k) / 2 (7e-12
//    at 1e5), an error the between-chunk term multiplies by n_k (c_k - mean), which is far
//    above 1e-12 of m2 when the chunk means differ by about the spread.
// Missing values (fill, missing_value, NaN) are counted apart and never enter the sums.
// The minimum takes -0 below +0 and the maximum +0 above -0 (lower, higher): with a plain
// `<` the zero kept would be whichever came first, so its sign would depend on the order.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "zpmpi/stats/exact_sum.hpp"

namespace zpmpi::stats {

/// The smaller of two values that are not NaN, -0 below +0: the same in any order.
inline double lower(double a, double b) { return a != b ? (a < b ? a : b) : std::signbit(a) ? a : b; }
/// The larger of two values that are not NaN, +0 above -0.
inline double higher(double a, double b) { return a != b ? (a > b ? a : b) : std::signbit(a) ? b : a; }

/// What a variable's "statistics" attribute holds, per group.
struct Statistics {
  std::uint64_t count = 0;      ///< values counted
  std::uint64_t nan_count = 0;  ///< missing values (fill, missing_value, NaN)
  double mean = 0;
  double stdev = 0;             ///< population: sqrt(sum_squares / count)
  double minimum = 0, maximum = 0;
  double sum_squares = 0;       ///< m2, the sum of squared deviations from the mean (for merging)
  bool operator==(const Statistics&) const = default;
};

/// One chunk's values of a group.
struct ChunkMoments {
  std::uint64_t count = 0;  ///< finite values (those mean and m2 are of)
  std::uint64_t positive_infinities = 0, negative_infinities = 0;
  double mean = 0, mean_lo = 0;  ///< the mean: the unevaluated sum mean + mean_lo
  double m2 = 0;
  double minimum = std::numeric_limits<double>::infinity();
  double maximum = -std::numeric_limits<double>::infinity();
};

class ChunkAccumulator {
 public:
  static constexpr int kBlock = 256;
  static constexpr int kLanes = 4;  ///< the values of a block are summed in 4 interleaved parts

  /// A value that counts (the caller has set missing ones apart). An infinity is counted
  /// and kept out of the sums: numpy's mean is then infinite (NaN with both signs), its
  /// standard deviation NaN (Moments::finish).
  void add(double x) {
    minimum_ = lower(minimum_, x);
    maximum_ = higher(maximum_, x);
    if (std::isinf(x)) {
      ++(x > 0 ? positive_infinities_ : negative_infinities_);
      return;
    }
    if (count_ == 0 && block_n_ == 0) shift_ = x;
    const double d = x - shift_;
    const int lane = block_n_ & (kLanes - 1);  // kLanes independent sums: no chain of adds per value
    block_s_[lane] += d;
    block_ss_[lane] += d * d;
    if (++block_n_ == kBlock) flush();
  }
  /// Adds `n` finite values (no infinity, no NaN: the caller has checked), with the same
  /// result bits as add() called on each in turn: each lane's sums in the same order, four
  /// lanes at a time where a block's position allows (AVX2 where the CPU has it).
  void add_finite(const double* xs, std::size_t n);
  ChunkMoments moments();

 private:
  void flush();
  std::uint64_t count_ = 0;
  std::uint64_t positive_infinities_ = 0, negative_infinities_ = 0;
  int block_n_ = 0;
  double shift_ = 0;
  double block_s_[kLanes] = {}, block_ss_[kLanes] = {};
  DoubleDouble s_, ss_;  // compensated totals of the blocks
  double minimum_ = std::numeric_limits<double>::infinity();
  double maximum_ = -std::numeric_limits<double>::infinity();
};

class Moments {
 public:
  void add(const ChunkMoments& chunk);
  void add_missing(std::uint64_t n) { nan_count_ += n; }
  void merge(const Moments& other);
  /// The statistics; with no value counted, count 0 and NaN for the rest.
  Statistics finish() const;

  /// For the ranks' exchange (fixed size, bytes_size()); from_bytes is its inverse and
  /// false for bytes of another size.
  std::string to_bytes() const;
  bool from_bytes(std::span<const std::byte> bytes);
  static std::size_t bytes_size();

 private:
  std::uint64_t count_ = 0, nan_count_ = 0;  ///< count_: infinities included
  std::uint64_t positive_infinities_ = 0, negative_infinities_ = 0;
  double minimum_ = std::numeric_limits<double>::infinity();
  double maximum_ = -std::numeric_limits<double>::infinity();
  ExactSum sum_;      ///< sum of n_k c_k
  ExactSum squares_;  ///< sum of n_k c_k^2
  ExactSum within_;   ///< sum of m2_k
};

}  // namespace zpmpi::stats
