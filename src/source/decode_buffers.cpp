#include "zpmpi/source/decode_buffers.hpp"

#include <climits>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace zpmpi::source {

void keep_decode_buffers_resident() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

}  // namespace zpmpi::source
