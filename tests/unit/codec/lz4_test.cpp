// lz4 chunks carry numcodecs' framing: a 4-byte little-endian length, then one LZ4 block.
#include <lz4.h>

#include <gtest/gtest.h>

#include "codec_test_util.hpp"

namespace zpmpi::codec {
namespace {

using testing::encode;

std::uint32_t header(const std::vector<std::byte>& enc) {
  return std::to_integer<std::uint32_t>(enc[0]) | std::to_integer<std::uint32_t>(enc[1]) << 8 |
         std::to_integer<std::uint32_t>(enc[2]) << 16 | std::to_integer<std::uint32_t>(enc[3]) << 24;
}

TEST(Lz4, LittleEndianLengthThenABlockLibLz4Decodes) {
  for (std::size_t n : {1u, 100u, 0x010203u, 3000000u}) {
    const auto raw = testing::sample(n);
    const auto enc = encode(*make_codec({CodecId::kLz4, 1, 1}), raw);
    ASSERT_GE(enc.size(), 5u);
    EXPECT_EQ(header(enc), n);
    std::vector<std::byte> back(n);
    EXPECT_EQ(LZ4_decompress_safe(reinterpret_cast<const char*>(enc.data() + 4), reinterpret_cast<char*>(back.data()),
                                  static_cast<int>(enc.size() - 4), static_cast<int>(back.size())),
              static_cast<int>(n));
    EXPECT_EQ(back, raw);
  }
}

TEST(Lz4, HeaderBytes) {
  const auto enc = encode(*make_codec({CodecId::kLz4, 1, 1}), testing::sample(0x010203));
  EXPECT_EQ(enc[0], std::byte{0x03});
  EXPECT_EQ(enc[1], std::byte{0x02});
  EXPECT_EQ(enc[2], std::byte{0x01});
  EXPECT_EQ(enc[3], std::byte{0x00});
}

TEST(Lz4, SmallChunksAreTheBytesNumcodecsWrites) {
  auto codec = make_codec({CodecId::kLz4, 1, 1});
  // numcodecs.LZ4().encode(b"") and .encode(b"a")
  EXPECT_EQ(encode(*codec, {}), testing::bytes_of("0000000000"));
  EXPECT_EQ(encode(*codec, {std::byte{'a'}}), testing::bytes_of("010000001061"));
}

TEST(Lz4, NotAnLz4Frame) {
  const auto enc = encode(*make_codec({CodecId::kLz4, 1, 1}), testing::sample(1000));
  EXPECT_NE(testing::bytes_of("04224d18"), std::vector<std::byte>(enc.begin(), enc.begin() + 4));
}

TEST(Lz4, BoundIsHeaderPlusLibLz4Bound) {
  auto codec = make_codec({CodecId::kLz4, 1, 1});
  for (int n : {0, 1, 1000, 1 << 30}) {
    EXPECT_EQ(codec->max_encoded_size(n), 4u + LZ4_compressBound(n));
    EXPECT_EQ(encoded_size_bound(CodecId::kLz4)(n), 4u + LZ4_compressBound(n));  // the planner's
  }
  // Past LZ4's input limit (which encode refuses) the bound still grows, up to UINT64_MAX.
  EXPECT_GT(encoded_size_bound(CodecId::kLz4)(3ull << 30), 3ull << 30);
  EXPECT_EQ(encoded_size_bound(CodecId::kLz4)(UINT64_MAX), UINT64_MAX);
}

TEST(Lz4, AccelerationTradesSizeForSpeed) {
  const auto raw = testing::sample(1 << 20);
  EXPECT_LE(encode(*make_codec({CodecId::kLz4, 1, 1}), raw).size(),
            encode(*make_codec({CodecId::kLz4, 1, 1000}), raw).size());
}

TEST(Lz4, RejectsMalformedInput) {
  auto codec = make_codec({CodecId::kLz4, 1, 1});
  std::vector<std::byte> out(8);
  auto short_input = codec->decode(testing::bytes_of("080000"), out);
  ASSERT_FALSE(short_input.ok());
  EXPECT_EQ(short_input.error().message, "lz4: input shorter than its 4-byte header");
  auto wrong_size = codec->decode(testing::bytes_of("0900000000"), out);
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_EQ(wrong_size.error().message, "lz4: header says 9 bytes, expected 8");
  auto junk = codec->decode(testing::bytes_of("08000000ff"), out);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().message, "lz4: corrupt or truncated data");
}

}  // namespace
}  // namespace zpmpi::codec
