#include "zpmpi/transform/timedelta.hpp"

#include <gtest/gtest.h>

namespace zpmpi::transform {
namespace {

/// The values are pandas.Timedelta(text).total_seconds() (pandas 1.5).
TEST(Timedelta, PandasSpellings) {
  const std::pair<const char*, double> cases[] = {
      {"2h", 7200},       {"2H", 7200},        {"2hr", 7200},         {"1 hour", 3600},      {"1.5h", 5400},
      {"1h30min", 5400},  {"2H30T", 9000},     {"90 sec", 90},        {"1m", 60},            {"1 minutes", 60},
      {"0.5D", 43200},    {"2 days", 172800},  {"1W", 604800},        {"5ms", 0.005},        {" 2h ", 7200},
      {"02:00:00", 7200}, {"1 days 02:00:00", 93600}, {"1 day, 02:00:00", 93600}, {"1 hour 30 minutes", 5400}};
  for (const auto& [text, seconds] : cases) {
    auto v = parse_timedelta_seconds(text);
    ASSERT_TRUE(v.ok()) << text << ": " << v.error().message;
    EXPECT_DOUBLE_EQ(v.value(), seconds) << text;
  }
}

TEST(Timedelta, ErrorsQuoteTheText) {
  auto expect = [](const char* text, const std::string& message) {
    auto v = parse_timedelta_seconds(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.error().message, message);
    EXPECT_EQ(v.error().code, ExitCode::kUsage);
  };
  const std::string example = " (write e.g. \"2h\", \"30min\", \"1 days 02:00:00\")";
  expect("", "cannot read \"\" as a duration" + example);
  expect("h", "cannot read \"h\" as a duration" + example);
  expect("2", "cannot read \"2\" as a duration: unknown unit ''" + example);
  expect("2 hrs", "cannot read \"2 hrs\" as a duration: unknown unit 'hrs'" + example);
  expect("1e3s", "cannot read \"1e3s\" as a duration: unknown unit 'e'" + example);
  expect("1M", "the duration \"1M\" uses 'M', which has no fixed length" + example);
  expect("-1h", "the duration \"-1h\" is negative");
  expect("1 days 2:3", "cannot read \"1 days 2:3\" as a duration: expected hh:mm:ss after the days");
}

}  // namespace
}  // namespace zpmpi::transform
