// A chunk sink in front of another (chunk_sink.hpp) that also accumulates the statistics of
// the arrays that have a spec (stats/array_statistics.hpp) from each chunk's bytes as they
// pass: what the run writes (StoreSink) or what `zpmpi verify` compares (VerifySink), so
// both get the same figures. Chunks a resumed run keeps are read back from the store and
// decoded (kept()), so a resumed run's statistics are a clean run's, bit for bit (the
// merge is exact, moments.hpp). Each worker accumulates into its own Moments; the rank's
// are their exact merge.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/exec/chunk_sink.hpp"
#include "zpmpi/exec/stored_chunk.hpp"
#include "zpmpi/stats/array_statistics.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::exec {

/// Where kept chunks are read back from: the store being written, its format and codec.
using KeptChunks = StoredChunks;

class StatisticsSink final : public ChunkSink {
 public:
  /// `inner` and `specs` must outlive the sink; `workers` as for the inner sink.
  StatisticsSink(ChunkSink& inner, const std::vector<stats::ArrayStatisticsSpec>& specs, KeptChunks kept,
                 int workers);

  Status put(int worker, const AssembledChunk& chunk, Stats& stats) override;
  Status kept(int worker, const model::ArrayLayout& array, const model::Shape& index) override;
  Status end_batch(const plan::Batch& batch) override { return inner_.end_batch(batch); }
  Status finish() override { return inner_.finish(); }
  std::uint64_t buffer_bytes(int worker) const override;

  /// Per spec, per group: every worker's Moments merged (after the run).
  std::vector<std::vector<stats::Moments>> moments() const;

 private:
  struct Lane {
    std::vector<std::vector<stats::Moments>> groups;  ///< per spec
    std::unique_ptr<codec::Codec> codec;              ///< kept chunks' decoding
    std::vector<std::byte> encoded, raw;
  };
  const stats::ArrayStatisticsSpec* spec_of(const std::string& array, std::size_t& at) const;

  ChunkSink& inner_;
  const std::vector<stats::ArrayStatisticsSpec>& specs_;
  std::map<std::string, std::size_t> by_name_;
  KeptChunks kept_;
  std::vector<Lane> lanes_;
};

}  // namespace zpmpi::exec
