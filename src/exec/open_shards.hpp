// The shard files a rank is writing (Zarr v3 sharding, zarr/shard_index.hpp), for
// StoreSink. The plan gives every shard to one rank (its units are whole shards), so a
// shard is begun, filled and finished by this rank alone: its inner chunks are appended to
// the shard's temporary file (zarr/streamed_file.hpp) as the workers encode them, in any
// order, and once the last chunk of the shard that lies inside the array has been added,
// the index is appended and the file renamed into place. Memory is the index (16 bytes per
// inner chunk) per open shard, never the shard's data.
//
// An inner chunk entirely of fill is not stored (its entry stays absent); a shard whose
// chunks are all fill has no file at all, as zarr-python writes neither. Shards not
// finished when the sink is dropped (a failure, a stop) lose their temporary file: a shard
// file that exists is complete, and --resume writes the others again.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/file_write.hpp"
#include "zpmpi/zarr/shard_index.hpp"
#include "zpmpi/zarr/streamed_file.hpp"

namespace zpmpi::exec {

/// Where shard files go and how they are written (ExecOptions' store, rank, fsync, fault).
struct ShardTarget {
  std::filesystem::path store;
  int writer_id = 0;
  bool durable = false;
  zarr::WriteFault* fault = nullptr;
};

/// Thread-safe: workers add chunks of one shard or of different shards at once.
class OpenShards {
 public:
  explicit OpenShards(ShardTarget target);
  ~OpenShards();  ///< shards not finished lose their temporary file

  /// Adds the inner chunk with grid index `index` of the sharded `array`: its encoded
  /// bytes, or nullopt for a chunk entirely of fill (not stored). Finishes its shard when
  /// it was the shard's last chunk. Errors name the shard file; each chunk is added once.
  Status add(const model::ArrayLayout& array, const model::Shape& index,
             std::optional<std::span<const std::byte>> encoded);

  /// Shards begun and not finished; 0 once every chunk of each begun shard was added.
  std::size_t open() const;

 private:
  struct Shard;
  Shard& shard_of(const model::ArrayLayout& array, const model::Shape& shard_index);
  Status append(const model::ArrayLayout& array, const model::Shape& shard_index, Shard& shard, std::uint64_t slot,
                std::span<const std::byte> encoded);
  static Status finish(Shard& shard);

  ShardTarget target_;
  mutable std::mutex mutex_;  ///< guards open_ (each Shard has its own for its file)
  std::map<std::pair<std::string, model::Shape>, std::unique_ptr<Shard>> open_;
};

/// Chunks of the shard with grid index `shard_index` that lie inside an array of `grid`
/// chunks per dim, in shards of `per_shard` chunks: fewer than per_shard's product at
/// the array's far edges.
std::uint64_t chunks_in_shard(const model::Shape& shard_index, const model::Shape& per_shard,
                              const model::Shape& grid);

}  // namespace zpmpi::exec
