// Bytes to text as netCDF4-python decodes attributes: the expected strings are what
// Python's bytes.decode("utf-8", "replace") gives (checked with Debian's python3).
#include <gtest/gtest.h>

#include "netcdf/utf8.hpp"

namespace zpmpi::source {
namespace {

const std::string R = "\xEF\xBF\xBD";  // U+FFFD

TEST(Utf8, ValidTextIsUnchanged) {
  EXPECT_EQ(utf8_replace_invalid("plain"), "plain");
  EXPECT_EQ(utf8_replace_invalid("\xC2\xB0" "C \xE2\x82\xAC \xF0\x9F\x98\x80"), "\xC2\xB0" "C \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(Utf8, Latin1ByteBecomesOneReplacementCharacter) {
  EXPECT_EQ(utf8_replace_invalid("caf\xE9"), "caf" + R);
  EXPECT_EQ(utf8_replace_invalid("M\xE9t\xE9o"), "M" + R + "t" + R + "o");
}

TEST(Utf8, MaximalSubpartsAsPythonReplaces) {
  // b"\xed\xa0\x80|\xe2\x82A|\xf4\x90\x80\x80|\xc0\x80|\xe0\x80\x80|\xf0\x9f\x98"
  //   .decode("utf-8", "replace") == "\ufffd\ufffd\ufffd|\ufffdA|\ufffd\ufffd\ufffd\ufffd|\ufffd\ufffd|\ufffd\ufffd\ufffd|\ufffd"
  EXPECT_EQ(utf8_replace_invalid("\xED\xA0\x80|\xE2\x82" "A|\xF4\x90\x80\x80|\xC0\x80|\xE0\x80\x80|\xF0\x9F\x98"),
            R + R + R + "|" + R + "A|" + R + R + R + R + "|" + R + R + "|" + R + R + R + "|" + R);
}

TEST(Utf8, CharAttributeDropsEveryNul) {
  EXPECT_EQ(decode_char_attribute(std::string("a\0b\0\0", 5)), "ab");
  EXPECT_EQ(decode_char_attribute(std::string("r\xE9sum\xE9\0", 7)), "r" + R + "sum" + R);
}

}  // namespace
}  // namespace zpmpi::source
