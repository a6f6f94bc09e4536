// Compressed reference files (ESIP's ERA5 set is a .json.zst): zstd or gzip, told by the
// first bytes of the file, not its name (a .json that is compressed reads; a .json.gz
// that is not reads too). Private to src/source.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "zpmpi/model/result.hpp"

namespace zpmpi::source::kerchunk {

enum class Compression { kNone, kZstd, kGzip };

/// By the magic bytes at the start of `head`: 28 B5 2F FD (zstd), 1F 8B (gzip).
Compression compression_of(std::string_view head);

/// Feeds the decompressed text of `data` to `sink`, a piece at a time (zstd is streamed:
/// its text is never held whole; gzip is decompressed whole by libdeflate, its size
/// bounded by `max_bytes`). Errors name `location`: corrupt or truncated data, text larger
/// than `max_bytes`; an error of `sink` is returned as it is.
Status decompress_into(std::string_view data, Compression compression, const std::string& location,
                       std::uint64_t max_bytes, const std::function<Status(const char*, std::size_t)>& sink);

}  // namespace zpmpi::source::kerchunk
