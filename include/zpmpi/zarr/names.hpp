// Names that become keys of a Zarr v2 directory store: arrays (one directory level each)
// and the dims listed in their _ARRAY_DIMENSIONS.
//
// A name is refused when it is empty; contains a NUL byte or '/' (Zarr reads "a/b" as array
// b of group a); is "." or ".."; is one of Zarr's metadata keys (.zarray, .zattrs, .zgroup,
// .zmetadata); starts with ".zpmpi" (zpmpi's own files); or is longer than 255 bytes (a
// file name on POSIX file systems, Lustre and GPFS included).
#pragma once

#include <string_view>

#include "zpmpi/model/result.hpp"

namespace zpmpi::zarr {

inline constexpr std::size_t kMaxNameBytes = 255;
/// Names zpmpi keeps for its own files (markers, locks): never an array's.
inline constexpr std::string_view kOwnPrefix = ".zpmpi";

/// ".zarray", ".zattrs", ".zgroup" or ".zmetadata".
bool is_metadata_key(std::string_view name);

/// Starts with kOwnPrefix.
inline bool is_own_name(std::string_view name) { return name.starts_with(kOwnPrefix); }

/// Ok, or a kUsage error whose message is the reason alone, for the caller to prefix
/// with what the name is: "is a Zarr metadata key", "contains '/' (...)".
Status check_name(std::string_view name);

}  // namespace zpmpi::zarr
