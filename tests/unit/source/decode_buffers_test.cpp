// The decode buffer bounds a source publishes (source/decode_buffers.hpp).
#include "zpmpi/source/decode_buffers.hpp"

#include <cstdint>

#include <gtest/gtest.h>

#include "zpmpi/codec/codec.hpp"

namespace zpmpi::source {
namespace {

TEST(DecodeBuffers, AStoredChunkBoundCoversEveryCodecsExpansion) {
  for (std::uint64_t n : {0ULL, 1ULL, 100ULL, 4096ULL, 131071ULL, 131072ULL, 1'000'000ULL, 2'000'000'000ULL}) {
    EXPECT_GE(max_stored_chunk_bytes(n), codec::encoded_size_bound(codec::CodecId::kZstd)(n)) << n;
    EXPECT_GE(max_stored_chunk_bytes(n), codec::encoded_size_bound(codec::CodecId::kLz4)(n)) << n;
    EXPECT_GE(max_stored_chunk_bytes(n), codec::encoded_size_bound(codec::CodecId::kGzip)(n)) << n;
    EXPECT_GE(max_stored_chunk_bytes(n), codec::encoded_size_bound(codec::CodecId::kBlosc)(n)) << n;
  }
  EXPECT_EQ(max_stored_chunk_bytes(UINT64_MAX), UINT64_MAX);  // saturates
}

}  // namespace
}  // namespace zpmpi::source
