// Byte sizes as users write them ("2GB", "512MiB", "1.5GB", "1000000") and as we print them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zpmpi::model {

/// Parses a size like dask's parse_bytes: a non-negative number, optional spaces, and an
/// optional unit, case-insensitive: B, kB/KB (1e3), MB, GB, TB, PB (powers of 1000) or
/// KiB, MiB, GiB, TiB, PiB (powers of 1024); no unit means bytes. nullopt for anything
/// else, for a negative or non-finite number, or for a result beyond 2^64.
std::optional<std::uint64_t> parse_bytes(std::string_view text);

/// Decimal units with up to one decimal: 999 -> "999B", 1'500'000 -> "1.5MB", 2e9 -> "2GB".
std::string format_bytes(std::uint64_t bytes);

/// Like format_bytes, rounded up instead of to nearest, so the figure is never less than
/// `bytes`: 10'620 -> "10.7kB", 18'046'876'024 -> "18.1GB". For "you need at least X".
std::string format_bytes_up(std::uint64_t bytes);

}  // namespace zpmpi::model
