#include "zpmpi/source/decode_buffers.hpp"

#include <cstdint>
#include <limits>

namespace zpmpi::source {

std::uint64_t max_stored_chunk_bytes(std::uint64_t decoded) {
  const std::uint64_t extra = decoded / 128 + 1024;
  return decoded > std::numeric_limits<std::uint64_t>::max() - extra ? std::numeric_limits<std::uint64_t>::max()
                                                                     : decoded + extra;
}

}  // namespace zpmpi::source
