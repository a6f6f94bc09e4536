// Process-wide memory settings (app/process_memory.hpp).
#include "zpmpi/app/process_memory.hpp"

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace zpmpi::app {
namespace {

#if defined(__GLIBC__)
TEST(ProcessMemory, LargeBlocksComeFromTheHeapAndStayThereWhenFreed) {
  keep_freed_memory_resident();
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
}  // namespace zpmpi::app
