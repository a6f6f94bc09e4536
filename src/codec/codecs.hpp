// The codec implementations behind make_codec(); one file each.
#pragma once

#include <memory>

#include "zpmpi/codec/codec.hpp"

namespace zpmpi::codec {

std::unique_ptr<Codec> make_zstd_codec(int level);
std::unique_ptr<Codec> make_lz4_codec(int acceleration);
std::unique_ptr<Codec> make_raw_codec();

}  // namespace zpmpi::codec
