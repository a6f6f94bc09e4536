// "{{...}}" templates of kerchunk references: integer arithmetic that would leave 64 bits is
// an error (Python's integers do not wrap; a wrapped offset would read another chunk).
#include <gtest/gtest.h>

#include <string>

#include "kerchunk/kerchunk_template.hpp"
#include "zpmpi/source/kerchunk_refs.hpp"

namespace zpmpi::source::kerchunk {
namespace {

Result<std::string> render(const std::string& text, std::int64_t i) {
  TemplateLookup lookup = [&](std::string_view n) -> std::optional<TemplateValue> {
    if (n == "i") return TemplateValue{"", i, true};
    if (n == "big") return TemplateValue{"99999999999999999999", 0, false};
    return std::nullopt;
  };
  std::string out;
  ZPMPI_RETURN_IF_ERROR(render_template(text, lookup, out));
  return out;
}

void expect_overflow(const std::string& text, std::int64_t i) {
  SCOPED_TRACE(text);
  const auto r = render(text, i);
  ASSERT_FALSE(r.ok()) << *r;
  EXPECT_EQ(r.error().code, ExitCode::kUsage);
  EXPECT_NE(r.error().message.find("does not fit in 64 bits"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
}

TEST(KerchunkTemplate, ArithmeticInRangeIsExact) {
  EXPECT_EQ(*render("{{22283 + i*4611686018427387904}}", 1), "4611686018427410187");
  EXPECT_EQ(*render("{{9223372036854775807}}", 0), "9223372036854775807");
  EXPECT_EQ(*render("{{-9223372036854775807 - 1}}", 0), "-9223372036854775808");
  EXPECT_EQ(*render("{{(-9223372036854775807 - 1) % -1}}", 0), "0");  // Python: 0, C++: undefined
}

TEST(KerchunkTemplate, OverflowIsAnError) {
  expect_overflow("{{22283 + i*4611686018427387904*4}}", 1);  // was 22283: chunk 0 for every i
  expect_overflow("{{9223372036854775807 + i}}", 1);
  expect_overflow("{{-9223372036854775807 - 2 * i}}", 1);
  expect_overflow("{{9223372036854775808}}", 0);
  expect_overflow("{{big + 1}}", 0);
  expect_overflow("{{-(-9223372036854775807 - i)}}", 1);
  expect_overflow("{{(-9223372036854775807 - i) // -1}}", 1);
}

TEST(KerchunkTemplate, AGenOffsetThatOverflowsNamesItsKey) {
  const std::string text =
      R"({"version": 1, "refs": {".zgroup": "{}", "t/.zarray": "{\"shape\":[4],\"chunks\":[1]}"},)"
      R"( "gen": [{"key": "t/{{i}}", "url": "f.nc", "offset": "{{22283 + i*4611686018427387904*4}}",)"
      R"( "length": "100", "dimensions": {"i": {"stop": 4}}}]})";
  const auto set = ReferenceSet::parse_text(text, "/d/refs.json");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ExitCode::kUsage);
  // i = 0 fits (22283); i = 1 does not.
  EXPECT_EQ(set.error().message.find("/d/refs.json: gen[0]: \"t/1\": offset: template {{22283 + "), 0u)
      << set.error().message;
  EXPECT_NE(set.error().message.find("does not fit in 64 bits"), std::string::npos);
  // A literal offset past 2^64 - 1 is refused too.
  const auto literal = ReferenceSet::parse_text(
      R"({"version": 1, "gen": [{"key": "t/{{i}}", "url": "f.nc", "offset": "18446744073709551616",)"
      R"( "length": "1", "dimensions": {"i": [0]}}]})",
      "/d/refs.json");
  ASSERT_FALSE(literal.ok());
  EXPECT_NE(literal.error().message.find("\"t/0\": offset '18446744073709551616' does not fit in 64 bits"),
            std::string::npos)
      << literal.error().message;
}

TEST(KerchunkTemplate, RangesNearTheInt64BoundsDoNotWrap) {
  // stop - start does not fit in int64: counted without overflow, then refused as too many.
  const auto set = ReferenceSet::parse_text(
      R"({"version": 1, "gen": [{"key": "t/{{i}}", "url": "f.nc", "dimensions":)"
      R"( {"i": {"start": -9223372036854775807, "stop": 9223372036854775807, "step": 4611686018427387904}}}]})",
      "/d/refs.json");
  ASSERT_TRUE(set.ok()) << set.error().message;  // 4 values, none of them a key of an array
  const auto many = ReferenceSet::parse_text(
      R"({"version": 1, "gen": [{"key": "t/{{i}}", "url": "f.nc", "dimensions":)"
      R"( {"i": {"start": -9223372036854775807, "stop": 9223372036854775807}}}]})",
      "/d/refs.json");
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.error().message.find("dimensions.i: more than 2^28 values"), std::string::npos)
      << many.error().message;
}

}  // namespace
}  // namespace zpmpi::source::kerchunk
