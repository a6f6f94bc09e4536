// A chunk's values decoded as xarray decodes the store, padding and the window left out,
// grouped along the `by` dims.
#include "zpmpi/stats/chunk_statistics.hpp"

#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace zpmpi::stats {
namespace {

/// A 5 x 3 int16 array "p" (level, x) in 2 x 2 chunks, element (l, x) = 10 l + x, fill -1
/// at (1, 1), packed with scale 0.5 and offset 100.
model::ArrayLayout packed() {
  model::ArrayLayout a;
  a.name.assign(1, 'p');  // not = "p": GCC 12 warns (-Wrestrict)
  a.dtype = model::DType::i2;
  a.shape = {5, 3};
  a.chunks = {2, 2};
  return a;
}

std::int16_t element(model::Index l, model::Index x) { return l == 1 && x == 1 ? -1 : static_cast<std::int16_t>(10 * l + x); }

/// Chunk (ci, cj), padded with 7 beyond the array (padding never counts).
std::vector<std::byte> chunk(model::Index ci, model::Index cj) {
  std::vector<std::byte> raw(2 * 2 * 2);
  for (model::Index i = 0; i < 2; ++i)
    for (model::Index j = 0; j < 2; ++j) {
      const model::Index l = ci * 2 + i, x = cj * 2 + j;
      const std::int16_t v = l < 5 && x < 3 ? element(l, x) : 7;
      std::memcpy(raw.data() + (i * 2 + j) * 2, &v, 2);
    }
  return raw;
}

std::vector<Moments> over_chunks(const Selection& s, const ValueDecoding& d) {
  std::vector<Moments> groups(group_count(s, packed().shape));
  for (model::Index ci = 0; ci < 3; ++ci)
    for (model::Index cj = 0; cj < 2; ++cj) add_chunk(packed(), d, s, {ci, cj}, chunk(ci, cj), groups);
  return groups;
}

ValueDecoding packed_decoding() {
  ValueDecoding d;
  d.dtype = model::DType::i2;
  d.missing = {-1};
  d.scale_factor = 0.5;
  d.add_offset = 100;
  return d;  // float64: a short with an offset
}

TEST(ChunkStatistics, DecodesMasksAndLeavesThePaddingOut) {
  const Selection all{{}, {{0, 5}, {0, 3}}};
  const Statistics s = over_chunks(all, packed_decoding())[0].finish();
  std::vector<double> xs;
  for (model::Index l = 0; l < 5; ++l)
    for (model::Index x = 0; x < 3; ++x)
      if (element(l, x) != -1) xs.push_back(element(l, x) * 0.5 + 100);
  double mean = 0;
  for (double x : xs) mean += x / xs.size();
  double m2 = 0;
  for (double x : xs) m2 += (x - mean) * (x - mean);
  EXPECT_EQ(s.count, 14u);
  EXPECT_EQ(s.nan_count, 1u);
  EXPECT_NEAR(s.mean, mean, 1e-13);
  EXPECT_NEAR(s.sum_squares, m2, 1e-11);
  EXPECT_EQ(s.minimum, 100.0);
  EXPECT_EQ(s.maximum, 42 * 0.5 + 100);
}

TEST(ChunkStatistics, OneGroupPerIndexAlongByAndOnlyTheWindowCounts) {
  const Selection per_level{{0}, {{1, 4}, {0, 3}}};  // levels 1..3 count
  const auto groups = over_chunks(per_level, packed_decoding());
  ASSERT_EQ(groups.size(), 5u);
  EXPECT_EQ(groups[0].finish().count, 0u);  // outside the window
  EXPECT_EQ(groups[4].finish().count, 0u);
  EXPECT_EQ(groups[1].finish().count, 2u);
  EXPECT_EQ(groups[1].finish().nan_count, 1u);
  EXPECT_EQ(groups[2].finish().mean, 100 + 0.5 * 21);
  EXPECT_EQ(groups[3].finish().minimum, 115.0);
  const Selection per_x{{1}, {{0, 5}, {0, 3}}};  // the last dim: a group per element of a row
  const auto by_x = over_chunks(per_x, packed_decoding());
  ASSERT_EQ(by_x.size(), 3u);
  EXPECT_EQ(by_x[1].finish().count, 4u);
  EXPECT_EQ(by_x[2].finish().maximum, 100 + 0.5 * 42);
}

TEST(ChunkStatistics, ScalesInFloat32WhereXarrayDoes) {
  ValueDecoding d = packed_decoding();
  d.add_offset.reset();
  d.scale_factor = 0.1;
  d.scaled_in_float32 = true;  // a short without an offset: float32
  const Statistics s = over_chunks({{}, {{0, 5}, {0, 3}}}, d)[0].finish();
  EXPECT_EQ(s.maximum, static_cast<double>(static_cast<float>(42) * 0.1f));
  EXPECT_NE(s.maximum, 42 * 0.1);
}

TEST(ChunkStatistics, NaNIsMissingInAFloatArray) {
  model::ArrayLayout a;
  a.name.assign(1, 'f');
  a.dtype = model::DType::f4;
  a.shape = {3};
  a.chunks = {3};
  const float values[] = {1, NAN, 3};
  std::vector<Moments> groups(1);
  ValueDecoding d;
  add_chunk(a, d, {{}, {{0, 3}}}, {0}, std::as_bytes(std::span(values)), groups);
  EXPECT_EQ(groups[0].finish().count, 2u);
  EXPECT_EQ(groups[0].finish().nan_count, 1u);
  EXPECT_EQ(groups[0].finish().mean, 2.0);
}

}  // namespace
}  // namespace zpmpi::stats
