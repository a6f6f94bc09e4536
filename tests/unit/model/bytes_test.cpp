#include "zpmpi/model/bytes.hpp"

#include <gtest/gtest.h>

namespace zpmpi::model {
namespace {

TEST(ParseBytes, DecimalAndBinaryUnits) {
  EXPECT_EQ(parse_bytes("2GB"), 2'000'000'000u);
  EXPECT_EQ(parse_bytes("1.5GB"), 1'500'000'000u);
  EXPECT_EQ(parse_bytes("512MiB"), 512u * 1024 * 1024);
  EXPECT_EQ(parse_bytes("100 kB"), 100'000u);
  EXPECT_EQ(parse_bytes("3kib"), 3072u);
  EXPECT_EQ(parse_bytes("1000000"), 1'000'000u);
  EXPECT_EQ(parse_bytes("64B"), 64u);
  EXPECT_EQ(parse_bytes(" 1 TB "), 1'000'000'000'000u);
}

TEST(ParseBytes, RejectsGarbage) {
  for (const char* bad : {"", "GB", "two GB", "-1GB", "1.5XB", "1e400", "1GBx", "nan"})
    EXPECT_FALSE(parse_bytes(bad).has_value()) << bad;
}

TEST(FormatBytes, DecimalUnits) {
  EXPECT_EQ(format_bytes(999), "999B");
  EXPECT_EQ(format_bytes(1'500'000), "1.5MB");
  EXPECT_EQ(format_bytes(2'000'000'000), "2GB");
  EXPECT_EQ(format_bytes(310'000'000), "310MB");
}

TEST(FormatBytesUp, NeverBelowTheSize) {
  EXPECT_EQ(format_bytes_up(10'620), "10.7kB");
  EXPECT_EQ(format_bytes_up(18'046'876'024), "18.1GB");
  EXPECT_EQ(format_bytes_up(2'000'000'000), "2GB");
  EXPECT_EQ(format_bytes_up(999), "999B");
  for (std::uint64_t n = 1; n < 50'000'000'000ULL; n = n * 3 + 7) EXPECT_GE(*parse_bytes(format_bytes_up(n)), n) << n;
}

}  // namespace
}  // namespace zpmpi::model
