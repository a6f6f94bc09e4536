// Multi-file sets whose files each have their own CF time units (monthly files written
// separately by xarray): read in the first file's units, or refused when a value does not
// convert exactly.
#include "multi_file_fixture.hpp"

namespace zpmpi::source {
namespace {

using testing::MultiFileTest;
using testing::PartOptions;
using testing::expect_names;
using testing::resolve_error;

TEST_F(MultiFileTest, EachFilesTimeUnitsAreReadInTheFirstFilesUnits) {
  // Hours 0..7 since 2000-01-01, each file in its own units (the second file's raw values
  // 0, 1, 2 would overlap the first's 0, 1, 2: the check compares converted values).
  const auto a = write_part("a.nc", 0, 0, 3, {.time_type = NC_INT64});
  const auto b = write_part("b.nc", 1, 3, 3,
                            {.time_units = "hours since 2000-01-01 03:00:00", .time_shift = 3, .time_type = NC_INT64});
  const auto c = write_part("c.nc", 2, 6, 2, {.time_units = "minutes since 2000-01-01 06:00", .time_shift = 6,
                                              .time_scale = 60, .time_type = NC_INT64});
  auto resolved = resolve_source(spec_of({a, b, c}));
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_TRUE(resolved->warnings.empty()) << resolved->warnings[0];
  auto source = open_source(*resolved);
  ASSERT_TRUE(source.ok()) << source.error().message;
  const model::Variable* time = (*source)->dataset().find_variable("time");
  ASSERT_EQ(time->dtype, model::DType::i8);
  EXPECT_EQ(std::get<std::string>(time->find_attribute("units")->value.data), "hours since 2000-01-01 00:00:00");
  std::vector<std::int64_t> all(8);
  ASSERT_TRUE((*source)->read("time", {{0}, {8}}, testing::bytes_of(all)).ok());
  EXPECT_EQ(all, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  // A strided read across files, and one inside the last file.
  std::vector<std::int64_t> strided(3), last(1);
  ASSERT_TRUE((*source)->read("time", {{1}, {3}}, testing::bytes_of(strided), {3}).ok());
  EXPECT_EQ(strided, (std::vector<std::int64_t>{1, 4, 7}));
  ASSERT_TRUE((*source)->read("time", {{7}, {1}}, testing::bytes_of(last)).ok());
  EXPECT_EQ(last, std::vector<std::int64_t>{7});
}

TEST_F(MultiFileTest, TimesThatDoNotConvertExactlyAreRefusedNamingBothFilesAndTheValue) {
  // Half hours in minutes: 30 minutes since 03:00 is 3.5 hours, not an int64 number of hours.
  const auto a = write_part("a.nc", 0, 0, 3, {.time_type = NC_INT64});
  const auto half = write_part("half.nc", 1, 3, 3,
                               {.time_step = 0.5, .time_units = "minutes since 2000-01-01 03:00:00", .time_shift = 3,
                                .time_scale = 60, .time_type = NC_INT64});
  Error e = resolve_error({a, half});
  EXPECT_EQ(e.code, ExitCode::kUsage);
  expect_names(e, {a, half, "variable time", "its value 30 (minutes since 2000-01-01 03:00:00)", "3.5 hours",
                   "not a whole number"});
  // int32 seconds since 2100 do not fit int32 seconds since 2000.
  const auto s = write_part("s.nc", 0, 0, 3, {.time_units = "seconds since 2000-01-01", .time_scale = 3600,
                                              .time_type = NC_INT});
  const auto late = write_part("late.nc", 1, 3, 3, {.time_units = "seconds since 2100-01-01", .time_shift = 3,
                                                    .time_scale = 3600, .time_type = NC_INT});
  expect_names(resolve_error({s, late}), {s, late, "variable time", "its value 0", "more than its dtype i4 holds"});
}

TEST_F(MultiFileTest, TimeUnitsOnAnotherCalendarStayRefused) {
  const auto a = write_part("a.nc", 0, 0, 3);
  const auto b = write_part("b.nc", 1, 3, 3,
                            {.time_units = "hours since 2000-01-01 03:00:00", .time_shift = 3, .calendar = "noleap"});
  expect_names(resolve_error({a, b}), {a, b, "variable time has", "xarray decodes each file with its own"});
}

/// A variable of the hand-built datasets below.
model::Variable variable(const std::string& name, std::vector<std::string> dims, const std::string& units) {
  model::Variable v;
  v.name = name;
  v.dtype = model::DType::i8;
  v.dims = std::move(dims);
  v.attributes.push_back({"units", model::AttrValue{units, std::nullopt}});
  return v;
}

TEST(TimeRecodings, OnlyCfTimeUnitsAlongTheConcatDimOnOneCalendar) {
  model::Dataset first, file;
  first.variables = {variable("time", {"time"}, "hours since 2000-01-01"), variable("time_bnds", {"time", "nv"}, ""),
                     variable("lead", {"time"}, "hours since 2000-01-01"), variable("t2m", {"time"}, "K"),
                     variable("ref", {}, "hours since 2000-01-01"),
                     variable("valid", {"time"}, "hours since 2000-01-01")};
  file.variables = {variable("time", {"time"}, "hours since 2000-02-01"), variable("time_bnds", {"time", "nv"}, ""),
                    variable("lead", {"time"}, "days since 2000-02-01"), variable("t2m", {"time"}, "degC"),
                    variable("ref", {}, "hours since 2000-02-01"),
                    variable("valid", {"time"}, "hours since 2000-02-01")};
  // time_bnds has no units of its own: xarray gives it time's (its `bounds` attribute).
  for (auto* ds : {&first, &file}) {
    ds->variables[0].attributes.push_back({"bounds", model::AttrValue{std::string("time_bnds"), std::nullopt}});
    ds->variables[1].attributes.clear();
  }
  file.variables[5].attributes.push_back({"calendar", model::AttrValue{std::string("360_day"), std::nullopt}});
  const auto recoded = time_recodings(first, file, "time");
  ASSERT_EQ(recoded.size(), 3u);
  EXPECT_EQ(recoded[0].variable, "time");
  EXPECT_EQ(recoded[0].recoding.from(), "hours since 2000-02-01");
  EXPECT_EQ(recoded[0].recoding.to(), "hours since 2000-01-01");
  EXPECT_EQ(recoded[1].variable, "time_bnds");
  EXPECT_EQ(recoded[1].recoding.from(), "hours since 2000-02-01");
  EXPECT_EQ(recoded[2].variable, "lead");
  EXPECT_EQ(recoded[2].recoding.from(), "days since 2000-02-01");
  EXPECT_NE(find_recoding(recoded, "lead"), nullptr);
  // Not time units (refused by the agreement check), not along time, another calendar.
  for (const char* name : {"t2m", "ref", "valid"}) EXPECT_EQ(find_recoding(recoded, name), nullptr) << name;
}

}  // namespace
}  // namespace zpmpi::source
