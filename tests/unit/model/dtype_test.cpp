#include "zpmpi/model/dtype.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include <gtest/gtest.h>

namespace zpmpi::model {
namespace {

TEST(DType, NamesRoundTripAndSizes) {
  const DType all[] = {DType::i1, DType::u1, DType::i2, DType::u2, DType::i4,
                       DType::u4, DType::i8, DType::u8, DType::f4, DType::f8};
  const std::size_t sizes[] = {1, 1, 2, 2, 4, 4, 8, 8, 4, 8};
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(dtype_from_name(dtype_name(all[i])), all[i]);
    EXPECT_EQ(dtype_size(all[i]), sizes[i]);
  }
  // float16 is written (astype), never read from a source or by a codec.
  EXPECT_FALSE(dtype_from_name("f2").has_value());
  EXPECT_EQ(output_dtype_from_name("f2"), DType::f2);
  EXPECT_EQ(output_dtype_from_name("f4"), DType::f4);
  EXPECT_EQ(dtype_size(DType::f2), 2u);
  EXPECT_TRUE(is_float(DType::f2));
  EXPECT_FALSE(output_dtype_from_name("f16").has_value());
  EXPECT_TRUE(is_float(DType::f4));
  EXPECT_TRUE(is_signed_integer(DType::i2));
  EXPECT_FALSE(is_signed_integer(DType::u2));
}

TEST(DType, StoreAndLoadScalars) {
  std::byte buf[8];
  store_scalar(DType::i2, Scalar{std::int64_t{-32767}}, buf);
  std::int16_t s;
  std::memcpy(&s, buf, 2);
  EXPECT_EQ(s, -32767);
  EXPECT_EQ(std::get<std::int64_t>(load_scalar(DType::i2, buf)), -32767);

  store_scalar(DType::f4, Scalar{std::nan("")}, buf);
  EXPECT_TRUE(std::isnan(std::get<double>(load_scalar(DType::f4, buf))));

  const auto big = std::numeric_limits<std::uint64_t>::max();
  store_scalar(DType::u8, Scalar{big}, buf);
  EXPECT_EQ(std::get<std::uint64_t>(load_scalar(DType::u8, buf)), big);
}

}  // namespace
}  // namespace zpmpi::model

namespace zpmpi::model {
namespace {

TEST(ExactIn, IntegersTakeOnlyIntegralValuesInRange) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(exact_in(DType::i2, Scalar{nan}).has_value());
  EXPECT_FALSE(exact_in(DType::i2, Scalar{0.5}).has_value());
  EXPECT_FALSE(exact_in(DType::i2, Scalar{32768.0}).has_value());
  EXPECT_FALSE(exact_in(DType::i2, Scalar{std::int64_t{-32769}}).has_value());
  EXPECT_EQ(exact_in(DType::i2, Scalar{-32768.0}), Scalar{std::int64_t{-32768}});
  EXPECT_EQ(exact_in(DType::u1, Scalar{std::int64_t{255}}), Scalar{std::uint64_t{255}});
  EXPECT_FALSE(exact_in(DType::u1, Scalar{std::int64_t{-1}}).has_value());
  EXPECT_FALSE(exact_in(DType::u8, Scalar{std::int64_t{-1}}).has_value());
  EXPECT_FALSE(exact_in(DType::i8, Scalar{9223372036854775808.0}).has_value());
  EXPECT_EQ(exact_in(DType::i8, Scalar{-9223372036854775808.0}), Scalar{std::numeric_limits<std::int64_t>::min()});
  EXPECT_FALSE(exact_in(DType::i8, Scalar{std::numeric_limits<std::uint64_t>::max()}).has_value());
  EXPECT_EQ(exact_in(DType::u8, Scalar{std::numeric_limits<std::uint64_t>::max()}),
            Scalar{std::numeric_limits<std::uint64_t>::max()});
}

TEST(ExactIn, FloatsTakeWhatTheyRoundTrip) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ASSERT_TRUE(exact_in(DType::f4, Scalar{nan}).has_value());
  EXPECT_TRUE(std::isnan(std::get<double>(*exact_in(DType::f4, Scalar{nan}))));
  EXPECT_EQ(exact_in(DType::f4, Scalar{9.969209968386869e+36}), Scalar{9.969209968386869e+36});
  EXPECT_FALSE(exact_in(DType::f4, Scalar{0.1}).has_value());
  EXPECT_FALSE(exact_in(DType::f4, Scalar{1e300}).has_value());
  EXPECT_EQ(exact_in(DType::f8, Scalar{0.1}), Scalar{0.1});
  EXPECT_EQ(exact_in(DType::f4, Scalar{std::int64_t{-32767}}), Scalar{-32767.0});
  EXPECT_FALSE(exact_in(DType::f4, Scalar{std::int64_t{16777217}}).has_value());
  EXPECT_FALSE(exact_in(DType::f8, Scalar{std::numeric_limits<std::int64_t>::max()}).has_value());
  EXPECT_EQ(exact_in(DType::f8, Scalar{std::numeric_limits<std::uint64_t>::max() - 2047}),
            Scalar{18446744073709549568.0});
}

}  // namespace
}  // namespace zpmpi::model
