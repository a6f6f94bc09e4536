#include "zpmpi/exec/statistics_sink.hpp"

#include "zpmpi/exec/stored_chunk.hpp"

#include <cstring>

#include "zpmpi/model/chunk_assembly.hpp"
#include "zpmpi/zarr/chunk_files.hpp"
#include "zpmpi/zarr/store_entry.hpp"

namespace zpmpi::exec {

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
  ZPMPI_RETURN_IF_ERROR(load_stored_chunk(kept_, *lane.codec, array, array.store_chunk_index(index), false,
                                          "statistics: the kept chunk of " + array.name, lane.encoded, lane.raw));
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
