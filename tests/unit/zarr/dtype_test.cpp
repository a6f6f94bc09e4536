// NumPy typestr and fill_value spelling.
#include <cmath>
#include <limits>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {
namespace {

using model::DType;
using model::Scalar;
namespace json = boost::json;

TEST(Typestr, AllTenDTypes) {
  EXPECT_EQ(typestr(DType::i1), "|i1");
  EXPECT_EQ(typestr(DType::u1), "|u1");
  EXPECT_EQ(typestr(DType::i2), "<i2");
  EXPECT_EQ(typestr(DType::u2), "<u2");
  EXPECT_EQ(typestr(DType::i4), "<i4");
  EXPECT_EQ(typestr(DType::u4), "<u4");
  EXPECT_EQ(typestr(DType::i8), "<i8");
  EXPECT_EQ(typestr(DType::u8), "<u8");
  EXPECT_EQ(typestr(DType::f4), "<f4");
  EXPECT_EQ(typestr(DType::f8), "<f8");
}

TEST(FillValue, NonFiniteFloatsAreStrings) {
  for (DType t : {DType::f4, DType::f8}) {
    EXPECT_EQ(fill_value_json(t, Scalar{std::nan("")}), json::value("NaN"));
    EXPECT_EQ(fill_value_json(t, Scalar{-std::nan("")}), json::value("NaN"));
    EXPECT_EQ(fill_value_json(t, Scalar{INFINITY}), json::value("Infinity"));
    EXPECT_EQ(fill_value_json(t, Scalar{-INFINITY}), json::value("-Infinity"));
  }
}

TEST(FillValue, FiniteFloatsAreDoublesOfTheStoredValue) {
  const auto f8 = fill_value_json(DType::f8, Scalar{-9999.0});
  ASSERT_TRUE(f8.is_double());
  EXPECT_EQ(f8.get_double(), -9999.0);
  EXPECT_EQ(dump_json(f8), "-9999.0");
  // float32 holds 0.1f, which is 0.10000000149011612 as a double: what zarr-python writes.
  EXPECT_EQ(dump_json(fill_value_json(DType::f4, Scalar{0.1})), "0.10000000149011612");
  EXPECT_EQ(dump_json(fill_value_json(DType::f4, Scalar{9.969209968386869e36})), "9.969209968386869e+36");
  EXPECT_EQ(dump_json(fill_value_json(DType::f8, Scalar{0.1})), "0.1");
}

TEST(FillValue, IntegersAreIntegers) {
  const auto i2 = fill_value_json(DType::i2, Scalar{std::int64_t{-32767}});
  ASSERT_TRUE(i2.is_int64());
  EXPECT_EQ(i2.get_int64(), -32767);
  EXPECT_EQ(fill_value_json(DType::i1, Scalar{std::int64_t{-127}}), json::value(-127));
  EXPECT_EQ(fill_value_json(DType::u1, Scalar{std::uint64_t{255}}), json::value(255u));
  const auto i8min = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(fill_value_json(DType::i8, Scalar{i8min}), json::value(i8min));
  const auto u8max = std::numeric_limits<std::uint64_t>::max();
  const auto u8 = fill_value_json(DType::u8, Scalar{u8max});
  ASSERT_TRUE(u8.is_uint64());
  EXPECT_EQ(u8.get_uint64(), u8max);
  EXPECT_EQ(dump_json(u8), "18446744073709551615");
  EXPECT_EQ(dump_json(fill_value_json(DType::u4, Scalar{std::uint64_t{4294967295u}})), "4294967295");
}

TEST(FillValue, ConvertedToTheDType) {
  // A fill given in another kind is written as the dtype holds it.
  EXPECT_EQ(fill_value_json(DType::i4, Scalar{-1.0}), json::value(-1));
  EXPECT_EQ(fill_value_json(DType::f4, Scalar{std::int64_t{3}}), json::value(3.0));
}

TEST(FillValue, NoneIsNull) {
  for (DType t : {DType::f4, DType::i2, DType::u8}) EXPECT_TRUE(fill_value_json(t, std::nullopt).is_null());
}

}  // namespace
}  // namespace zpmpi::zarr
