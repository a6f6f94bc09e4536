// CRC-32C against RFC 3720's test vectors (B.4) and the usual check string.
#include "zpmpi/codec/crc32c.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace zpmpi::codec {
namespace {

std::uint32_t crc_of(std::string_view text) { return crc32c(std::as_bytes(std::span(text))); }

std::uint32_t crc_of(const std::vector<std::uint8_t>& bytes) {
  return crc32c(std::as_bytes(std::span(bytes)));
}

TEST(Crc32c, Rfc3720Vectors) {
  EXPECT_EQ(crc_of(std::vector<std::uint8_t>(32, 0x00)), 0x8A9136AAu);
  EXPECT_EQ(crc_of(std::vector<std::uint8_t>(32, 0xFF)), 0x62A8AB43u);
  std::vector<std::uint8_t> ascending(32), descending(32);
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<std::uint8_t>(i), descending[i] = static_cast<std::uint8_t>(31 - i);
  EXPECT_EQ(crc_of(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc_of(descending), 0x113FDB5Cu);
}

TEST(Crc32c, CheckStringAndEmptyInput) {
  EXPECT_EQ(crc_of("123456789"), 0xE3069283u);
  EXPECT_EQ(crc_of(""), 0u);
}

TEST(Crc32c, IsNotPlainCrc32) {
  // zlib's CRC-32 of "123456789" is 0xCBF43926: a wrong polynomial would give it.
  EXPECT_NE(crc_of("123456789"), 0xCBF43926u);
}

}  // namespace
}  // namespace zpmpi::codec
