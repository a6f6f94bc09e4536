// Fill-only chunks: what a sharded array leaves out of its shard.
#include "zpmpi/zarr/fill_chunk.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace zpmpi::zarr {
namespace {

using model::DType;

template <class T>
std::span<const std::byte> bytes(const std::vector<T>& v) {
  return std::as_bytes(std::span(v));
}

TEST(FillChunk, NanFillMatchesEveryNan) {
  const std::optional<model::Scalar> nan = model::Scalar{std::nan("")};
  const float other_nan = -std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(is_fill_chunk(bytes(std::vector<float>{NAN, other_nan, NAN}), DType::f4, nan));
  EXPECT_FALSE(is_fill_chunk(bytes(std::vector<float>{NAN, 1.0f, NAN}), DType::f4, nan));
  EXPECT_FALSE(is_fill_chunk(bytes(std::vector<double>{NAN, INFINITY}), DType::f8, nan));
}

TEST(FillChunk, NumbersCompareAsTheDtypeStoresThem) {
  EXPECT_TRUE(is_fill_chunk(bytes(std::vector<float>{0.1f, 0.1f}), DType::f4, model::Scalar{0.1}));
  EXPECT_FALSE(is_fill_chunk(bytes(std::vector<float>{-0.0f}), DType::f4, model::Scalar{0.0}));
  EXPECT_TRUE(is_fill_chunk(bytes(std::vector<std::int16_t>{-99, -99}), DType::i2, model::Scalar{std::int64_t{-99}}));
  EXPECT_FALSE(is_fill_chunk(bytes(std::vector<std::int16_t>{-99, 0}), DType::i2, model::Scalar{std::int64_t{-99}}));
  EXPECT_TRUE(is_fill_chunk(bytes(std::vector<std::uint64_t>{~0ull}), DType::u8, model::Scalar{~0ull}));
}

TEST(FillChunk, WithoutAFillZerosAreFill) {
  EXPECT_TRUE(is_fill_chunk(bytes(std::vector<double>{0.0, 0.0}), DType::f8, std::nullopt));
  EXPECT_FALSE(is_fill_chunk(bytes(std::vector<double>{0.0, NAN}), DType::f8, std::nullopt));
  EXPECT_TRUE(is_fill_chunk(bytes(std::vector<std::uint8_t>{0, 0, 0}), DType::u1, std::nullopt));
  EXPECT_TRUE(is_fill_chunk({}, DType::u1, std::nullopt));
}

}  // namespace
}  // namespace zpmpi::zarr
