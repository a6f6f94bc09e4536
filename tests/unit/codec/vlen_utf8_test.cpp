// numcodecs.VLenUTF8 framing; the expected bytes are those zarr-python 2 wrote for
// xarray's to_zarr of ["x", "", "zz"] (chunk file read back with Debian's python3-zarr).
#include "zpmpi/codec/vlen_utf8.hpp"

#include <gtest/gtest.h>

namespace zpmpi::codec {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(VlenUtf8, EncodesCountThenLengthPrefixedItems) {
  const std::vector<std::string> items{"x", "", "zz"};
  auto encoded = vlen_utf8_encode(items);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded, bytes({3, 0, 0, 0, 1, 0, 0, 0, 'x', 0, 0, 0, 0, 2, 0, 0, 0, 'z', 'z'}));
  EXPECT_EQ(vlen_utf8_size(items), encoded->size());
}

TEST(VlenUtf8, MultiByteUtf8CountsBytes) {
  const std::vector<std::string> items{"\xCE\xB3"};  // "γ": 2 bytes
  EXPECT_EQ(*vlen_utf8_encode(items), bytes({1, 0, 0, 0, 2, 0, 0, 0, 0xCE, 0xB3}));
}

TEST(VlenUtf8, EmptyArrayIsItsCount) { EXPECT_EQ(*vlen_utf8_encode({}), bytes({0, 0, 0, 0})); }

TEST(VlenUtf8, DecodeRoundTripsAndRejectsMalformedInput) {
  const std::vector<std::string> items{"Reading", "", "Z\xC3\xBCrich", std::string(300, 'e')};
  auto encoded = *vlen_utf8_encode(items);
  auto decoded = vlen_utf8_decode(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, items);
  EXPECT_FALSE(vlen_utf8_decode(std::span(encoded).first(encoded.size() - 1)).ok());
  encoded.push_back(std::byte{0});
  EXPECT_FALSE(vlen_utf8_decode(encoded).ok());
  EXPECT_FALSE(vlen_utf8_decode(bytes({1, 0})).ok());
}

}  // namespace
}  // namespace zpmpi::codec
