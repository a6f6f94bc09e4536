// zstd chunks are plain Zstandard frames with the content size, readable by libzstd alone.
#include <zstd.h>

#include <gtest/gtest.h>

#include "codec_test_util.hpp"

namespace zpmpi::codec {
namespace {

using testing::encode;

TEST(Zstd, StandardFrameWithContentSizeDecodableByLibzstd) {
  for (std::size_t n : {1u, 100000u, 3000000u}) {
    const auto raw = testing::sample(n);
    const auto enc = encode(*make_codec({CodecId::kZstd, 1, 1}), raw);
    ASSERT_GE(enc.size(), 4u);
    EXPECT_EQ(enc[0], std::byte{0x28});  // magic 0xFD2FB528, little-endian
    EXPECT_EQ(enc[1], std::byte{0xb5});
    EXPECT_EQ(enc[2], std::byte{0x2f});
    EXPECT_EQ(enc[3], std::byte{0xfd});
    EXPECT_EQ(ZSTD_getFrameContentSize(enc.data(), enc.size()), n);
    EXPECT_EQ(ZSTD_findFrameCompressedSize(enc.data(), enc.size()), enc.size()) << "exactly one frame";
    std::vector<std::byte> back(n);
    EXPECT_EQ(ZSTD_decompress(back.data(), back.size(), enc.data(), enc.size()), n);
    EXPECT_EQ(back, raw);
  }
}

TEST(Zstd, EmptyChunkIsTheFrameNumcodecsWrites) {
  // numcodecs.Zstd(level=1).encode(b"") == 28 b5 2f fd 20 00 01 00 00
  EXPECT_EQ(encode(*make_codec({CodecId::kZstd, 1, 1}), {}), testing::bytes_of("28b52ffd2000010000"));
}

TEST(Zstd, CompressesAndLevelMatters) {
  const auto raw = testing::sample(1 << 20);
  const auto fast = encode(*make_codec({CodecId::kZstd, 1, 1}), raw);
  const auto strong = encode(*make_codec({CodecId::kZstd, 19, 1}), raw);
  EXPECT_LT(fast.size(), raw.size() / 2);
  EXPECT_LT(strong.size(), fast.size());
}

TEST(Zstd, BoundIsLibzstds) {
  auto codec = make_codec({CodecId::kZstd, 1, 1});
  for (std::size_t n : {0u, 1u, 1000u, 1u << 30}) {
    EXPECT_EQ(codec->max_encoded_size(n), ZSTD_compressBound(n));
    EXPECT_EQ(encoded_size_bound(CodecId::kZstd)(n), ZSTD_compressBound(n));  // the planner's
  }
  EXPECT_EQ(encoded_size_bound(CodecId::kZstd)(UINT64_MAX), UINT64_MAX);  // zstd's error code, saturated
  EXPECT_EQ(encoded_size_bound(CodecId::kNone)(777), 777u);
}

TEST(Zstd, RejectsMalformedFrames) {
  auto codec = make_codec({CodecId::kZstd, 1, 1});
  std::vector<std::byte> out(100);
  EXPECT_FALSE(codec->decode({}, out).ok());
  EXPECT_FALSE(codec->decode(testing::bytes_of("00112233445566778899"), out).ok());
  auto enc = encode(*codec, testing::sample(100));
  enc.resize(enc.size() - 3);  // truncated
  auto st = codec->decode(enc, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.rfind("zstd: ", 0), 0u) << st.error().message;
}

TEST(Zstd, RejectsAFrameWithoutContentSize) {
  // A streaming frame (what `zstd` writes from a pipe) has no content size: numcodecs
  // cannot read it, and neither do we.
  const auto raw = testing::sample(1000);
  std::vector<std::byte> frame(ZSTD_compressBound(raw.size()));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  const std::size_t n = ZSTD_compress2(cctx, frame.data(), frame.size(), raw.data(), raw.size());
  ZSTD_freeCCtx(cctx);
  ASSERT_FALSE(ZSTD_isError(n));
  frame.resize(n);
  std::vector<std::byte> out(raw.size());
  auto st = make_codec({CodecId::kZstd, 1, 1})->decode(frame, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "zstd: frame without a content size");
}

}  // namespace
}  // namespace zpmpi::codec
