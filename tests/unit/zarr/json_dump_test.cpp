// dump_json writes what Python's json.dumps(indent=4, sort_keys=True, ensure_ascii=True)
// writes; every expected string below is Python 3.11's output for the same value.
#include <cmath>
#include <limits>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {
namespace {

namespace json = boost::json;

TEST(DumpJson, SortedKeysIndentFour) {
  json::value v = json::object{{"b", json::array{1, 2.5, 1.0}}, {"a", "x"}, {"c", json::object{}},
                               {"d", json::array{}}, {"h", nullptr}, {"B", true},
                               {"n", json::object{{"z", false}, {"y", json::array{json::array{}}}}}};
  EXPECT_EQ(dump_json(v), R"({
    "B": true,
    "a": "x",
    "b": [
        1,
        2.5,
        1.0
    ],
    "c": {},
    "d": [],
    "h": null,
    "n": {
        "y": [
            []
        ],
        "z": false
    }
})");
}

TEST(DumpJson, Scalars) {
  EXPECT_EQ(dump_json(nullptr), "null");
  EXPECT_EQ(dump_json(json::value(-3)), "-3");
  EXPECT_EQ(dump_json(json::value(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(dump_json(json::value("t")), R"("t")");
  EXPECT_EQ(dump_json(json::array{}), "[]");
  EXPECT_EQ(dump_json(json::object{}), "{}");
}

TEST(DumpJson, NonFiniteAreBareTokens) {
  json::value v = json::array{std::nan(""), INFINITY, -INFINITY};
  EXPECT_EQ(dump_json(v), "[\n    NaN,\n    Infinity,\n    -Infinity\n]");
}

TEST(DumpJson, FloatsAsPythonRepr) {
  const std::pair<double, const char*> cases[] = {
      {1.0, "1.0"},
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {100.0, "100.0"},
      {-2.5, "-2.5"},
      {0.1, "0.1"},
      {static_cast<double>(0.1f), "0.10000000149011612"},
      {123456.789, "123456.789"},
      {0.0001, "0.0001"},
      {1e-5, "1e-05"},
      {-1.5e-7, "-1.5e-07"},
      {1e15, "1000000000000000.0"},
      {9999999999999998.0, "9999999999999998.0"},
      {9007199254740992.0, "9007199254740992.0"},
      {1e16, "1e+16"},
      {123456789012345680.0, "1.2345678901234568e+17"},
      {12345678901234567890.0, "1.2345678901234567e+19"},
      {1e22, "1e+22"},
      {1.5e300, "1.5e+300"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {static_cast<double>(std::numeric_limits<float>::max()), "3.4028234663852886e+38"},
  };
  for (const auto& [d, text] : cases) EXPECT_EQ(dump_json(json::value(d)), text) << text;
}

TEST(DumpJson, StringsEscapedAsciiOnly) {
  EXPECT_EQ(dump_json(json::value("a\"b\\c/d")), R"("a\"b\\c/d")");
  EXPECT_EQ(dump_json(json::value("\n\r\t\b\f")), R"("\n\r\t\b\f")");
  EXPECT_EQ(dump_json(json::value(std::string("\x01\x1f\x7f", 3))), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(dump_json(json::value(std::string("\0z", 2))), R"("\u0000z")");
  EXPECT_EQ(dump_json(json::value("\xc2\xb0" "C")), R"("\u00b0C")");              // °C
  EXPECT_EQ(dump_json(json::value("\xe2\x82\xac")), R"("\u20ac")");                // €
  EXPECT_EQ(dump_json(json::value("\xf0\x9f\x98\x80")), R"("\ud83d\ude00")");      // U+1F600
}

TEST(DumpJson, BytesThatAreNotUtf8AreReadAsLatin1) {
  // "°C" in Latin-1 (a netCDF-3 attribute written by an old tool), a truncated sequence,
  // and an overlong encoding of '/'.
  EXPECT_EQ(dump_json(json::value("\xb0" "C")), R"("\u00b0C")");
  EXPECT_EQ(dump_json(json::value("a\xe2\x82")), R"("a\u00e2\u0082")");
  EXPECT_EQ(dump_json(json::value("\xc0\xaf")), R"("\u00c0\u00af")");
}

TEST(DumpJson, KeysAreEscapedAndSortedByCodePoint) {
  json::value v = json::object{{"\xc3\xa9", 1}, {"z", 2}, {"Z", 3}, {"_", 4}, {"\xe2\x82\xac", 5}};
  EXPECT_EQ(dump_json(v), R"({
    "Z": 3,
    "_": 4,
    "z": 2,
    "\u00e9": 1,
    "\u20ac": 5
})");
}

}  // namespace
}  // namespace zpmpi::zarr
