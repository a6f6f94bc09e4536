// ByteBuffer: the grow-only, uninitialised byte buffer behind every large buffer of a run
// (a batch's hyperslab, decoded chunks, stored chunk bytes, decode intermediates).
//
// Two costs it avoids. Zeroing: a vector's resize writes every byte before the buffer is
// filled anyway (a third of a zlib read's time, measured). First-touch page faults: a
// fresh 100 MB buffer is 25,600 faults of 4 KiB; in a virtual machine each costs
// microseconds (the kernel's fault path was ~20 % of a zlib copy's CPU on the benchmark
// machine). Buffers of at least kHugePageBytes are therefore aligned to 2 MiB and advised
// as transparent huge pages (MADV_HUGEPAGE; a no-op where THP is off), so they fault in
// 2 MiB at a time.
//
// Contents are lost when the buffer grows; it never shrinks (batches reuse it). The old
// memory is freed before the new is allocated, so growing never holds both.
#pragma once

#include <cstddef>
#include <memory>

namespace zpmpi::model {

class ByteBuffer {
 public:
  /// Buffers this large or larger are backed by transparent huge pages where available.
  static constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

  /// At least `n` bytes (nullptr only for n == 0 on an empty buffer); throws
  /// std::bad_alloc when the memory cannot be had, as `new` would.
  std::byte* get(std::size_t n);
  std::byte* data() const { return data_.get(); }
  /// Frees the memory (a buffer sized for an earlier, larger array).
  void release() {
    data_.reset();
    capacity_ = 0;
  }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  std::unique_ptr<std::byte, Free> data_;
  std::size_t capacity_ = 0;
};

}  // namespace zpmpi::model
