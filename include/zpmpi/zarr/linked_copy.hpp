// Append mode's copy (store_transaction.hpp): the new store is built beside the old one like
// any run's, but it starts as hard links to the old store's files, so the old data is
// neither copied nor touched. The run then writes only what changes - new chunk files, the
// boundary chunks, the append dim's coordinate, the metadata - each under a temporary name
// renamed over the link in the copy, never through it: the old store's files keep their
// bytes until the swap, and after it the old names go and the data stays, shared.
//
// Not linked: metadata documents (.zarray, .zattrs, .zgroup, .zmetadata, zarr.json: written
// again at the end), the marker folder, and the files the caller names (rewritten). A link
// or anything but a directory or a regular file in the old store is refused, naming it.
// Linking is idempotent: what the copy already holds (a resumed copy) is kept.
#pragma once

#include <filesystem>
#include <set>

#include "zpmpi/model/result.hpp"

namespace zpmpi::zarr {

/// Links every file of `store` into `copy` at the same relative path but the metadata
/// documents, the marker folder and `rewritten` (relative paths, e.g. "t2m/4.0.0").
/// Returns the number of files linked. Errors name the entry ("append: cannot link
/// STORE/t2m/0.0.0 into COPY: ..."): a file system without hard links (EXDEV, EPERM) too.
Result<std::uint64_t> link_store_files(const std::filesystem::path& store, const std::filesystem::path& copy,
                                       const std::set<std::filesystem::path>& rewritten);

}  // namespace zpmpi::zarr
