// compressor null: the chunk file is the raw bytes.
#include <gtest/gtest.h>

#include "codec_test_util.hpp"

namespace zpmpi::codec {
namespace {

TEST(Raw, ChunkIsTheRawBytes) {
  auto codec = make_codec({CodecId::kNone, 1, 1});
  const auto raw = testing::sample(777);
  EXPECT_EQ(codec->max_encoded_size(777), 777u);
  EXPECT_EQ(testing::encode(*codec, raw), raw);
}

TEST(Raw, DecodeNeedsTheExactSize) {
  auto codec = make_codec({CodecId::kNone, 1, 1});
  std::vector<std::byte> out(3);
  auto st = codec->decode(testing::bytes_of("0102"), out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "raw: chunk holds 2 bytes, expected 3");
}

}  // namespace
}  // namespace zpmpi::codec
