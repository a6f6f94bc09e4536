#include "zpmpi/model/time_recoding.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace zpmpi::model {
namespace {

constexpr const char* kJanuary = "hours since 2000-01-01 00:00:00";
constexpr const char* kFebruary = "hours since 2000-02-01 00:00:00";

Variable variable(DType t) {
  Variable v;
  v.name = "time";
  v.dtype = t;
  return v;
}

TimeRecoding recoding(std::string_view from, std::string_view to, std::string_view calendar = "") {
  auto r = TimeRecoding::between(from, to, calendar);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? r.value() : TimeRecoding{};
}

/// `values` recoded as elements of T (dtype t); the error message if they do not convert.
template <class T>
Result<std::vector<T>> recoded(const TimeRecoding& r, const Variable& v, std::vector<T> values) {
  ZPMPI_RETURN_IF_ERROR(r.apply(v, std::as_writable_bytes(std::span(values))));
  return values;
}

template <class T>
void expect_error(const Result<T>& s, const std::vector<std::string>& parts) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ExitCode::kUsage);
  for (const auto& p : parts) EXPECT_NE(s.error().message.find(p), std::string::npos) << p << " in " << s.error().message;
}

TEST(TimeRecoding, AnotherMonthsReferenceIsAWholeOffset) {
  // Monthly files written separately by xarray: int64 hours since each month's start.
  const auto r = recoding(kFebruary, kJanuary);
  auto out = recoded<std::int64_t>(r, variable(DType::i8), {0, 6, 12, 18});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out, (std::vector<std::int64_t>{744, 750, 756, 762}));
  // Backwards too (a file before the first's reference), and on a leap year's February.
  auto back = recoded<std::int64_t>(recoding("hours since 2000-03-01", kFebruary), variable(DType::i8), {-1});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, std::vector<std::int64_t>{29 * 24 - 1});
}

TEST(TimeRecoding, DaysAndHoursConvertWhenExact) {
  auto hours = recoded<std::int32_t>(recoding("days since 2000-02-01", kJanuary), variable(DType::i4), {0, 1, 2});
  ASSERT_TRUE(hours.ok());
  EXPECT_EQ(*hours, (std::vector<std::int32_t>{744, 768, 792}));
  auto days = recoded<std::int32_t>(recoding("hours since 2000-01-03", "days since 2000-01-01"), variable(DType::i4),
                                    {0, 48});
  ASSERT_TRUE(days.ok());
  EXPECT_EQ(*days, (std::vector<std::int32_t>{2, 4}));
  // 25 hours is no whole number of days: refused, quoting the value and both units.
  expect_error(recoded<std::int32_t>(recoding("hours since 2000-01-03", "days since 2000-01-01"),
                                     variable(DType::i4), {24, 25}),
               {"its value 25 (hours since 2000-01-03)", "is 3.0416666666666665 days since 2000-01-01",
                "not a whole number", "i4"});
  // A reference at 03:00 in hours is no whole number of days either, whatever the value.
  expect_error(recoded<std::int64_t>(recoding("hours since 2000-01-01 03:00", "days since 2000-01-01"),
                                     variable(DType::i8), {0}),
               {"its value 0", "is 0.125 days"});
}

TEST(TimeRecoding, AnOverflowIsRefused) {
  // int32 seconds since 2000 are more than int32 holds as seconds since 1900.
  const auto r = recoding("seconds since 2000-01-01", "seconds since 1900-01-01");
  expect_error(recoded<std::int32_t>(r, variable(DType::i4), {0}),
               {"its value 0", "is 3155673600 seconds since 1900-01-01", "more than its dtype i4 holds"});
  auto wide = recoded<std::int64_t>(r, variable(DType::i8), {0});
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(*wide, std::vector<std::int64_t>{3155673600});
  // Below zero in an unsigned type, and beyond 64 bits.
  expect_error(recoded<std::uint32_t>(recoding("hours since 2000-01-01", kFebruary), variable(DType::u4), {0}),
               {"is -744 hours since 2000-02-01", "more than its dtype u4 holds"});
  expect_error(recoded<std::int64_t>(recoding("days since 2000-01-01", "seconds since 2000-01-01"), variable(DType::i8),
                                     {std::numeric_limits<std::int64_t>::max()}),
               {"more than its dtype i8 holds"});
}

TEST(TimeRecoding, FillAndMissingValuesStayAsTheyAre) {
  Variable v = variable(DType::i8);
  v.fill_value = Scalar{std::int64_t{-1}};
  v.attributes.push_back({"missing_value", AttrValue{std::vector<std::int64_t>{-2}, DType::i8}});
  auto out = recoded<std::int64_t>(recoding(kFebruary, kJanuary), v, {-1, 0, -2});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out, (std::vector<std::int64_t>{-1, 744, -2}));
  // A value that becomes the fill value would read as missing.
  expect_error(recoded<std::int64_t>(recoding(kFebruary, kJanuary), v, {-745}),
               {"its value -745", "fill value"});
}

TEST(TimeRecoding, FloatsConvertAsXarraysRoundTrip) {
  const auto r = recoding(kFebruary, kJanuary);
  auto out = recoded<double>(r, variable(DType::f8), {0.5, std::nan(""), 1.0 / 3});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0], 744.5);
  EXPECT_TRUE(std::isnan((*out)[1]));
  // 1/3 h is 1200000000000 ns after truncation: (2678400e9 + 1200000000000) / 3600e9.
  EXPECT_EQ((*out)[2], 2679600000000000.0 / 3600000000000.0);
  auto single = recoded<float>(r, variable(DType::f4), {6.0f, std::nanf("")});
  ASSERT_TRUE(single.ok());
  EXPECT_EQ((*single)[0], 750.0f);
  EXPECT_TRUE(std::isnan((*single)[1]));
  // Beyond int64 nanoseconds (~292 years) xarray goes through cftime: exact arithmetic here.
  auto far = recoded<double>(recoding("days since 2000-01-01", "days since 1000-01-01", "proleptic_gregorian"),
                             variable(DType::f8), {0.5});
  ASSERT_TRUE(far.ok());
  EXPECT_EQ((*far)[0], 365242.5);
}

TEST(TimeRecoding, ModelCalendarsCountTheirOwnDays) {
  auto out = recoded<std::int32_t>(recoding("days since 2000-02-01", "days since 2000-01-01", "360_day"),
                                   variable(DType::i4), {0});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, std::vector<std::int32_t>{30});
  auto noleap = recoded<std::int32_t>(recoding("days since 2000-03-01", "days since 2000-01-01", "noleap"),
                                      variable(DType::i4), {0});
  ASSERT_TRUE(noleap.ok());
  EXPECT_EQ(*noleap, std::vector<std::int32_t>{59});
}

TEST(TimeRecoding, UnitsThatAreNoCfTimeOrDifferByAFractionOfASecondAreErrors) {
  EXPECT_FALSE(TimeRecoding::between("K", kJanuary, "").ok());
  EXPECT_FALSE(TimeRecoding::between(kFebruary, kJanuary, "no_such_calendar").ok());
  auto r = TimeRecoding::between("seconds since 2000-01-01 00:00:00.5", "seconds since 2000-01-01", "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("differ by a fraction of a second"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace zpmpi::model
