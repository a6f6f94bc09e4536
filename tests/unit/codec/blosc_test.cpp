// blosc chunks are one blosc1 buffer as numcodecs.Blosc writes it: the header records the
// array's element size and the shuffle, which regroups the elements' bytes (what makes
// float fields compress); several workers encode at once without sharing state.
#include <blosc.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "codec_test_util.hpp"
#include "zpmpi/codec/decode_chain.hpp"

namespace zpmpi::codec {
namespace {

using testing::blosc;
using testing::encode;

struct Header {
  std::size_t typesize = 0;
  int flags = 0;
  std::string complib;
};

Header header_of(const std::vector<std::byte>& enc) {
  Header h;
  blosc_cbuffer_metainfo(enc.data(), &h.typesize, &h.flags);
  h.complib = blosc_cbuffer_complib(enc.data());
  return h;
}

TEST(Blosc, HeaderRecordsTheElementSizeAndTheShuffle) {
  const auto raw = testing::floats(1 << 18);
  const auto byte = header_of(encode(*make_codec(blosc(BloscName::kLz4, 5, kByteShuffle)), raw, 4));
  EXPECT_EQ(byte.typesize, 4u);
  EXPECT_EQ(byte.flags & (BLOSC_DOSHUFFLE | BLOSC_DOBITSHUFFLE), BLOSC_DOSHUFFLE);
  EXPECT_EQ(byte.complib, "LZ4");
  const auto bit = header_of(encode(*make_codec(blosc(BloscName::kZstd, 5, kBitShuffle)), raw, 8));
  EXPECT_EQ(bit.typesize, 8u);
  EXPECT_EQ(bit.flags & (BLOSC_DOSHUFFLE | BLOSC_DOBITSHUFFLE), BLOSC_DOBITSHUFFLE);
  EXPECT_EQ(bit.complib, "Zstd");
  const auto none = header_of(encode(*make_codec(blosc(BloscName::kLz4, 5, kNoShuffle)), raw, 4));
  EXPECT_EQ(none.flags & (BLOSC_DOSHUFFLE | BLOSC_DOBITSHUFFLE), 0);
}

TEST(Blosc, ShufflingFloatsByTheirElementSizePays) {
  const auto raw = testing::floats(1 << 20);
  auto codec = make_codec(blosc(BloscName::kLz4, 5, kByteShuffle));
  const auto by_float = encode(*codec, raw, 4).size(), by_byte = encode(*codec, raw, 1).size();
  EXPECT_LT(by_float, by_byte * 3 / 4) << by_float << " vs " << by_byte;
}

TEST(Blosc, TheDecodeChainReadsItWithOurZarray) {
  const auto raw = testing::floats(100003);
  for (const CodecSpec& spec : {blosc(BloscName::kLz4, 5, kByteShuffle), blosc(BloscName::kZstd, 9, kBitShuffle),
                                blosc(BloscName::kLz4, 0, kNoShuffle)}) {
    auto chain = DecodeChain::from_zarr(compressor_json(spec), nullptr, "<f4");
    ASSERT_TRUE(chain.ok()) << chain.error().message;
    DecodeScratch scratch;
    std::vector<std::byte> back(raw.size());
    auto st = chain->decode(encode(*make_codec(spec), raw, 4), back, scratch);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(back, raw) << chain->describe();
  }
}

TEST(Blosc, BoundIsTheInputPlusBloscsOverhead) {
  auto codec = make_codec(blosc(BloscName::kZstd, 9, kBitShuffle));
  for (std::size_t n : {0u, 1u, 1000u, 1u << 30}) {
    EXPECT_EQ(codec->max_encoded_size(n), n + BLOSC_MAX_OVERHEAD) << n;
    EXPECT_EQ(encoded_size_bound(CodecId::kBlosc)(n), n + BLOSC_MAX_OVERHEAD) << n;  // the planner's
  }
  EXPECT_EQ(encoded_size_bound(CodecId::kBlosc)(UINT64_MAX), UINT64_MAX);
  // Incompressible floats, every element size and shuffle: within the bound.
  for (std::size_t element : {1u, 2u, 4u, 8u})
    for (int shuffle : {kNoShuffle, kByteShuffle, kBitShuffle}) {
      const auto raw = testing::noise(300001);
      auto c = make_codec(blosc(BloscName::kLz4, 9, shuffle));
      std::vector<std::byte> out(c->max_encoded_size(raw.size()));
      auto n = c->encode(raw, out, element);
      ASSERT_TRUE(n.ok()) << n.error().message;
      std::vector<std::byte> back(raw.size());
      ASSERT_TRUE(c->decode({out.data(), *n}, back).ok());
      EXPECT_EQ(back, raw) << element << " " << shuffle;
    }
}

/// One codec object shared by several threads (blosc keeps no state between calls, and
/// blosc_compress_ctx none between threads): each thread's chunks are the bytes one
/// thread alone writes, and decode back.
TEST(Blosc, SeveralThreadsShareOneCodec) {
  auto codec = make_codec(blosc(BloscName::kZstd, 5, kBitShuffle));
  std::vector<std::vector<std::byte>> raws, expected;
  for (std::size_t t = 0; t < 4; ++t) {
    raws.push_back(testing::floats(100000 + 1000 * t));
    expected.push_back(encode(*codec, raws.back(), 4));
  }
  std::vector<int> wrong(raws.size(), 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < raws.size(); ++t)
    threads.emplace_back([&, t] {
      std::vector<std::byte> back(raws[t].size());
      for (int round = 0; round < 8; ++round) {
        const auto enc = encode(*codec, raws[t], 4);
        if (enc != expected[t] || !codec->decode(enc, back).ok() || back != raws[t]) ++wrong[t];
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(raws.size(), 0));
}

TEST(Blosc, RejectsMalformedInput) {
  auto codec = make_codec(blosc(BloscName::kLz4, 5, kByteShuffle));
  std::vector<std::byte> out(1000);
  auto short_input = codec->decode(testing::bytes_of("0201"), out);
  ASSERT_FALSE(short_input.ok());
  EXPECT_EQ(short_input.error().message, "blosc: input shorter than its 16-byte header");
  auto enc = encode(*codec, testing::floats(200), 4);
  auto wrong_size = codec->decode(enc, out);
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_EQ(wrong_size.error().message, "blosc: header says 800 bytes, expected 1000");
}

}  // namespace
}  // namespace zpmpi::codec
