// What zpmpi may delete: a directory tree made only of Zarr entries (v2 or v3) and zpmpi's own.
//
// Replacing a store ends with deleting the old one, and a failed run deletes its own
// incomplete copy. Both delete only entries that are, by name and type, part of a Zarr v2
// or v3 directory store written by zpmpi or zarr-python:
//   group (the root unless it is an array, and any directory with .zgroup or a v3 zarr.json
//   of node_type "group"):
//       .zgroup .zattrs .zarray .zmetadata zarr.json, and sub-directories that are groups
//       or arrays; at the root also zpmpi's own entries ".zpmpi*" (the marker of a run's copy)
//   array (a directory with .zarray or a v3 zarr.json of node_type "array", or without any
//   document below the root: an array a run has not finished):
//       .zarray .zattrs zarr.json, chunk keys ("0", "3.0.12": decimal digits joined by '.';
//       v3 "c" of a 0-d array and "c.3.0" of separator "."), nested chunk directories
//       ("3/0/12" for v2 dimension_separator "/", "c/3/0/12" for v3: directories named by
//       digits holding digits, below "c" in v3), zpmpi's temporary chunk (and shard) files
//       ".<key>.tmp<N>" (".12.tmp3" in "c/3/0", ".c.tmp3": temporary_name, store.hpp)
//   in both: the temporary metadata files ".zarray.tmp", "zarr.json.tmp" that zpmpi renames
//   into place.
// Whether a directory is a group or an array is read from its zarr.json (v3) without
// following a link; v2 and v3 entries are accepted alike, so a v2 store replaced by a v3 one
// (or the reverse) is recognised, and a v3 copy before its first zarr.json too.
// Anything else - another name, a symbolic link (never followed), a device or fifo - is
// *foreign*: its presence means the directory is not (only) a Zarr store.
// Example: "s.zarr/{.zgroup, t2m/.zarray, t2m/0.0.1, t2m/.0.0.2.tmp3}" has no foreign entry,
// nor has "s.zarr/{zarr.json, t2m/zarr.json, t2m/c/0/0/1, t2m/c/0/0/.2.tmp3}";
// "s.zarr/{.zgroup, era5.nc}" has one: "s.zarr/era5.nc".
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::zarr {

/// The marker directory inside a run's own copy of a store (".zpmpi"): with the copy's
/// name pattern it proves the copy is zpmpi's (see store_replace.hpp).
inline constexpr const char* kMarkerName = ".zpmpi";
/// The run's statistics in the marker directory, STORE/.zpmpi/stats.json: an entry of the
/// marker a committed store keeps, with its record (store_replace.hpp, store_resume.hpp). Readers of the store (zarr,
/// xarray) ignore ".zpmpi": it holds no .zarray or .zgroup.
inline constexpr const char* kStatsName = "stats.json";

/// True when `path` is a directory holding .zgroup, .zarray or .zmetadata, or a zarr.json
/// that is a Zarr v3 document ("zarr_format": 3 and a "node_type"; another file of that
/// name, e.g. a job's config, is not). Nothing is read through a link.
bool is_zarr_store(const std::filesystem::path& path);

/// The format of the complete store at `store` (store_format.hpp: its completion document
/// is there): kV2 when .zmetadata is a regular file, kV3 when the root zarr.json is a v3
/// document holding "consolidated_metadata"; nullopt for an unfinished store or none.
/// Nothing is read through a link (a link at either name is not complete).
std::optional<ZarrFormat> complete_store_format(const std::filesystem::path& store);

/// The foreign entries below a store (see above): how many, and the first one met.
struct ForeignEntries {
  std::size_t count = 0;
  std::filesystem::path first;  ///< empty when count is 0
};

/// Walks `store` (a directory; not followed if a link) and reports its foreign entries.
/// An entry that cannot be read (EACCES) counts as foreign.
ForeignEntries find_foreign_entries(const std::filesystem::path& store);

/// Deletes `store` entry by entry, only what is not foreign; the root's marker directory
/// last, so an interrupted removal still leaves a marked copy. Foreign entries and the
/// directories holding them stay. Missing `store`: nothing to do.
/// Errors: foreign entries were left (naming the first and the count), or an unlink or
/// rmdir failed (naming the path).
Status remove_zarr_tree(const std::filesystem::path& store);

}  // namespace zpmpi::zarr
