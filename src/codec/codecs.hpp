// The codec implementations behind make_codec(); one file each.
#pragma once

#include <memory>

#include "zpmpi/codec/codec.hpp"

namespace zpmpi::codec {

/// `level` as ZSTD_compress takes it (0 = zstd's default, negative = fast levels).
std::unique_ptr<Codec> make_zstd_codec(int level);
/// `acceleration` as LZ4_compress_fast takes it (1 = default).
std::unique_ptr<Codec> make_lz4_codec(int acceleration);
/// No compression (zarr compressor null).
std::unique_ptr<Codec> make_raw_codec();

}  // namespace zpmpi::codec
