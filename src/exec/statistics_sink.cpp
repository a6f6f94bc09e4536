#include "zpmpi/exec/statistics_sink.hpp"

#include <cstring>

#include "zpmpi/model/chunk_assembly.hpp"
#include "zpmpi/zarr/chunk_files.hpp"
#include "zpmpi/zarr/store_entry.hpp"

namespace zpmpi::exec {
namespace fs = std::filesystem;
namespace {

/// A kept chunk's stored bytes into `encoded`: false when it is an inner chunk its shard
/// does not store (all fill).
Result<bool> read_kept(const KeptChunks& kept, const model::ArrayLayout& array, const model::Shape& index,
                       std::vector<std::byte>& encoded) {
  fs::path rel = array.name;
  zarr::StoreFileRead file;
  if (array.shards.empty()) {
    rel /= zarr::chunk_file_key(kept.format, index);
    file = zarr::read_store_file(kept.store, rel);
  } else {
    const model::Shape per_shard = zarr::chunks_per_shard(array.shards, array.chunks);
    rel /= zarr::chunk_file_key(kept.format, zarr::shard_of_chunk(index, per_shard));
    ZPMPI_ASSIGN_OR_RETURN(const auto entries, zarr::read_shard_index(kept.store, rel, model::num_elements(per_shard)));
    const zarr::ShardEntry e = entries ? (*entries)[zarr::shard_slot(index, per_shard)] : zarr::ShardEntry{};
    if (e.absent()) return false;
    file = zarr::read_store_file_range(kept.store, rel, e.offset, e.nbytes);
  }
  if (file.kind != zarr::EntryKind::kFile)
    return runtime_error("statistics: cannot read the kept chunk " + (kept.store / rel).string());
  encoded.assign(reinterpret_cast<const std::byte*>(file.bytes.data()),
                 reinterpret_cast<const std::byte*>(file.bytes.data()) + file.bytes.size());
  return true;
}

}  // namespace

StatisticsSink::StatisticsSink(ChunkSink& inner, const std::vector<stats::ArrayStatisticsSpec>& specs, KeptChunks kept,
                               int workers)
    : inner_(inner), specs_(specs), kept_(std::move(kept)), lanes_(static_cast<std::size_t>(std::max(workers, 1))) {
  for (std::size_t i = 0; i < specs_.size(); ++i) by_name_[specs_[i].array] = i;
  for (Lane& lane : lanes_) {
    for (const auto& spec : specs_) lane.groups.emplace_back(model::num_elements(spec.by_shape));
    lane.codec = codec::make_codec(kept_.codec);
  }
}

const stats::ArrayStatisticsSpec* StatisticsSink::spec_of(const std::string& array, std::size_t& at) const {
  const auto it = by_name_.find(array);
  if (it == by_name_.end()) return nullptr;
  at = it->second;
  return &specs_[at];
}

Status StatisticsSink::put(int worker, const AssembledChunk& chunk, Stats& stats) {
  std::size_t at = 0;
  if (const auto* spec = spec_of(chunk.array.name, at))
    stats::add_chunk(chunk.array, spec->decoding, spec->selection, chunk.index, chunk.raw,
                     lanes_[static_cast<std::size_t>(worker)].groups[at]);
  return inner_.put(worker, chunk, stats);
}

Status StatisticsSink::kept(int worker, const model::ArrayLayout& array, const model::Shape& index) {
  std::size_t at = 0;
  const auto* spec = spec_of(array.name, at);
  if (!spec) return {};
  Lane& lane = lanes_[static_cast<std::size_t>(worker)];
  lane.raw.resize(model::num_elements(array.chunks) * model::dtype_size(array.dtype));
  ZPMPI_ASSIGN_OR_RETURN(const bool stored, read_kept(kept_, array, index, lane.encoded));
  if (!stored) {  // a chunk of fill, as a reader of the store sees one absent
    model::fill_elements(lane.raw.data(), model::num_elements(array.chunks), array.dtype, array.fill_value);
  } else if (kept_.codec.id == codec::CodecId::kNone && lane.encoded.size() == lane.raw.size()) {
    lane.raw = lane.encoded;
  } else {
    const Status decoded = lane.codec->decode(lane.encoded, lane.raw);
    if (!decoded.ok()) return decoded.error().with_context("statistics: the kept chunk of " + array.name);
  }
  stats::add_chunk(array, spec->decoding, spec->selection, index, lane.raw, lane.groups[at]);
  return {};
}

std::uint64_t StatisticsSink::buffer_bytes(int worker) const {
  const Lane& lane = lanes_[static_cast<std::size_t>(worker)];
  return inner_.buffer_bytes(worker) + lane.encoded.capacity() + lane.raw.capacity();
}

std::vector<std::vector<stats::Moments>> StatisticsSink::moments() const {
  std::vector<std::vector<stats::Moments>> merged = lanes_.front().groups;
  for (std::size_t w = 1; w < lanes_.size(); ++w)
    for (std::size_t s = 0; s < merged.size(); ++s)
      for (std::size_t g = 0; g < merged[s].size(); ++g) merged[s][g].merge(lanes_[w].groups[s][g]);
  return merged;
}

}  // namespace zpmpi::exec
