#include "open_shards.hpp"

#include <algorithm>

#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::exec {

struct OpenShards::Shard {
  Shard(std::uint64_t slots, std::uint64_t chunks) : index(slots), remaining(chunks) {}
  std::mutex mutex;  ///< one append at a time: each piece goes at the end of the last
  std::optional<zarr::StreamedFile> file;  ///< created by the first stored chunk
  zarr::ShardIndexBuilder index;
  std::uint64_t remaining;  ///< chunks inside the array not yet added
};

OpenShards::OpenShards(ShardTarget target) : target_(std::move(target)) {}
OpenShards::~OpenShards() = default;

std::uint64_t chunks_in_shard(const model::Shape& shard_index, const model::Shape& per_shard,
                              const model::Shape& grid) {
  std::uint64_t n = 1;
  for (std::size_t d = 0; d < grid.size(); ++d) {
    const model::Index first = shard_index[d] * per_shard[d];
    n *= first < grid[d] ? std::min(per_shard[d], grid[d] - first) : 0;
  }
  return n;
}

OpenShards::Shard& OpenShards::shard_of(const model::ArrayLayout& array, const model::Shape& shard_index) {
  std::lock_guard lock(mutex_);
  auto& slot = open_[{array.name, shard_index}];
  if (!slot) {
    const model::Shape per_shard = zarr::chunks_per_shard(array.shards, array.chunks);
    slot = std::make_unique<Shard>(model::num_elements(per_shard),
                                   chunks_in_shard(shard_index, per_shard, array.store_chunk_grid()));
  }
  return *slot;
}

Status OpenShards::add(const model::ArrayLayout& array, const model::Shape& part_index,
                       std::optional<std::span<const std::byte>> encoded) {
  const model::Shape index = array.store_chunk_index(part_index);  // an appended part's, in the store's grid
  const model::Shape per_shard = zarr::chunks_per_shard(array.shards, array.chunks);
  const model::Shape shard_index = zarr::shard_of_chunk(index, per_shard);
  Shard& shard = shard_of(array, shard_index);
  {
    std::lock_guard lock(shard.mutex);
    if (shard.remaining == 0)
      return runtime_error("internal: chunk " + model::to_string(index) + " of " + array.name + " added twice");
    if (encoded) ZPMPI_RETURN_IF_ERROR(append(array, shard_index, shard, zarr::shard_slot(index, per_shard), *encoded));
    if (--shard.remaining > 0) return {};
  }
  // The shard's last chunk is in: no other worker holds it any more.
  const Status done = finish(shard);
  std::lock_guard lock(mutex_);
  open_.erase({array.name, shard_index});
  return done;
}

Status OpenShards::append(const model::ArrayLayout& array, const model::Shape& shard_index, Shard& shard,
                          std::uint64_t slot, std::span<const std::byte> encoded) {
  if (!shard.file) {
    const std::string key = zarr::chunk_file_key(zarr::ZarrFormat::kV3, shard_index);
    ZPMPI_ASSIGN_OR_RETURN(zarr::StreamedFile file, zarr::StreamedFile::create(target_.store, array.name, key,
                                                                                 target_.writer_id, target_.durable,
                                                                                 target_.fault));
    shard.file.emplace(std::move(file));
  }
  ZPMPI_RETURN_IF_ERROR(shard.index.append(slot, encoded.size()));
  return shard.file->append(encoded);
}

/// The index after the chunks, then the rename; a shard of fill alone has no file.
Status OpenShards::finish(Shard& shard) {
  if (!shard.file) return {};
  ZPMPI_RETURN_IF_ERROR(shard.file->append(shard.index.index()));
  return shard.file->commit();
}

std::size_t OpenShards::open() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

}  // namespace zpmpi::exec
