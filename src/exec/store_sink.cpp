#include "zpmpi/exec/store_sink.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "open_shards.hpp"
#include "stage_clock.hpp"
#include "zpmpi/zarr/fill_chunk.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::exec {

StoreSink::StoreSink(const ExecOptions& options, int workers)
    : options_(options),
      lanes_(static_cast<std::size_t>(std::max(workers, 1))),
      shards_(std::make_unique<OpenShards>(
          ShardTarget{options.store, options.rank, options.fsync, options.fail_write})) {
  for (Lane& lane : lanes_) lane.codec = codec::make_codec(options.codec);
}

StoreSink::~StoreSink() = default;

Status StoreSink::put(int worker, const AssembledChunk& chunk, Stats& stats) {
  Lane& lane = lanes_[static_cast<std::size_t>(worker)];
  auto t0 = Clock::now();
  std::span<const std::byte> encoded = chunk.raw;
  const bool sharded = !chunk.array.shards.empty();
  const bool fill = sharded && zarr::is_fill_chunk(chunk.raw, chunk.array.dtype, chunk.array.fill_value);
  if (options_.codec.id != codec::CodecId::kNone && !fill) {
    const std::size_t bound = lane.codec->max_encoded_size(chunk.raw.size());
    std::byte* out = lane.encoded.get(bound);
    auto size = lane.codec->encode(chunk.raw, {out, bound}, model::dtype_size(chunk.array.dtype));
    if (!size.ok()) return size.error().with_context(chunk.array.name);
    encoded = {out, size.value()};
  }
  stats.seconds_encode += seconds_since(t0);

  t0 = Clock::now();
  if (options_.test_write_delay_ms > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.test_write_delay_ms));
  ZPMPI_RETURN_IF_ERROR(write(chunk, encoded, fill));
  stats.seconds_write += seconds_since(t0);
  const std::uint64_t written = fill ? 0 : encoded.size();
  stats.chunks += 1;
  stats.bytes_raw += chunk.raw.size();
  stats.bytes_written += written;
  if (options_.progress) {
    options_.progress->chunks += 1;
    options_.progress->bytes += written;
  }
  return {};
}

/// Its own chunk file, or its place in its shard.
Status StoreSink::write(const AssembledChunk& chunk, std::span<const std::byte> encoded, bool fill) {
  if (!chunk.array.shards.empty())
    return shards_->add(chunk.array, chunk.index, fill ? std::nullopt : std::optional(encoded));
  return zarr::write_chunk(options_.store, chunk.array.name,
                           zarr::chunk_file_key(options_.format, chunk.array.store_chunk_index(chunk.index)),
                           encoded, options_.rank, options_.fsync, options_.fail_write);
}

Status StoreSink::finish() {
  if (const std::size_t open = shards_->open())
    return runtime_error("internal: " + std::to_string(open) + " shard file(s) begun and not finished");
  return {};
}

std::uint64_t StoreSink::buffer_bytes(int worker) const {
  return lanes_[static_cast<std::size_t>(worker)].encoded.capacity();
}

}  // namespace zpmpi::exec
