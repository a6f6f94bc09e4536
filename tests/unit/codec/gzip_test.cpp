// gzip chunks are one gzip member (RFC 1952), as numcodecs.GZip writes them, not the raw
// zlib stream of numcodecs.Zlib; the decode chain's gzip step (kerchunk sources) reads them.
#include <libdeflate.h>

#include <gtest/gtest.h>

#include "codec_test_util.hpp"
#include "zpmpi/codec/decode_chain.hpp"

namespace zpmpi::codec {
namespace {

using testing::encode;
using testing::gzip;

std::uint32_t le32(const std::byte* p) {
  return std::to_integer<std::uint32_t>(p[0]) | std::to_integer<std::uint32_t>(p[1]) << 8 |
         std::to_integer<std::uint32_t>(p[2]) << 16 | std::to_integer<std::uint32_t>(p[3]) << 24;
}

TEST(Gzip, OneMemberWithCrcAndSizeTrailer) {
  for (std::size_t n : {0u, 1u, 1000u, 3000000u}) {
    const auto raw = testing::sample(n);
    const auto enc = encode(*make_codec(gzip(1)), raw);
    ASSERT_GE(enc.size(), 18u) << n;  // 10-byte header, deflate data, 8-byte trailer
    EXPECT_EQ(std::vector<std::byte>(enc.begin(), enc.begin() + 3), testing::bytes_of("1f8b08")) << n;
    EXPECT_EQ(le32(enc.data() + enc.size() - 4), n) << n;
    EXPECT_EQ(le32(enc.data() + enc.size() - 8), libdeflate_crc32(0, raw.data(), raw.size())) << n;
  }
}

TEST(Gzip, TheDecodeChainReadsIt) {
  // The .zarray we write, read back as a kerchunk or zarr source would.
  auto chain = DecodeChain::from_zarr(compressor_json(gzip(5)), nullptr, "|u1");
  ASSERT_TRUE(chain.ok()) << chain.error().message;
  DecodeScratch scratch;
  for (int level : {1, 5, 9}) {
    const auto raw = testing::sample(200003);
    std::vector<std::byte> back(raw.size());
    auto st = chain->decode(encode(*make_codec(gzip(level)), raw), back, scratch);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(back, raw) << level;
  }
}

TEST(Gzip, HigherLevelsAreSmaller) {
  const auto raw = testing::sample(1 << 20);
  EXPECT_LT(encode(*make_codec(gzip(9)), raw).size(), encode(*make_codec(gzip(1)), raw).size());
}

TEST(Gzip, BoundIsLibdeflates) {
  auto codec = make_codec(gzip(6));
  for (std::size_t n : {0u, 1u, 1000u, 1u << 30}) {
    EXPECT_EQ(codec->max_encoded_size(n), libdeflate_gzip_compress_bound(nullptr, n)) << n;
    EXPECT_EQ(encoded_size_bound(CodecId::kGzip)(n), libdeflate_gzip_compress_bound(nullptr, n)) << n;  // the planner's
  }
  EXPECT_GT(encoded_size_bound(CodecId::kGzip)(5ull << 30), 5ull << 30);
  EXPECT_EQ(encoded_size_bound(CodecId::kGzip)(UINT64_MAX), UINT64_MAX);
}

TEST(Gzip, RejectsMalformedInput) {
  auto codec = make_codec(gzip(1));
  std::vector<std::byte> out(1000);
  auto junk = codec->decode(testing::bytes_of("1f8b0800ffff"), out);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().message, "gzip: corrupt or truncated data");
  auto enc = encode(*codec, testing::sample(999));
  auto short_output = codec->decode(enc, out);
  ASSERT_FALSE(short_output.ok());
  EXPECT_EQ(short_output.error().message, "gzip: decoded 999 bytes, expected 1000");
}

}  // namespace
}  // namespace zpmpi::codec
