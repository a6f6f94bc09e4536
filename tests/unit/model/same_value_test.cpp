#include "zpmpi/model/same_value.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace zpmpi::model {
namespace {

// The NaNs files hold: NumPy's (quiet, positive), its sign flipped, and one with a payload.
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kNegNaN = -kNaN;
const double kPayloadNaN = std::bit_cast<double>(std::uint64_t{0x7ff8000000000123});

TEST(SameValue, NaNIsTheSameValueWhateverItsBits) {
  EXPECT_TRUE(same_value(kNaN, kNaN));
  EXPECT_TRUE(same_value(kNaN, kNegNaN));
  EXPECT_TRUE(same_value(kPayloadNaN, kNaN));
  EXPECT_FALSE(same_value(kNaN, 0.0));
  EXPECT_FALSE(same_value(1.0, kNaN));
  EXPECT_TRUE(same_value(0.0, -0.0));
  EXPECT_FALSE(same_value(1.0, 1.0 + 1e-15));
}

TEST(SameValue, ScalarsOfTheSameKindOnly) {
  EXPECT_TRUE(same_value(Scalar{kNaN}, Scalar{kNegNaN}));
  EXPECT_TRUE(same_value(Scalar{std::int64_t{-5}}, Scalar{std::int64_t{-5}}));
  EXPECT_FALSE(same_value(Scalar{std::int64_t{5}}, Scalar{std::uint64_t{5}}));
  EXPECT_FALSE(same_value(Scalar{std::int64_t{5}}, Scalar{5.0}));
  EXPECT_TRUE(same_value(std::optional<Scalar>(kNaN), std::optional<Scalar>(kPayloadNaN)));
  EXPECT_TRUE(same_value(std::optional<Scalar>(), std::optional<Scalar>()));
  EXPECT_FALSE(same_value(std::optional<Scalar>(kNaN), std::optional<Scalar>()));
}

TEST(SameValue, AttributesCompareElementByElement) {
  const AttrValue nan_f4{std::vector<double>{kNaN}, DType::f4};
  EXPECT_TRUE(same_value(nan_f4, AttrValue{std::vector<double>{kNegNaN}, DType::f4}));
  EXPECT_FALSE(same_value(nan_f4, AttrValue{std::vector<double>{kNaN}, DType::f8}));  // another dtype
  EXPECT_FALSE(same_value(nan_f4, AttrValue{std::vector<double>{kNaN, kNaN}, DType::f4}));
  const AttrValue range{std::vector<double>{-1.5, kNaN}, DType::f8};
  EXPECT_TRUE(same_value(range, AttrValue{std::vector<double>{-1.5, kPayloadNaN}, DType::f8}));
  EXPECT_FALSE(same_value(range, AttrValue{std::vector<double>{-1.25, kNaN}, DType::f8}));
  EXPECT_TRUE(same_value(AttrValue{std::string("K"), std::nullopt}, AttrValue{std::string("K"), std::nullopt}));
  EXPECT_FALSE(same_value(AttrValue{std::string("K"), std::nullopt}, AttrValue{std::string("C"), std::nullopt}));
  EXPECT_TRUE(same_value(AttrValue{std::vector<std::int64_t>{3}, DType::i2},
                         AttrValue{std::vector<std::int64_t>{3}, DType::i2}));
  EXPECT_FALSE(same_value(AttrValue{std::vector<std::int64_t>{3}, DType::i2},
                          AttrValue{std::vector<std::int64_t>{4}, DType::i2}));
}

template <class T>
std::vector<std::byte> bytes_of(const std::vector<T>& values) {
  std::vector<std::byte> out(values.size() * sizeof(T));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

TEST(FirstDifference, NaNsOfAnyBitsAreTheSameElement) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto a = bytes_of<float>({1.f, nan, 3.f});
  EXPECT_EQ(first_difference(DType::f4, a, a), std::nullopt);
  EXPECT_EQ(first_difference(DType::f4, a, bytes_of<float>({1.f, -nan, 3.f})), std::nullopt);
  EXPECT_EQ(first_difference(DType::f4, a, bytes_of<float>({1.f, nan, 4.f})), 2u);
  EXPECT_EQ(first_difference(DType::f4, a, bytes_of<float>({1.f, 2.f, 3.f})), 1u);
  // Data compares exactly: -0.0 is not the 0.0 that was written.
  EXPECT_EQ(first_difference(DType::f8, bytes_of<double>({0.0}), bytes_of<double>({-0.0})), 0u);
  EXPECT_EQ(first_difference(DType::f8, bytes_of<double>({2.0, kNaN}), bytes_of<double>({2.0, kPayloadNaN})),
            std::nullopt);
  const auto h = bytes_of<std::uint16_t>({0x3c00, 0x7e00});  // float16 1.0, NaN
  EXPECT_EQ(first_difference(DType::f2, h, bytes_of<std::uint16_t>({0x3c00, 0xfe01})), std::nullopt);
  EXPECT_EQ(first_difference(DType::f2, h, bytes_of<std::uint16_t>({0x3c00, 0x7c00})), 1u);  // +inf
}

TEST(FirstDifference, IntegersCompareTheirBytes) {
  // 0x7fc00000 as an int32 is a number like any other: it equals itself only.
  const auto a = bytes_of<std::int32_t>({0x7fc00000, 7});
  EXPECT_EQ(first_difference(DType::i4, a, a), std::nullopt);
  EXPECT_EQ(first_difference(DType::i4, a, bytes_of<std::int32_t>({0x7fc00001, 7})), 0u);
  EXPECT_EQ(first_difference(DType::u2, bytes_of<std::uint16_t>({1, 2}), bytes_of<std::uint16_t>({1, 3})), 1u);
}

}  // namespace
}  // namespace zpmpi::model
