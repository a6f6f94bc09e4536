// The vectorised row kernel (row_tiles.cpp, ChunkAccumulator::add_finite) gives the same
// bits as the values added one at a time, and the extremes do not depend on the order of
// signed zeros.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "zpmpi/stats/chunk_statistics.hpp"
#include "zpmpi/stats/moments.hpp"

namespace zpmpi::stats {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Every field of the moments, bit for bit (NaN and -0 included).
std::string bits(const ChunkAccumulator& acc) {
  ChunkAccumulator copy = acc;
  Moments m;
  m.add(copy.moments());
  return m.to_bytes();
}

std::string bits(const Moments& m) { return m.to_bytes(); }

TEST(ChunkAccumulator, AddFiniteGivesTheBitsOfAddingOneByOne) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(1e5, 0.03);
  std::vector<double> xs(5000);
  for (double& x : xs) x = normal(rng);
  for (int trial = 0; trial < 20; ++trial) {
    ChunkAccumulator one, many;
    std::size_t at = 0;
    while (at < xs.size()) {  // pieces of 0..600 values: every offset within a block of 256 and a lane
      const std::size_t n = std::min<std::size_t>(xs.size() - at, rng() % 601);
      for (std::size_t k = at; k < at + n; ++k) one.add(xs[k]);
      many.add_finite(xs.data() + at, n);
      at += n;
      if (rng() % 4 == 0) {  // an infinity between pieces: counted, never in the sums
        one.add(kInf);
        many.add(kInf);
      }
    }
    ASSERT_EQ(bits(one), bits(many)) << "trial " << trial;
  }
}

// -0 and +0 are equal, so a minimum by `<` kept whichever came first: the sign of a minimum
// of 0 depended on the order of the values within a chunk and of the chunks (the stores of
// two runs then differed: "minimum": -0.0 against 0.0).
TEST(Moments, SignedZerosGiveTheSameExtremesInAnyOrder) {
  const auto of = [](std::vector<std::vector<double>> chunks) {
    Moments m;
    for (const auto& chunk : chunks) {
      ChunkAccumulator acc;
      for (double x : chunk) acc.add(x);
      m.add(acc.moments());
    }
    return m;
  };
  const Moments a = of({{0.0, 1}, {-0.0, 2}}), b = of({{-0.0, 2}, {0.0, 1}});
  EXPECT_EQ(bits(a), bits(b));
  EXPECT_TRUE(std::signbit(a.finish().minimum));  // -0: the lower of the two
  const Moments c = of({{-0.0, 0.0, -1}}), d = of({{0.0, -0.0, -1}});
  EXPECT_EQ(bits(c), bits(d));
  EXPECT_FALSE(std::signbit(c.finish().maximum));  // +0: the higher
  ChunkAccumulator whole;
  const double zeros[] = {0.0, 3, -0.0, 5, 0.0, 1, 2, 4, -0.0, 0.0, 6, 7, 8, 9, 10, 11, 12, 0.0, -0.0};
  whole.add_finite(zeros, std::size(zeros));
  EXPECT_TRUE(std::signbit(whole.moments().minimum));
}

/// One row of `values` of type T through add_chunk, against the decoded values added one at
/// a time (`decode`: nullopt for a missing value).
template <class T, class Decode>
void expect_row_as_one_by_one(const std::vector<T>& values, const ValueDecoding& d, Decode decode) {
  model::ArrayLayout a;
  a.name.assign(1, 'v');
  a.dtype = d.dtype;
  a.shape = {2, values.size() / 2};
  a.chunks = a.shape;
  std::vector<Moments> groups(1);
  add_chunk(a, d, {{}, {{0, a.shape[0]}, {0, a.shape[1]}}}, {0, 0}, std::as_bytes(std::span(values)), groups);
  ChunkAccumulator acc;
  std::uint64_t missing = 0;
  for (const T v : values) {
    const std::optional<double> x = decode(v);
    if (x) acc.add(*x);
    else ++missing;
  }
  Moments expected;
  expected.add(acc.moments());
  expected.add_missing(missing);
  EXPECT_EQ(bits(groups[0]), bits(expected));
}

/// `n` values of a noisy field, with `specials` put in at random places (rows of 2 x n/2:
/// tiles of 256 and tails of fewer than 4 values).
template <class T>
std::vector<T> with_specials(std::size_t n, const std::vector<T>& specials, double base, double spread) {
  std::mt19937_64 rng(23);
  std::normal_distribution<double> normal(base, spread);
  std::vector<T> values(n);
  for (T& v : values) v = static_cast<T>(normal(rng));
  for (std::size_t k = 0; k < n / 40; ++k) values[rng() % (n / 2)] = specials[k % specials.size()];  // the first row only
  return values;
}

TEST(ChunkStatistics, TheRowKernelGivesTheBitsOfTheValuesOneByOne) {
  const float finf = std::numeric_limits<float>::infinity();
  ValueDecoding f4;
  f4.missing = {NAN, 1e20};
  const auto f4_values = with_specials<float>(2 * 1027, {NAN, 1e20f, finf, -finf, 0.0f, -0.0f}, 280, 20);
  expect_row_as_one_by_one(f4_values, f4, [](float v) -> std::optional<double> {
    if (std::isnan(v) || v == 1e20f) return std::nullopt;
    return v;
  });
  ValueDecoding f8;
  f8.dtype = model::DType::f8;
  const auto f8_values = with_specials<double>(2 * 515, {NAN, kInf, 0.0, -0.0}, 1e5, 0.03);
  expect_row_as_one_by_one(f8_values, f8, [](double v) -> std::optional<double> {
    return std::isnan(v) ? std::nullopt : std::optional(v);
  });
  // Packed shorts: float64 with an offset, float32 with a scale alone (xarray's dtypes).
  ValueDecoding i2;
  i2.dtype = model::DType::i2;
  i2.missing = {-32767};
  i2.scale_factor = 0.002;
  i2.add_offset = 270;
  const auto i2_values = with_specials<std::int16_t>(2 * 1030, {-32767, 0}, 0, 5000);
  expect_row_as_one_by_one(i2_values, i2, [](std::int16_t v) -> std::optional<double> {
    if (v == -32767) return std::nullopt;
    return v * 0.002 + 270;
  });
  i2.add_offset.reset();
  i2.scaled_in_float32 = true;
  expect_row_as_one_by_one(i2_values, i2, [](std::int16_t v) -> std::optional<double> {
    if (v == -32767) return std::nullopt;
    return static_cast<float>(v) * 0.002f;
  });
  ValueDecoding u1;
  u1.dtype = model::DType::u1;
  u1.missing = {255};
  const auto u1_values = with_specials<std::uint8_t>(2 * 300, {255}, 100, 30);
  expect_row_as_one_by_one(u1_values, u1, [](std::uint8_t v) -> std::optional<double> {
    return v == 255 ? std::nullopt : std::optional<double>(v);
  });
}

}  // namespace
}  // namespace zpmpi::stats
