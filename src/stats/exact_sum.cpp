#include "zpmpi/stats/exact_sum.hpp"

#include <cmath>
#include <cstring>

namespace zpmpi::stats {
namespace {

constexpr int kLowestExponent = -1126;  // the weight of bit 0

}  // namespace

DoubleDouble two_prod(double a, double b) {
  const double p = a * b;
  return {p, std::fma(a, b, -p)};
}

DoubleDouble dd_mul(DoubleDouble a, DoubleDouble b) {
  DoubleDouble p = two_prod(a.hi, b.hi);
  p.lo += a.hi * b.lo + a.lo * b.hi;
  return two_sum(p.hi, p.lo);
}

DoubleDouble dd_div(DoubleDouble a, double b) {
  const double q1 = a.hi / b;
  const DoubleDouble p = two_prod(q1, b);  // q1 * b exactly
  const double r = ((a.hi - p.hi) - p.lo + a.lo) / b;
  return two_sum(q1, r);
}

/// Adds (or subtracts) `magnitude` * 2^(bit + kLowestExponent).
void ExactSum::add_at(int bit, std::uint64_t magnitude, bool negative) {
  int w = bit / 64;
  const unsigned __int128 shifted = static_cast<unsigned __int128>(magnitude) << (bit % 64);
  std::uint64_t parts[2] = {static_cast<std::uint64_t>(shifted), static_cast<std::uint64_t>(shifted >> 64)};
  if (!negative) {
    unsigned carry = 0;
    for (int i = 0; w < kWords && (i < 2 || carry); ++i, ++w) {
      const std::uint64_t add = i < 2 ? parts[i] : 0;
      const unsigned __int128 sum = static_cast<unsigned __int128>(words_[w]) + add + carry;
      words_[w] = static_cast<std::uint64_t>(sum);
      carry = static_cast<unsigned>(sum >> 64);
    }
  } else {
    unsigned borrow = 0;
    for (int i = 0; w < kWords && (i < 2 || borrow); ++i, ++w) {
      const std::uint64_t sub = i < 2 ? parts[i] : 0;
      const std::uint64_t before = words_[w];
      words_[w] = before - sub - borrow;
      borrow = (before < sub || (before == sub && borrow)) ? 1 : 0;
    }
  }
}

void ExactSum::add(double x) {
  if (x == 0 || !std::isfinite(x)) return;
  int exponent = 0;
  const double fraction = std::frexp(std::fabs(x), &exponent);  // |x| = fraction * 2^exponent, fraction in [0.5, 1)
  // |x| = mantissa * 2^(exponent - 53), mantissa < 2^53 an integer (exact for subnormals too).
  const auto mantissa = static_cast<std::uint64_t>(std::ldexp(fraction, 53));
  add_at(exponent - 53 - kLowestExponent, mantissa, x < 0);
}

void ExactSum::add(const ExactSum& other) {
  unsigned carry = 0;
  for (int w = 0; w < kWords; ++w) {
    const unsigned __int128 sum = static_cast<unsigned __int128>(words_[w]) + other.words_[w] + carry;
    words_[w] = static_cast<std::uint64_t>(sum);
    carry = static_cast<unsigned>(sum >> 64);
  }
}

bool ExactSum::is_zero() const {
  for (std::uint64_t w : words_)
    if (w) return false;
  return true;
}

DoubleDouble ExactSum::to_double_double() const {
  std::array<std::uint64_t, kWords> magnitude = words_;
  const bool negative = magnitude[kWords - 1] >> 63;
  if (negative) {  // two's complement: invert and add one
    unsigned carry = 1;
    for (std::uint64_t& w : magnitude) {
      const unsigned __int128 sum = static_cast<unsigned __int128>(~w) + carry;
      w = static_cast<std::uint64_t>(sum);
      carry = static_cast<unsigned>(sum >> 64);
    }
  }
  int top = kWords - 1;
  while (top >= 0 && magnitude[top] == 0) --top;
  if (top < 0) return {};
  // The top three words, each as two exact 32-bit halves, added smallest first: the
  // result is within an ulp of the double-double nearest the value.
  DoubleDouble sum;
  for (int w = std::max(top - 2, 0); w <= top; ++w)
    for (int half = 0; half < 2; ++half) {
      const double part = static_cast<double>((magnitude[w] >> (32 * half)) & 0xffffffffu);
      sum = dd_add(sum, {std::ldexp(part, 64 * w + 32 * half + kLowestExponent), 0});
    }
  return negative ? DoubleDouble{-sum.hi, -sum.lo} : sum;
}

std::string ExactSum::to_bytes() const {
  std::string bytes(kWords * 8, '\0');
  std::memcpy(bytes.data(), words_.data(), bytes.size());  // little-endian hosts
  return bytes;
}

bool ExactSum::from_bytes(std::span<const std::byte> bytes) {
  if (bytes.size() != kWords * 8) return false;
  std::memcpy(words_.data(), bytes.data(), bytes.size());
  return true;
}

}  // namespace zpmpi::stats
