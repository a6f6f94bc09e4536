#include "zpmpi/exec/stats.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <set>
#include <string>
#include <type_traits>

namespace zpmpi::exec {
namespace {

TEST(StatsFields, CoverEveryMemberOnceWithUniqueNames) {
  Stats s;
  std::set<std::string> names;
  std::set<const void*> addresses;
  std::size_t bytes = 0;
  fields(s, [&](const char* name, auto& field, Combine) {
    EXPECT_TRUE(names.insert(name).second) << name << " listed twice";
    EXPECT_TRUE(addresses.insert(&field).second) << name << " names a field already listed";
    bytes += sizeof field;
  });
  // Every member is 8 bytes (no padding): a member missing from the list shows here.
  EXPECT_EQ(bytes, sizeof(Stats)) << "a member of Stats is missing from fields()";
  EXPECT_EQ(names.size(), 13u);
}

TEST(StatsFields, CountersAddUpAndTimesAndPeaksTakeTheMaximum) {
  Stats s;
  fields(s, [&](const std::string& name, auto&, Combine how) {
    const bool max = name.starts_with("seconds_") || name.starts_with("peak_");
    EXPECT_EQ(how, max ? Combine::kMax : Combine::kSum) << name;
  });
}

TEST(StatsFields, VisitsTheValuesOfAConstStats) {
  Stats s;
  s.chunks = 7;
  s.seconds_write = 2.5;
  const Stats& c = s;
  double chunks = 0, write = 0;
  fields(c, [&](const std::string& name, const auto& field, Combine) {
    static_assert(std::is_const_v<std::remove_reference_t<decltype(field)>>);
    if (name == "chunks") chunks = static_cast<double>(field);
    if (name == "seconds_write") write = static_cast<double>(field);
  });
  EXPECT_EQ(chunks, 7);
  EXPECT_EQ(write, 2.5);
}

TEST(Stats, ReadAmplificationIsDecodedOverNeededAndOneWhenNothingWasRead) {
  Stats s;
  EXPECT_EQ(s.read_amplification(), 1.0);
  s.bytes_needed = 100;
  s.bytes_decoded = 250;
  EXPECT_DOUBLE_EQ(s.read_amplification(), 2.5);
}

}  // namespace
}  // namespace zpmpi::exec
