#include "zpmpi/transform/cf_time.hpp"

#include <gtest/gtest.h>

namespace zpmpi::transform {
namespace {

struct Case {
  const char* calendar;
  const char* units;
  const char* label;
  double expected;  // cftime.date2num on Debian's python3-netcdf4
};

class CfTimeCases : public ::testing::TestWithParam<Case> {};

TEST_P(CfTimeCases, MatchesCftime) {
  const Case& c = GetParam();
  auto units = CfTimeUnits::parse(c.units, c.calendar);
  ASSERT_TRUE(units.ok()) << units.error().message;
  auto v = units->value_of(c.label);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_DOUBLE_EQ(v.value(), c.expected) << c.calendar << " " << c.units << " " << c.label;
}

INSTANTIATE_TEST_SUITE_P(
    AllCalendars, CfTimeCases,
    ::testing::Values(
        Case{"gregorian", "hours since 1900-01-01 00:00:00.0", "2000-01-07 23:00:00", 876743},
        Case{"gregorian", "days since 1500-03-01", "1600-02-28 12:00", 36513.5},
        Case{"gregorian", "days since 2000-01-01", "2001-03-01", 425},
        Case{"standard", "hours since 1900-01-01", "2000-01-01", 876576},
        Case{"noleap", "hours since 1900-01-01 00:00:00.0", "2000-01-07 23:00:00", 876167},
        Case{"noleap", "days since 1500-03-01", "1600-02-28 12:00", 36499.5},
        Case{"365_day", "days since 2000-01-01", "2001-03-01", 424},
        Case{"360_day", "hours since 1900-01-01 00:00:00.0", "2000-01-07 23:00:00", 864167},
        Case{"360_day", "days since 1500-03-01", "1600-02-28 12:00", 35997.5},
        Case{"360_day", "days since 2000-01-01", "2001-03-01", 420},
        Case{"all_leap", "hours since 1900-01-01 00:00:00.0", "2000-01-07 23:00:00", 878567},
        Case{"366_day", "days since 1500-03-01", "1600-02-28 12:00", 36598.5},
        Case{"all_leap", "days since 2000-01-01", "2001-03-01", 426},
        Case{"julian", "hours since 1900-01-01 00:00:00.0", "2000-01-07 23:00:00", 876767},
        Case{"julian", "days since 1500-03-01", "1600-02-28 12:00", 36523.5},
        Case{"proleptic_gregorian", "days since 1500-03-01", "1600-02-28 12:00", 36523.5},
        Case{"proleptic_gregorian", "hours since 1900-01-01 00:00:00.0", "2000-01-07T23:00:00Z", 876743},
        Case{"gregorian", "seconds since 1970-01-01 00:00:00", "1970-01-02 00:00:01.5", 86401.5},
        Case{"gregorian", "minutes since 2000-01-01 12:00", "2000-01-01 11:00", -60},
        Case{"gregorian", "days since 1582-10-04", "1582-10-15", 1},
        Case{"gregorian", "d since 0001-01-01", "0001-01-02", 1}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(CfTime, Errors) {
  auto expect = [](const Result<CfTimeUnits>& r, const std::string& message) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, message);
    EXPECT_EQ(r.error().code, ExitCode::kUsage);
  };
  expect(CfTimeUnits::parse("hours", "standard"), "units 'hours' are not of the form '<unit> since <date>'");
  expect(CfTimeUnits::parse("weeks since 2000-01-01", "standard"),
         "unknown time unit 'weeks' in 'weeks since 2000-01-01' (seconds, minutes, hours, days)");
  expect(CfTimeUnits::parse("days since 2000-01-01", "lunar"),
         "unknown calendar 'lunar' (known: standard, gregorian, proleptic_gregorian, noleap, 365_day, all_leap, "
         "366_day, 360_day, julian)");
  expect(CfTimeUnits::parse("days since yesterday", "standard"),
         "cannot read 'yesterday' as a date (expected YYYY-MM-DD[ hh[:mm[:ss]]])");
  auto units = CfTimeUnits::parse("days since 2000-01-01", "standard");
  ASSERT_TRUE(units.ok());
  EXPECT_EQ(units->value_of("2001-02-29").error().message, "2001-2-29 does not exist in this calendar");
  EXPECT_FALSE(units->value_of("1582-10-10").ok());
  EXPECT_FALSE(units->value_of("2000-13-01").ok());
  EXPECT_FALSE(units->value_of("2000-01-01 25:00").ok());
  auto day360 = CfTimeUnits::parse("days since 2000-01-01", "360_day");
  ASSERT_TRUE(day360.ok());
  EXPECT_TRUE(day360->value_of("2001-02-30").ok());
  EXPECT_FALSE(day360->value_of("2001-01-31").ok());
  auto leap = CfTimeUnits::parse("days since 2000-01-01", "all_leap");
  EXPECT_TRUE(leap->value_of("2001-02-29").ok());
  auto noleap = CfTimeUnits::parse("days since 2000-01-01", "noleap");
  EXPECT_FALSE(noleap->value_of("2000-02-29").ok());
}

}  // namespace
}  // namespace zpmpi::transform
