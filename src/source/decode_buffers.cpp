#include "zpmpi/source/decode_buffers.hpp"

#include <climits>
#include <cstdint>
#include <limits>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace zpmpi::source {

std::uint64_t max_stored_chunk_bytes(std::uint64_t decoded) {
  const std::uint64_t extra = decoded / 128 + 1024;
  return decoded > std::numeric_limits<std::uint64_t>::max() - extra ? std::numeric_limits<std::uint64_t>::max()
                                                                     : decoded + extra;
}

void keep_decode_buffers_resident() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

}  // namespace zpmpi::source
