#include "zpmpi/model/byte_buffer.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace zpmpi::model {

void ByteBuffer::Free::operator()(std::byte* p) const { std::free(p); }

std::byte* ByteBuffer::get(std::size_t n) {
  if (n <= capacity_) return data_.get();
  data_.reset();  // release first so peak memory is not old + new
  capacity_ = 0;
  std::size_t size = n;
  void* p = nullptr;
  if (n >= kHugePageBytes) {
    size = (n + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
    p = std::aligned_alloc(kHugePageBytes, size);
    // Advice only: a kernel without THP (or with it off) keeps 4 KiB pages.
    if (p) ::madvise(p, size, MADV_HUGEPAGE);
  } else {
    p = std::malloc(size);
  }
  if (!p) throw std::bad_alloc();
  data_.reset(static_cast<std::byte*>(p));
  capacity_ = size;
  return data_.get();
}

}  // namespace zpmpi::model
