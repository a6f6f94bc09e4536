#include "zpmpi/source/decode_buffers.hpp"

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

#include "zpmpi/codec/codec.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace zpmpi::source {
namespace {

TEST(DecodeBuffers, AStoredChunkBoundCoversEveryCodecsExpansion) {
  for (std::uint64_t n : {0ULL, 1ULL, 100ULL, 4096ULL, 131071ULL, 131072ULL, 1'000'000ULL, 2'000'000'000ULL}) {
    EXPECT_GE(max_stored_chunk_bytes(n), codec::encoded_size_bound(codec::CodecId::kZstd)(n)) << n;
    EXPECT_GE(max_stored_chunk_bytes(n), codec::encoded_size_bound(codec::CodecId::kLz4)(n)) << n;
  }
  EXPECT_EQ(max_stored_chunk_bytes(UINT64_MAX), UINT64_MAX);  // saturates
}

#if defined(__GLIBC__)
TEST(DecodeBuffers, LargeBlocksComeFromTheHeapAndStayThereWhenFreed) {
  keep_decode_buffers_resident();
  constexpr std::size_t kBytes = 64u << 20;  // above glibc's largest mmap threshold (32 MB)
  const std::size_t mapped_before = mallinfo2().hblkhd;
  void* p = std::malloc(kBytes);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, kBytes);
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "a 64 MB block was mmap'ed";
  std::free(p);
  // Freed, but kept: the next chunk's buffer reuses these pages instead of faulting in new ones.
  EXPECT_GE(mallinfo2().fordblks, kBytes);
  void* q = std::malloc(kBytes);
  EXPECT_EQ(q, p);
  std::free(q);
}
#endif

}  // namespace
}  // namespace zpmpi::source
