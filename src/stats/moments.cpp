#include "zpmpi/stats/moments.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "clones.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"  // vectors stay inside inlined helpers (see Double4)

namespace zpmpi::stats {
namespace {

// Four doubles: one AVX2 register, two SSE2 ones in the default build (GCC's vector
// extensions; a C-style cast between two of them keeps the bits).
typedef double Double4 __attribute__((vector_size(32)));

[[gnu::always_inline]] inline Double4 load4(const double* p) {
  Double4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

[[gnu::always_inline]] inline void store4(double* p, Double4 v) { std::memcpy(p, &v, sizeof v); }

/// The smallest and largest of `n` finite values by lower() and higher(): plain minimum and
/// maximum in 4 x 4 independent lanes (no chain of dependent compares), then the sign of a
/// zero result settled by a second look, as lower() settles it (-0 if any is).
struct Extremes {
  double low, high;
};

[[gnu::always_inline]] inline Extremes extremes(const double* xs, std::size_t n) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  Double4 low[4], high[4];
  for (int k = 0; k < 4; ++k) low[k] = Double4{kInf, kInf, kInf, kInf}, high[k] = -low[k];
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 4; ++k) {
      const Double4 x = load4(xs + i + 4 * k);
      low[k] = x < low[k] ? x : low[k];
      high[k] = x > high[k] ? x : high[k];
    }
  Extremes e{kInf, -kInf};
  for (int k = 0; k < 4; ++k)
    for (int lane = 0; lane < 4; ++lane) e.low = std::min(e.low, low[k][lane]), e.high = std::max(e.high, high[k][lane]);
  for (; i < n; ++i) e.low = std::min(e.low, xs[i]), e.high = std::max(e.high, xs[i]);
  if (e.low == 0 || e.high == 0)
    for (i = 0; i < n; ++i)
      if (xs[i] == 0) e.low = lower(e.low, xs[i]), e.high = higher(e.high, xs[i]);
  return e;
}

}  // namespace

ZPMPI_STATS_CLONES  // AVX2 where the CPU has it (clones.hpp)
void ChunkAccumulator::add_finite(const double* xs, std::size_t n) {
  if (n == 0) return;
  if (count_ == 0 && block_n_ == 0) shift_ = xs[0];
  const Extremes e = extremes(xs, n);
  minimum_ = lower(minimum_, e.low);
  maximum_ = higher(maximum_, e.high);
  // The sums: value k of the block goes to lane k % kLanes, as add() puts it.
  const Double4 shift = {shift_, shift_, shift_, shift_};
  for (std::size_t i = 0; i < n;) {
    if (block_n_ % kLanes != 0 || n - i < kLanes) {  // one at a time up to a lane boundary
      const double d = xs[i++] - shift_;
      block_s_[block_n_ % kLanes] += d;
      block_ss_[block_n_ % kLanes] += d * d;
      if (++block_n_ == kBlock) flush();
      continue;
    }
    const std::size_t steps = std::min<std::size_t>((kBlock - block_n_) / kLanes, (n - i) / kLanes);
    Double4 s = load4(block_s_), ss = load4(block_ss_);
    for (std::size_t k = 0; k < steps; ++k, i += kLanes) {
      const Double4 d = load4(xs + i) - shift;
      s += d;
      ss += d * d;
    }
    store4(block_s_, s);
    store4(block_ss_, ss);
    block_n_ += static_cast<int>(steps) * kLanes;
    if (block_n_ == kBlock) flush();
  }
}

void ChunkAccumulator::flush() {
  for (int lane = 0; lane < kLanes; ++lane) {  // a fixed order: the same bits for the same values
    s_ = dd_add(s_, {block_s_[lane], 0});
    ss_ = dd_add(ss_, {block_ss_[lane], 0});
    block_s_[lane] = block_ss_[lane] = 0;
  }
  count_ += static_cast<std::uint64_t>(block_n_);
  block_n_ = 0;
}

ChunkMoments ChunkAccumulator::moments() {
  flush();
  ChunkMoments m;
  m.count = count_;
  m.positive_infinities = positive_infinities_;
  m.negative_infinities = negative_infinities_;
  m.minimum = minimum_;
  m.maximum = maximum_;
  if (count_ == 0) return m;
  const double n = static_cast<double>(count_);
  const DoubleDouble mean_shifted = dd_div(s_, n);
  const DoubleDouble mean = dd_add({shift_, 0}, mean_shifted);
  m.mean = mean.hi;
  m.mean_lo = mean.lo;
  // m2 = sum d^2 - (sum d)^2 / n, both small: the values were shifted by one of them.
  const DoubleDouble m2 = dd_add(ss_, dd_mul(mean_shifted, {-s_.hi, -s_.lo}));
  m.m2 = std::max(m2.hi + m2.lo, 0.0);
  return m;
}

