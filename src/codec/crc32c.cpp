// CRC-32C with Boost.CRC (header-only, part of the Boost zpmpi already requires): a
// shard index is 16 bytes per inner chunk, so a table-driven byte loop is plenty.
#include "zpmpi/codec/crc32c.hpp"

#include <boost/crc.hpp>

namespace zpmpi::codec {

std::uint32_t crc32c(std::span<const std::byte> bytes) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

}  // namespace zpmpi::codec
