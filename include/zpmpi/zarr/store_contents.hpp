// What zpmpi may delete: a directory tree made only of Zarr v2 entries and zpmpi's own.
//
// Replacing a store ends with deleting the old one, and a failed run deletes its own
// incomplete copy. Both delete only entries that are, by name and type, part of a Zarr v2
// directory store written by zpmpi or zarr-python:
//   group (the root unless it has .zarray, and any directory with .zgroup):
//       .zgroup .zattrs .zarray .zmetadata, and sub-directories that are groups or arrays;
//       at the root also zpmpi's own entries ".zpmpi*" (the marker of a run's copy)
//   array (a directory with .zarray, or without .zgroup/.zarray below the root: an array a
//   run has not finished):
//       .zarray .zattrs, chunk keys ("0", "3.0.12": decimal digits joined by '.'), nested
//       chunk directories ("3/0/12" for dimension_separator "/": directories named by
//       digits holding digits), zpmpi's temporary chunk files ".<key>.tmp<N>"
//   in both: the temporary metadata files ".zarray.tmp" etc. that zpmpi renames into place.
// Anything else - another name, a symbolic link (never followed), a device or fifo - is
// *foreign*: its presence means the directory is not (only) a Zarr store.
// Example: "s.zarr/{.zgroup, t2m/.zarray, t2m/0.0.1, t2m/.0.0.2.tmp3}" has no foreign entry;
// "s.zarr/{.zgroup, era5.nc}" has one: "s.zarr/era5.nc".
#pragma once

#include <cstddef>
#include <filesystem>

#include "zpmpi/model/result.hpp"

namespace zpmpi::zarr {

/// The marker directory inside a run's own copy of a store (".zpmpi"): with the copy's
/// name pattern it proves the copy is zpmpi's (see store_replace.hpp).
inline constexpr const char* kMarkerName = ".zpmpi";
/// The run's statistics in the marker directory, STORE/.zpmpi/stats.json: an entry of the
/// marker a committed store keeps, with its record (store_replace.hpp, store_resume.hpp). Readers of the store (zarr,
/// xarray) ignore ".zpmpi": it holds no .zarray or .zgroup.
inline constexpr const char* kStatsName = "stats.json";

/// True when `path` is a directory holding .zgroup, .zarray or .zmetadata.
bool is_zarr_store(const std::filesystem::path& path);

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
