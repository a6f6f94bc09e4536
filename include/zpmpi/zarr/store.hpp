// A Zarr v2 directory store on a POSIX file system.
//
// Chunk files are named by chunk index joined with "." ("0.3.1"; "0" for a rank-0 array),
// written to a temporary name in the array's directory and renamed into place, so a chunk
// file that exists is complete. .zmetadata is written last, so a store without it is
// known to be incomplete.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {

/// "i.j.k" for a chunk index; "0" for rank 0.
std::string chunk_key(const model::Shape& chunk_index);

/// True when `path` is a directory holding .zgroup, .zarray or .zmetadata.
bool is_zarr_store(const std::filesystem::path& path);

/// Makes `path` an empty store: the directory, its .zgroup and one sub-directory per array.
/// If `path` exists: with `overwrite` false it is an error ("store exists; pass
/// --overwrite ..."); with `overwrite` true it is deleted only if is_zarr_store(path),
/// otherwise refused and left untouched. Errors name the path.
Status prepare_store(const std::filesystem::path& path, bool overwrite,
                     const std::vector<std::string>& array_names);

/// Writes one chunk file atomically (temporary name unique to `writer_id`, then rename).
Status write_chunk(const std::filesystem::path& store, const std::string& array,
                   const std::string& key, std::span<const std::byte> bytes, int writer_id);

/// Writes .zgroup, the root .zattrs, each array's (and text array's) .zarray and .zattrs,
/// then .zmetadata.
Status write_metadata(const std::filesystem::path& store, const boost::json::object& group_attrs,
                      const std::vector<ArrayMeta>& arrays, const boost::json::value& compressor,
                      const std::vector<TextArrayMeta>& text_arrays = {});

/// Removes a store this run created and could not complete; no-op if absent.
Status remove_store(const std::filesystem::path& store);

}  // namespace zpmpi::zarr
