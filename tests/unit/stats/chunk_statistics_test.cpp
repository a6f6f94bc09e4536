// A chunk's values decoded as xarray decodes the store, padding and the window left out,
// grouped along the `by` dims.
#include "zpmpi/stats/chunk_statistics.hpp"

#include <limits>

#include <boost/json.hpp>

#include "zpmpi/stats/array_statistics.hpp"

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

// numpy compares a float32 array with a fill value in float32: a missing_value 1e20 given
// as a double (not a float32 value) masks the elements float32(1e20), as xarray's does
// (they counted, as 1.0000000200408773e20).
TEST(ChunkStatistics, AFloat32ArrayComparesItsMissingValueInFloat32) {
  model::ArrayLayout a;
  a.name.assign(1, 'f');
  a.dtype = model::DType::f4;
  a.shape = {4};
  a.chunks = {4};
  const float values[] = {1, 1e20f, 3, 1e20f};
  std::vector<Moments> groups(1);
  ValueDecoding d;
  d.missing = {1e20};
  ASSERT_NE(static_cast<double>(1e20f), 1e20);
  add_chunk(a, d, {{}, {{0, 4}}}, {0}, std::as_bytes(std::span(values)), groups);
  EXPECT_EQ(groups[0].finish().count, 2u);
  EXPECT_EQ(groups[0].finish().nan_count, 2u);
  EXPECT_EQ(groups[0].finish().maximum, 3.0);
  // A missing value beyond float32 is infinity there, as numpy rounds it (a plain cast
  // would be undefined); just below, the largest float.
  const float extremes[] = {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::max(), 2, 5};
  std::vector<Moments> big(1);
  d.missing = {1e300, 0x1.fffffefp127};
  add_chunk(a, d, {{}, {{0, 4}}}, {0}, std::as_bytes(std::span(extremes)), big);
  EXPECT_EQ(big[0].finish().nan_count, 2u);
  EXPECT_EQ(big[0].finish().maximum, 5.0);
}

}  // namespace
}  // namespace zpmpi::stats

namespace zpmpi::stats {
namespace {

// The job message carries the specs as JSON, which has no NaN: a NaN fill once made the
// whole message unreadable ("internal: malformed job message").
TEST(ArrayStatisticsSpec, ItsJsonHoldsNonFiniteFillsAndReadsBackTheSame) {
  ArrayStatisticsSpec spec;
  spec.array = "t2m";
  spec.decoding.dtype = model::DType::f4;
  spec.decoding.missing = {std::nan(""), -std::numeric_limits<double>::infinity(), 9.96921e36};
  spec.decoding.scale_factor = 0.5;
  spec.selection = {{1}, {{0, 4}, {2, 7}}};
  spec.by_names = {"level"};
  spec.by_shape = {5};
  const std::string text = boost::json::serialize(spec_json(spec));
  boost::json::error_code ec;
  const boost::json::value parsed = boost::json::parse(text, ec);
  ASSERT_FALSE(ec) << text;
  const auto back = spec_from_json(parsed);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(std::isnan(back->decoding.missing[0]));
  EXPECT_EQ(back->decoding.missing[1], -std::numeric_limits<double>::infinity());
  EXPECT_EQ(back->decoding.missing[2], 9.96921e36);
  EXPECT_EQ(back->decoding.scale_factor, 0.5);
  EXPECT_FALSE(back->decoding.add_offset);
  EXPECT_EQ(back->selection.by, spec.selection.by);
  EXPECT_EQ(back->selection.window, spec.selection.window);
  EXPECT_EQ(back->by_names, spec.by_names);
  EXPECT_EQ(back->by_shape, spec.by_shape);
}

}  // namespace
}  // namespace zpmpi::stats
