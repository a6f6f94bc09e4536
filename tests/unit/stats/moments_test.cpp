// Statistics that are exact where they can be and the same whatever the order of the
// chunks: exact sums, chunk moments, the merge.
#include "zpmpi/stats/moments.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace zpmpi::stats {
namespace {

double value_of(const ExactSum& s) {
  const DoubleDouble d = s.to_double_double();
  return d.hi + d.lo;
}

TEST(ExactSum, AddsWithoutRounding) {
  ExactSum s;
  for (double x : {1e100, 1.0, -1e100, 1e-300, -1e-300, 0.5}) s.add(x);
  EXPECT_EQ(value_of(s), 1.5);
  ExactSum tiny;
  tiny.add(std::ldexp(1.0, -1074));  // the smallest subnormal
  tiny.add(std::ldexp(1.0, -1074));
  EXPECT_EQ(value_of(tiny), std::ldexp(1.0, -1073));
  ExactSum big;
  for (int i = 0; i < 4; ++i) big.add(std::numeric_limits<double>::max());  // 4 x max: beyond a double
  for (int i = 0; i < 3; ++i) big.add(-std::numeric_limits<double>::max());
  big.add(-std::numeric_limits<double>::max() / 2);
  EXPECT_EQ(value_of(big), std::numeric_limits<double>::max() / 2);
  ExactSum tenths;
  for (int i = 0; i < 10; ++i) tenths.add(0.1);
  const DoubleDouble t = tenths.to_double_double();
  EXPECT_EQ(t.hi, 1.0);  // 10 x the double nearest 0.1 is 1 + 5.55e-17
  EXPECT_NEAR(t.lo, 5.551115123125783e-17, 1e-30);
}

TEST(ExactSum, TheSameBitsInAnyOrderAndAcrossMerges) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1e6, 1e6);
  std::vector<double> xs(5000);
  for (double& x : xs) x = u(rng) * std::pow(10.0, static_cast<int>(rng() % 40) - 20);
  ExactSum forward, shuffled, left, right;
  for (double x : xs) forward.add(x);
  std::shuffle(xs.begin(), xs.end(), rng);
  for (std::size_t i = 0; i < xs.size(); ++i) (i % 3 ? left : right).add(xs[i]);
  for (double x : xs) shuffled.add(x);
  left.add(right);
  EXPECT_EQ(forward.to_bytes(), shuffled.to_bytes());
  EXPECT_EQ(forward.to_bytes(), left.to_bytes());
  ExactSum back;
  const std::string bytes = forward.to_bytes();
  ASSERT_TRUE(back.from_bytes(std::as_bytes(std::span(bytes))));
  EXPECT_EQ(back.to_bytes(), bytes);
  ExactSum zero;
  for (double x : xs) zero.add(x);
  for (double x : xs) zero.add(-x);
  EXPECT_TRUE(zero.is_zero());
}

/// Values ~1e5 with a variance ~1e-3: the case naive sums of squares get wrong.
std::vector<double> hard_values(std::size_t n) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(1e5, 0.0316);
  std::vector<double> xs(n);
  for (double& x : xs) x = normal(rng);
  return xs;
}

/// The reference: the mean from an exact sum, then the squared deviations summed in long
/// double with compensation (math.fsum-grade for these values).
std::pair<double, double> reference(const std::vector<double>& xs) {
  ExactSum sum;
  for (double x : xs) sum.add(x);
  const DoubleDouble s = sum.to_double_double();
  const long double mean = (static_cast<long double>(s.hi) + s.lo) / static_cast<long double>(xs.size());
  long double m2 = 0, c = 0;
  for (double x : xs) {
    const long double d = (x - mean) * (x - mean) - c;
    const long double t = m2 + d;
    c = (t - m2) - d;
    m2 = t;
  }
  return {static_cast<double>(mean), static_cast<double>(m2)};
}

/// `xs` cut into chunks at `cuts`, each chunk accumulated alone, the chunks added in `order`.
Statistics chunked(const std::vector<double>& xs, const std::vector<std::size_t>& cuts,
                   const std::vector<std::size_t>& order) {
  std::vector<ChunkMoments> chunks;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    ChunkAccumulator acc;
    for (std::size_t j = cuts[i]; j < cuts[i + 1]; ++j) acc.add(xs[j]);
    chunks.push_back(acc.moments());
  }
  Moments m;
  for (std::size_t k : order) m.add(chunks[k]);
  return m.finish();
}

