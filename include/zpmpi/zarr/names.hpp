// Names that become keys of a Zarr directory store: arrays (one directory level each)
// and the dims listed in their _ARRAY_DIMENSIONS (v2) or dimension_names (v3).
//
// A name is refused when it is empty; contains a NUL byte or '/' (Zarr reads "a/b" as array
// b of group a); is "." or ".."; is one of Zarr v2's metadata keys (.zarray, .zattrs, .zgroup,
// .zmetadata); starts with ".zpmpi" (zpmpi's own files); or is longer than 255 bytes (a
// file name on POSIX file systems, Lustre and GPFS included).
// Zarr v3 (zarr-specs docs/v3/core, "Node names") also refuses "zarr.json" (the metadata key:
// the root group's own document is a file of that name), a name made only of periods
// ("..."), and a name starting with "__" (reserved). "c" is a fine array name: chunk keys
// ("c/0/1") exist only inside an array's directory, and arrays sit below the root group.
#pragma once

#include <string_view>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::zarr {

inline constexpr std::size_t kMaxNameBytes = 255;
/// Names zpmpi keeps for its own files (markers, locks): never an array's.
inline constexpr std::string_view kOwnPrefix = ".zpmpi";

/// The metadata document of every Zarr v3 node (store_format.hpp).
inline constexpr std::string_view kV3MetadataKey = "zarr.json";

/// ".zarray", ".zattrs", ".zgroup" or ".zmetadata".
bool is_metadata_key(std::string_view name);

/// Starts with kOwnPrefix.
inline bool is_own_name(std::string_view name) { return name.starts_with(kOwnPrefix); }

/// Ok, or a kUsage error whose message is the reason alone, for the caller to prefix
/// with what the name is: "is a Zarr metadata key", "contains '/' (...)". `format` adds the
/// refusals of Zarr v3 (see above).
Status check_name(std::string_view name, ZarrFormat format = ZarrFormat::kV2);

}  // namespace zpmpi::zarr
