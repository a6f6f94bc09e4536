// The format of a store, chosen once per job, and what each format names on disk.
//
//                      Zarr v2                        Zarr v3
//   group metadata     .zgroup, .zattrs               zarr.json
//   array metadata     NAME/.zarray, NAME/.zattrs     NAME/zarr.json
//   complete when      .zmetadata exists              the root zarr.json holds "consolidated_metadata"
//                      (written last)                 (written last, write_v3_metadata; create_store
//                                                     writes no root zarr.json before it)
//   chunk (3, 0, 1)    NAME/3.0.1                     NAME/c/3/0/1
//   0-d chunk          NAME/0                         NAME/c
//   shard (1, 0)       -                              NAME/c/1/0 (one file per shard, shard_index.hpp)
// The key of a file is the same function of its grid index whether the grid is of chunks
// or, in a sharded v3 array, of shards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zpmpi/model/box.hpp"

namespace zpmpi::zarr {

/// The job's "zarr_format"; the value is the number a store's documents spell.
enum class ZarrFormat : int { kV2 = 2, kV3 = 3 };

/// 2 -> kV2, 3 -> kV3; nullopt for any other number (app words the error with its key).
std::optional<ZarrFormat> zarr_format_from(std::int64_t value);

/// The metadata documents of a format, by file name (see above).
struct MetadataNames {
  std::vector<std::string_view> group;  ///< in a group's directory
  std::vector<std::string_view> array;  ///< in an array's directory
  std::string_view complete;            ///< in the root, written last: the store is complete
};
const MetadataNames& metadata_names(ZarrFormat format);

/// The key below the array's directory of the file with grid index `index` (see above):
/// v2 chunk_key (store.hpp), v3 v3_chunk_key (v3_metadata.hpp).
std::string chunk_file_key(ZarrFormat format, const model::Shape& index);

/// The linear C-order index in `grid` of the file whose key is `key`, the inverse of
/// chunk_file_key: v2 "1.2" in a 2 x 3 grid -> 5, v3 "c/1/2" -> 5; 0-d: "0" / "c" -> 0.
/// nullopt when `key` is not a key of a file of `grid`: another format's, a coordinate
/// outside the grid ("2.0"), too few or many parts, or a coordinate not spelt as
/// chunk_file_key spells it ("01", "+1", "").
std::optional<std::uint64_t> chunk_file_index(ZarrFormat format, std::string_view key, const model::Shape& grid);

/// One coordinate of a key: decimal digits without a leading zero, below `extent`.
std::optional<std::uint64_t> key_coordinate(std::string_view part, model::Index extent);

/// How one array's chunks are laid out in files: which grid names them, and for a sharded
/// v3 array how many inner chunks each file holds.
struct ArrayFiles {
  ZarrFormat format = ZarrFormat::kV2;
  model::Shape grid;       ///< files per dim: chunks per dim, or shards per dim when sharded
  model::Shape per_shard;  ///< inner chunks per shard along each dim; empty: one file per chunk

  bool sharded() const { return !per_shard.empty(); }
  /// Files of the grid (1 for a 0-d array).
  std::uint64_t file_count() const;
  /// Inner chunks per shard file (its index's entries, shard_index.hpp); 1 when not sharded.
  std::uint64_t shard_slots() const;
  std::string key(const model::Shape& file_index) const { return chunk_file_key(format, file_index); }
};

/// The files of an array whose chunk grid is `chunk_grid` (chunks per dim), sharded in
/// shards of `per_shard` inner chunks (chunks_per_shard, shard_index.hpp) or, when empty, not
/// sharded. The shard grid rounds up: 5 chunks in shards of 2 are 3 shards, the last one
/// partly beyond the array's edge. v2 arrays are never sharded: `per_shard` must be empty.
ArrayFiles array_files(ZarrFormat format, const model::Shape& chunk_grid, const model::Shape& per_shard = {});

}  // namespace zpmpi::zarr
