#include "zpmpi/model/byte_buffer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace zpmpi::model {
namespace {

/// The VmFlags line of the mapping of /proc/self/smaps that holds `p`.
std::string vm_flags_of(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= addr && addr < hi;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return {};
}

TEST(ByteBufferTest, StartsEmptyAndGrowsOnly) {
  ByteBuffer b;
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_EQ(b.data(), nullptr);
  std::byte* p = b.get(100);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(b.capacity(), 100u);
  std::memset(p, 7, 100);
  EXPECT_EQ(b.get(50), p) << "a smaller request reuses the buffer";
  EXPECT_EQ(b.get(100)[99], std::byte{7}) << "contents kept while it does not grow";
  b.get(1000);
  EXPECT_GE(b.capacity(), 1000u);
  b.release();
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_EQ(b.data(), nullptr);
}

TEST(ByteBufferTest, LargeBuffersAreHugePageAlignedAndAdvised) {
  ByteBuffer b;
  const std::size_t n = 3 * ByteBuffer::kHugePageBytes + 5;
  std::byte* p = b.get(n);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % ByteBuffer::kHugePageBytes, 0u);
  EXPECT_EQ(b.capacity(), 4 * ByteBuffer::kHugePageBytes) << "rounded up to whole huge pages";
  std::memset(p, 1, n);  // all of it is usable
  const std::string flags = vm_flags_of(p);
  ASSERT_FALSE(flags.empty()) << "no mapping in /proc/self/smaps holds the buffer";
  // "hg": MADV_HUGEPAGE was applied (whether the kernel then uses huge pages is its policy).
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
}

TEST(ByteBufferTest, SmallBuffersAreNotRounded) {
  ByteBuffer b;
  b.get(4096);
  EXPECT_LT(b.capacity(), ByteBuffer::kHugePageBytes);
}

}  // namespace
}  // namespace zpmpi::model
