// CRC-32C (Castagnoli), the checksum of the Zarr v3 `crc32c` codec that closes every shard
// index (zarr/shard_index.hpp): polynomial 0x1EDC6F41 (reflected 0x82F63B78), initial value
// and final XOR 0xFFFFFFFF, bits reflected in and out, as RFC 3720 (iSCSI) defines it.
// The codec appends the checksum of the bytes before it as 4 little-endian bytes.
//
// Known values (RFC 3720 B.4 and the usual check string):
//   32 bytes of 0x00 -> 0x8A9136AA     32 bytes of 0xFF -> 0x62A8AB43
//   "123456789"      -> 0xE3069283     no bytes         -> 0x00000000
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace zpmpi::codec {

/// The CRC-32C of `bytes`.
std::uint32_t crc32c(std::span<const std::byte> bytes);

}  // namespace zpmpi::codec
