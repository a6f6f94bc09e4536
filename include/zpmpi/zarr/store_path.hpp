// What a configured store path names, decided once, before anything touches the file system.
//
// The user writes "store" as a string; the same directory can be spelt many ways
// ("out.zarr", "out.zarr/", "out.zarr/.", "./out.zarr", "/abs/out.zarr") and "." names the
// working directory itself. zpmpi replaces a store by renaming a sibling directory over it,
// which needs the directory's *parent* and its *name*, so the spelling is reduced to
//   path = canonical(parent) / name
// where:
//   - trailing "/" and "." components are dropped lexically ("out.zarr/." -> "out.zarr"),
//     so "out.zarr/" names the entry "out.zarr" itself, even when that entry is a symbolic
//     link (POSIX would follow the link for "link/"; zpmpi does not write through links);
//   - a relative path is made absolute against the working directory;
//   - a path that then ends in ".." is resolved through the file system (symlinks included),
//     as the kernel would, e.g. "a/b/.." with b a link names the parent of b's target;
//   - the parent is made canonical (symlinks, "." and ".." resolved) where it exists, so two
//     spellings of one directory compare equal; missing parts are normalised lexically.
// The final component is never resolved: whether it is a link is for the caller to judge
// (lstat), see StoreTransaction.
#pragma once

#include <filesystem>
#include <string>

#include "zpmpi/model/result.hpp"

namespace zpmpi::zarr {

struct StorePath {
  std::string spec;             ///< as configured, for messages
  std::filesystem::path path;   ///< canonical parent / name (absolute, no trailing "/" or ".")

  std::filesystem::path parent() const { return path.parent_path(); }
  std::string name() const { return path.filename().string(); }
};

/// Resolves `spec` against `cwd` (an absolute directory) as described above.
/// Errors: an empty spec; a spec with a NUL byte; a spec naming the root directory "/".
Result<StorePath> resolve_store_path(const std::string& spec, const std::filesystem::path& cwd);

/// True when `inner` is `outer` or lies below it, compared component by component on
/// absolute, lexically normal paths ("/a/bc" is not within "/a/b").
bool is_within(const std::filesystem::path& inner, const std::filesystem::path& outer);

/// `path` made absolute against `cwd` and canonical where it exists (weakly_canonical);
/// the lexically normal absolute path when the file system cannot tell (e.g. EACCES).
std::filesystem::path real_path(const std::filesystem::path& path, const std::filesystem::path& cwd);

}  // namespace zpmpi::zarr