void Moments::add(const ChunkMoments& chunk) {
  const std::uint64_t infinities = chunk.positive_infinities + chunk.negative_infinities;
  if (chunk.count + infinities == 0) return;
  count_ += chunk.count + infinities;
  positive_infinities_ += chunk.positive_infinities;
  negative_infinities_ += chunk.negative_infinities;
  minimum_ = lower(minimum_, chunk.minimum);
  maximum_ = higher(maximum_, chunk.maximum);
  if (chunk.count == 0) return;
  const double n = static_cast<double>(chunk.count);
  const double hi = chunk.mean, lo = chunk.mean_lo;
  // Every product split exactly into two doubles (barring underflow), so that the sums
  // hold n c and n c^2 = n (hi^2 + 2 hi lo + lo^2) without rounding.
  const auto add_times_n = [n](ExactSum& sum, double x) {
    const DoubleDouble p = two_prod(n, x);
    sum.add(p.hi);
    sum.add(p.lo);
  };
  add_times_n(sum_, hi);
  add_times_n(sum_, lo);
  for (const DoubleDouble square : {two_prod(hi, hi), two_prod(2 * hi, lo), two_prod(lo, lo)}) {
    add_times_n(squares_, square.hi);
    add_times_n(squares_, square.lo);
  }
  within_.add(chunk.m2);
}

void Moments::merge(const Moments& other) {
  count_ += other.count_;
  nan_count_ += other.nan_count_;
  positive_infinities_ += other.positive_infinities_;
  negative_infinities_ += other.negative_infinities_;
  minimum_ = lower(minimum_, other.minimum_);
  maximum_ = higher(maximum_, other.maximum_);
  sum_.add(other.sum_);
  squares_.add(other.squares_);
  within_.add(other.within_);
}

Statistics Moments::finish() const {
  Statistics s;
  s.count = count_;
  s.nan_count = nan_count_;
  if (count_ == 0) {
    s.mean = s.stdev = s.minimum = s.maximum = s.sum_squares = std::nan("");
    return s;
  }
  s.minimum = minimum_;
  s.maximum = maximum_;
  if (positive_infinities_ || negative_infinities_) {  // as numpy: mean +-inf (NaN with both), std NaN
    s.mean = positive_infinities_ && negative_infinities_ ? std::nan("")
             : positive_infinities_                       ? std::numeric_limits<double>::infinity()
                                                          : -std::numeric_limits<double>::infinity();
    s.stdev = s.sum_squares = std::nan("");
    return s;
  }
  const double n = static_cast<double>(count_);
  const DoubleDouble a = sum_.to_double_double();
  const DoubleDouble mean = dd_div(a, n);
  // Between the chunks: sum n_k c_k^2 - (sum n_k c_k)^2 / n, in double-double.
  const DoubleDouble square_of_sum = dd_div(dd_mul(a, a), n);
  const DoubleDouble between = dd_add(squares_.to_double_double(), {-square_of_sum.hi, -square_of_sum.lo});
  const DoubleDouble m2 = dd_add(within_.to_double_double(), between);
  s.mean = mean.hi + mean.lo;
  s.sum_squares = std::max(m2.hi + m2.lo, 0.0);
  s.stdev = std::sqrt(s.sum_squares / n);
  return s;
}

std::size_t Moments::bytes_size() { return 6 * 8 + 3 * ExactSum::kWords * 8; }

std::string Moments::to_bytes() const {
  std::string bytes(48, '\0');
  std::memcpy(bytes.data(), &count_, 8);
  std::memcpy(bytes.data() + 8, &nan_count_, 8);
  std::memcpy(bytes.data() + 16, &minimum_, 8);
  std::memcpy(bytes.data() + 24, &maximum_, 8);
  std::memcpy(bytes.data() + 32, &positive_infinities_, 8);
  std::memcpy(bytes.data() + 40, &negative_infinities_, 8);
  return bytes + sum_.to_bytes() + squares_.to_bytes() + within_.to_bytes();
}

bool Moments::from_bytes(std::span<const std::byte> bytes) {
  if (bytes.size() != bytes_size()) return false;
  std::memcpy(&count_, bytes.data(), 8);
  std::memcpy(&nan_count_, bytes.data() + 8, 8);
  std::memcpy(&minimum_, bytes.data() + 16, 8);
  std::memcpy(&maximum_, bytes.data() + 24, 8);
  std::memcpy(&positive_infinities_, bytes.data() + 32, 8);
  std::memcpy(&negative_infinities_, bytes.data() + 40, 8);
  const std::size_t w = ExactSum::kWords * 8;
  return sum_.from_bytes(bytes.subspan(48, w)) && squares_.from_bytes(bytes.subspan(48 + w, w)) &&
         within_.from_bytes(bytes.subspan(48 + 2 * w, w));
}

}  // namespace zpmpi::stats
