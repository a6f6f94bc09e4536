// The codec implementations behind make_codec(); one file each.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "zpmpi/codec/codec.hpp"

struct ZSTD_DCtx_s;
struct libdeflate_decompressor;

namespace zpmpi::codec {

/// `level` as ZSTD_compress takes it (0 = zstd's default, negative = fast levels).
std::unique_ptr<Codec> make_zstd_codec(int level);
/// `acceleration` as LZ4_compress_fast takes it (1 = default).
std::unique_ptr<Codec> make_lz4_codec(int acceleration);
/// `level` as libdeflate_alloc_compressor takes it (1..9 here, as numcodecs.GZip).
std::unique_ptr<Codec> make_gzip_codec(int level);
/// `clevel` (0..9) and `shuffle` (a BloscShuffle) as blosc_compress_ctx takes them.
std::unique_ptr<Codec> make_blosc_codec(BloscName cname, int clevel, int shuffle);
/// No compression (zarr compressor null).
std::unique_ptr<Codec> make_raw_codec();

/// Each codec's encoded size bound (codec.hpp: encoded_size_bound), one per codec file.
std::uint64_t zstd_encoded_size_bound(std::uint64_t raw_size);
std::uint64_t lz4_encoded_size_bound(std::uint64_t raw_size);
std::uint64_t gzip_encoded_size_bound(std::uint64_t raw_size);
std::uint64_t blosc_encoded_size_bound(std::uint64_t raw_size);

// The one decoder of each format, shared by the Codec (verify) and the decode step (sources).

/// numcodecs.LZ4 framing into `out`, which must be exactly the stated size. Errors:
/// "lz4: input shorter than its 4-byte header", "lz4: header says N bytes, expected M",
/// "lz4: corrupt or truncated data", ...
Status decode_lz4(std::span<const std::byte> in, std::span<std::byte> out);
/// One zstd frame into `out` (exactly its size), with `ctx` (nullptr: zstd makes one for
/// the call). A frame without a content size is refused when `need_content_size`
/// ("zstd: frame without a content size"), else decoded if it fits exactly.
Status decode_zstd(ZSTD_DCtx_s* ctx, std::span<const std::byte> in, std::span<std::byte> out, bool need_content_size);
/// gzip members (numcodecs.GZip; zero padding between and after them, as GzipFile reads)
/// into `out`, exactly their decoded size, with `d` ("gzip: cannot allocate a
/// decompressor" when null). Errors: "gzip: corrupt or truncated data", "gzip: decoded N
/// bytes, expected M", ... (inflate.cpp)
Status decode_gzip(libdeflate_decompressor* d, std::span<const std::byte> in, std::span<std::byte> out);
/// One blosc1 buffer into `out`, exactly the size its header states, on the calling thread
/// (blosc_decompress_ctx: no global state). Errors: "blosc: header says N bytes, expected
/// M", "blosc: corrupt or truncated data (...)", ... (blosc_decode.cpp)
Status decode_blosc(std::span<const std::byte> in, std::span<std::byte> out);

}  // namespace zpmpi::codec
