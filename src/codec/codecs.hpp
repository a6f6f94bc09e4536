// The codec implementations behind make_codec(); one file each.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "zpmpi/codec/codec.hpp"

struct ZSTD_DCtx_s;

namespace zpmpi::codec {

/// `level` as ZSTD_compress takes it (0 = zstd's default, negative = fast levels).
std::unique_ptr<Codec> make_zstd_codec(int level);
/// `acceleration` as LZ4_compress_fast takes it (1 = default).
std::unique_ptr<Codec> make_lz4_codec(int acceleration);
/// No compression (zarr compressor null).
std::unique_ptr<Codec> make_raw_codec();

/// Each codec's encoded size bound (codec.hpp: encoded_size_bound), one per codec file.
std::uint64_t zstd_encoded_size_bound(std::uint64_t raw_size);
std::uint64_t lz4_encoded_size_bound(std::uint64_t raw_size);

// The one decoder of each format, shared by the Codec (verify) and the decode step (sources).

/// numcodecs.LZ4 framing into `out`, which must be exactly the stated size. Errors:
/// "lz4: input shorter than its 4-byte header", "lz4: header says N bytes, expected M",
/// "lz4: corrupt or truncated data", ...
Status decode_lz4(std::span<const std::byte> in, std::span<std::byte> out);
/// One zstd frame into `out` (exactly its size), with `ctx` (nullptr: zstd makes one for
/// the call). A frame without a content size is refused when `need_content_size`
/// ("zstd: frame without a content size"), else decoded if it fits exactly.
Status decode_zstd(ZSTD_DCtx_s* ctx, std::span<const std::byte> in, std::span<std::byte> out, bool need_content_size);

}  // namespace zpmpi::codec
