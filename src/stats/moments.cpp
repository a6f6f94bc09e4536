#include "zpmpi/stats/moments.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace zpmpi::stats {

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
  minimum_ = std::min(minimum_, chunk.minimum);
  maximum_ = std::max(maximum_, chunk.maximum);
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
  minimum_ = std::min(minimum_, other.minimum_);
  maximum_ = std::max(maximum_, other.maximum_);
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
