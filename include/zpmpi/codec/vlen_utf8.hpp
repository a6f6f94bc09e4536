// numcodecs.VLenUTF8, the zarr filter {"id": "vlen-utf8"} of an object ("|O") array of str:
// the item count as a 4-byte little-endian integer, then per item its UTF-8 byte length
// (4 bytes, little-endian) and the bytes, in C order. No terminators, no padding:
//   ["x", "", "zz"] -> 03 00 00 00  01 00 00 00 78  00 00 00 00  02 00 00 00 7a 7a
// It turns objects into bytes, so it is not a byte Codec (codec.hpp): a chunk of such an
// array is vlen_utf8_encode() followed by the array's compressor.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "zpmpi/model/result.hpp"

namespace zpmpi::codec {

/// Bytes one encoding of `items` takes: 4 + sum(4 + size).
std::size_t vlen_utf8_size(std::span<const std::string> items);

/// Encodes `items` (each already valid UTF-8; not checked). Errors when the count or an
/// item exceeds 2^32 - 1 bytes, which the 4-byte fields cannot hold.
Result<std::vector<std::byte>> vlen_utf8_encode(std::span<const std::string> items);

/// Decodes one encoding; errors on truncated or trailing bytes.
Result<std::vector<std::string>> vlen_utf8_decode(std::span<const std::byte> bytes);

}  // namespace zpmpi::codec