TEST(Moments, MeanAndM2ToTheReferenceAndTheSameBitsInAnyChunkOrder) {
  const std::vector<double> xs = hard_values(200000);
  std::vector<std::size_t> cuts{0};
  std::mt19937_64 rng(3);
  while (cuts.back() < xs.size()) cuts.push_back(std::min(xs.size(), cuts.back() + 1 + rng() % 9000));
  std::vector<std::size_t> order(cuts.size() - 1);
  std::iota(order.begin(), order.end(), 0);
  const Statistics forward = chunked(xs, cuts, order);
  std::shuffle(order.begin(), order.end(), rng);
  const Statistics shuffled = chunked(xs, cuts, order);
  EXPECT_EQ(forward, shuffled);  // bit for bit

  const auto [mean, m2] = reference(xs);
  EXPECT_EQ(forward.count, xs.size());
  EXPECT_NEAR(forward.mean, mean, 1e-12 * std::fabs(mean));
  EXPECT_NEAR(forward.sum_squares, m2, 1e-12 * m2);
  EXPECT_NEAR(forward.stdev, std::sqrt(m2 / xs.size()), 1e-12 * std::sqrt(m2 / xs.size()));
  EXPECT_EQ(forward.minimum, *std::min_element(xs.begin(), xs.end()));
  EXPECT_EQ(forward.maximum, *std::max_element(xs.begin(), xs.end()));

  // What the method avoids: a naive sum of squares is wrong by far more than the tolerance.
  double s = 0, ss = 0;
  for (double x : xs) s += x, ss += x * x;
  const double naive = ss - s * s / xs.size();
  EXPECT_GT(std::fabs(naive - m2), 1e-6 * m2);
}

// Chunk means that differ by about the spread (a trend, a seasonal cycle): the between-chunk
// term sum n_k (c_k - mean)^2 must not take each chunk mean rounded to a double, whose error
// (ulp(1e5) / 2 = 7e-12) it multiplies by n_k (c_k - mean). Failed before the chunk means
// were kept as double-doubles: 7e-12 relative.
TEST(Moments, ChunkMeansAlongATrendKeepTheirPrecision) {
  std::mt19937_64 rng(13);
  std::normal_distribution<double> noise(0, 0.0316);
  std::vector<double> xs(200000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = 1e5 + 0.05 * std::sin(i / 3000.0) + noise(rng);
  std::vector<std::size_t> cuts, order;
  for (std::size_t at = 0; at <= xs.size(); at += 1000) cuts.push_back(at);
  for (std::size_t k = 0; k + 1 < cuts.size(); ++k) order.push_back(k);
  const Statistics s = chunked(xs, cuts, order);
  const auto [mean, m2] = reference(xs);
  EXPECT_NEAR(s.mean, mean, 1e-13 * std::fabs(mean));
  EXPECT_NEAR(s.sum_squares, m2, 1e-13 * m2);
}

TEST(Moments, MergedFromBytesAsFromTheChunksAndMissingValuesApart) {
  const std::vector<double> xs = hard_values(3000);
  Moments a, b, all;
  for (int part = 0; part < 3; ++part) {
    ChunkAccumulator acc;
    for (int j = part * 1000; j < (part + 1) * 1000; ++j) acc.add(xs[static_cast<std::size_t>(j)]);
    const ChunkMoments m = acc.moments();
    (part == 1 ? b : a).add(m);
    all.add(m);
  }
  a.add_missing(5);
  all.add_missing(5);
  Moments received;
  const std::string wire = b.to_bytes();
  ASSERT_EQ(wire.size(), Moments::bytes_size());
  ASSERT_TRUE(received.from_bytes(std::as_bytes(std::span(wire))));
  a.merge(received);
  EXPECT_EQ(a.finish(), all.finish());
  EXPECT_EQ(all.finish().nan_count, 5u);
  EXPECT_EQ(all.finish().count, 3000u);
  EXPECT_TRUE(std::isnan(Moments().finish().mean));
}

}  // namespace
}  // namespace zpmpi::stats

namespace zpmpi::stats {
namespace {

// An infinity in the data was counted but dropped by the exact sums: finite, wrong figures.
// As numpy: the mean is infinite (NaN with both signs), the standard deviation NaN.
TEST(Moments, AnInfinityMakesTheMeanInfiniteAndTheStdevNaNAsNumpy) {
  const auto of = [](std::vector<double> xs) {
    ChunkAccumulator acc;
    for (double x : xs) acc.add(x);
    Moments m;
    m.add(acc.moments());
    return m.finish();
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Statistics plus = of({1, 2, inf});
  EXPECT_EQ(plus.count, 3u);
  EXPECT_EQ(plus.mean, inf);
  EXPECT_TRUE(std::isnan(plus.stdev));
  EXPECT_EQ(plus.maximum, inf);
  EXPECT_EQ(plus.minimum, 1.0);
  EXPECT_EQ(of({-inf, 4}).mean, -inf);
  EXPECT_TRUE(std::isnan(of({-inf, inf, 0}).mean));
  // Through the ranks' bytes too.
  ChunkAccumulator acc;
  acc.add(inf);
  Moments m, received;
  m.add(acc.moments());
  const std::string wire = m.to_bytes();
  ASSERT_TRUE(received.from_bytes(std::as_bytes(std::span(wire))));
  EXPECT_EQ(received.finish().mean, inf);
}

}  // namespace
}  // namespace zpmpi::stats
