// Which chunk (or shard) files an array of a store holds, and a shard file's index: what
// --resume keeps and `zpmpi verify` checks. Every entry is reached without following a link
// (store_entry.hpp): a link in a store sends no read elsewhere.
//
// A chunk or shard file is written to a temporary name and renamed (store.hpp), so one
// that exists is complete: a resumed run keeps it and writes the others. A shard file is
// also checked (shard_index.hpp: crc32c, offsets within the file, no overlaps) before it
// is kept, because a shard is only worth keeping if a reader can use its index: one whose
// index does not check is reported and removed, never trusted, and the run writes it again.
//
// Resume costs one readdir per directory of chunk files: the array's directory in v2
// ("t2m/0.3.1"), every directory of the "c" tree in v3 ("t2m/c/0/3" holds "1"), plus, for
// a sharded array, one read of each shard's index (shards are few: that is their point).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/shard_index.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::zarr {

/// What one listing of an array's chunk files found.
struct ChunkListing {
  std::vector<bool> present;       ///< by linear file index, C order of the grid
  std::uint64_t count = 0;         ///< files found
  std::uint64_t removed_temps = 0; ///< stale temporary files removed (".KEY.tmpN")
  /// Shard files whose index does not check, one line each naming the file and why
  /// ("S/t2m/c/0/1: shard index crc32c is 0x1234abcd, its bytes give 0x89ab0123"): each
  /// was removed (not present), for the run to write again.
  std::vector<std::string> rejected;
};

/// The chunk index of `name` ("i.j.k") in `grid` (chunks per dim), as a linear C-order
/// index; nullopt when the name is not a chunk key of this grid ("3.0" of a 2 x 4 grid).
/// chunk_file_index (store_format.hpp) for v2.
std::optional<std::uint64_t> chunk_index(std::string_view name, const model::Shape& grid);

/// Zarr v2: lists the array directory `array` of `store` once, reached without following
/// links: removes stale temporary files (".KEY.tmpN", ".zarray.tmp"), and marks every
/// regular file "i.j.k" whose index lies inside `grid` (chunks per dim; a rank-0 array
/// has the one key "0"). A link at a chunk key is not a chunk (the run writes the chunk,
/// replacing the link). A missing directory lists as empty. Errors (named): the array
/// directory, or the store, is a link; the directory cannot be read.
Result<ChunkListing> list_chunks(const std::filesystem::path& store, const std::string& array, const model::Shape& grid);

/// Either format: list_chunks for v2; for v3 the files of `files` (store_format.hpp) below
/// "ARRAY/c": every directory of the tree is opened with O_NOFOLLOW below the one above and
/// read once, stale temporaries (".12.tmp3", ".c.tmp3") are removed, and a regular file
/// whose key is one of the grid's is present - a shard file only when its index checks
/// (ChunkListing::rejected otherwise). Names that are no key of the grid are left alone.
/// A missing array directory or "c" lists as empty; a link or a file at a key is not
/// present (the run replaces it). Errors (named): a link where a directory should be
/// ("S/t2m/c", "S/t2m/c/0": zpmpi would not write through it either), a file there ("S/t2m/c/0 is
/// not a directory where the store has one"), a directory that cannot be read, a shard
/// that cannot be read (EIO: not a verdict on its index).
Result<ChunkListing> list_chunk_files(const std::filesystem::path& store, const std::string& array,
                                      const ArrayFiles& files);

/// The checked index (decode_shard_index) of the shard file `relative` below `store`
/// ("t2m/c/0/1") of `slots` inner chunks (ArrayFiles::shard_slots), reading only its last
/// shard_index_size(slots) bytes; nullopt when there is no such file (a shard all of fill
/// may be absent). Errors name the file ("S/t2m/c/0/1: shard index crc32c is ..."): the
/// index does not check; a link on the way or at the file; a directory or fifo there; a
/// read that fails.
Result<std::optional<std::vector<ShardEntry>>> read_shard_index(const std::filesystem::path& store,
                                                                const std::filesystem::path& relative,
                                                                std::uint64_t slots);

}  // namespace zpmpi::zarr
