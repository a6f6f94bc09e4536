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
  EXPECT_FALSE(dtype_from_name("f2").has_value());
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
