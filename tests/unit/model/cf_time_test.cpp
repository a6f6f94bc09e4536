#include "zpmpi/model/cf_time.hpp"

#include <gtest/gtest.h>

namespace zpmpi::model {
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

// Issue 10, defect 13: a year too long for 64 bits was read uninitialised and accepted;
// fields wider than int wrapped ("2000-4294967297-01" was January); "1.2.3" seconds read as
// 1.2. Every field is now read whole and range-checked, in labels and in units alike.
TEST(CfTime, MalformedDatesAreRefusedInLabelsAndUnits) {
  const std::pair<const char*, const char*> cases[] = {
      {"99999999999999999999-01-01", "(year 99999999999999999999 is not in 0..9999999)"},
      {"10000000-01-01", "(year 10000000 is not in 0..9999999)"},
      {"2000-4294967297-01", "(month 4294967297 is not in 1..12)"},
      {"2000-13-01", "(month 13 is not in 1..12)"},
      {"2000-00-10", "(month 00 is not in 1..12)"},
      {"2000-01-32", "(day 32 is not in 1..31)"},
      {"2000-01-01 24:00", "(hour 24 is not in 0..23)"},
      {"2000-01-01 4294967296:00", "(hour 4294967296 is not in 0..23)"},
      {"2000-01-01 12:60", "(minute 60 is not in 0..59)"},
      {"2000-01-01 12:00:60", "(second 60 is not in [0, 60))"},
      {"-01-01", "as a date"},
      {"2000--01", "as a date"},
      {"2000-01-", "as a date"},
      {"2000-01-01 :00", "as a date"},
      {"2000-01-01 12:", "as a date"},
      {"2000-01-01 12:00:", "as a date"},
      {"2000-01-01 12:00:1.2.3", "as a date"},
      {"2000-01-01 12:00:.", "as a date"},
      {"2000-01-01x", "as a date"},
      {"2000-01-01 12:00 junk", "as a date"},
      {"2000-01-01\u00a0", "as a date"},
  };
  auto units = CfTimeUnits::parse("days since 2000-01-01", "standard");
  ASSERT_TRUE(units.ok());
  for (const auto& [date, message] : cases) {
    auto label = units->value_of(date);
    ASSERT_FALSE(label.ok()) << "label " << date << " was accepted: " << label.value();
    EXPECT_NE(label.error().message.find(message), std::string::npos) << label.error().message;
    EXPECT_EQ(label.error().code, ExitCode::kUsage);
    auto u = CfTimeUnits::parse(std::string("days since ") + date, "360_day");
    ASSERT_FALSE(u.ok()) << "units 'days since " << date << "' were accepted";
    EXPECT_NE(u.error().message.find(message), std::string::npos) << u.error().message;
  }
}

TEST(CfTime, DaysThatOnlySomeCalendarsHave) {
  auto standard = CfTimeUnits::parse("days since 2000-01-01", "standard");
  ASSERT_TRUE(standard.ok());
  EXPECT_EQ(standard->value_of("2001-02-30").error().message, "2001-2-30 does not exist in this calendar");
  EXPECT_FALSE(standard->value_of("2001-04-31").ok());
  EXPECT_FALSE(CfTimeUnits::parse("days since 2001-02-30", "standard").ok());
  auto day360 = CfTimeUnits::parse("days since 2001-02-30", "360_day");
  ASSERT_TRUE(day360.ok()) << day360.error().message;
  EXPECT_EQ(day360->value_of("2001-03-01").value(), 1);
}

TEST(CfTime, LargestYearAndLongFieldsStillParse) {
  auto units = CfTimeUnits::parse("days since 0001-01-01", "360_day");
  ASSERT_TRUE(units.ok());
  EXPECT_EQ(units->value_of("9999999-12-30").value(), 360.0 * 9999998 + 359);
  // Leading zeros are digits like any other: the value, not the width, is checked.
  EXPECT_EQ(units->value_of("0000000000000000000000002-001-01 00:00:00.000").value(), 360);
}

}  // namespace
}  // namespace zpmpi::model
