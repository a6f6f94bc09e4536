#include "zpmpi/exec/store_sink.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "stage_clock.hpp"
#include "zpmpi/zarr/store.hpp"

namespace zpmpi::exec {

StoreSink::StoreSink(const ExecOptions& options, int workers)
    : options_(options), lanes_(static_cast<std::size_t>(std::max(workers, 1))) {
  for (Lane& lane : lanes_) lane.codec = codec::make_codec(options.codec);
}

Status StoreSink::put(int worker, const AssembledChunk& chunk, Stats& stats) {
  Lane& lane = lanes_[static_cast<std::size_t>(worker)];
  auto t0 = Clock::now();
  std::span<const std::byte> encoded = chunk.raw;
  if (options_.codec.id != codec::CodecId::kNone) {
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
  ZPMPI_RETURN_IF_ERROR(zarr::write_chunk(options_.store, chunk.array.name, zarr::chunk_key(chunk.index), encoded,
                                          options_.rank, options_.fsync, options_.fail_write));
  stats.seconds_write += seconds_since(t0);
  stats.chunks += 1;
  stats.bytes_raw += chunk.raw.size();
  stats.bytes_written += encoded.size();
  if (options_.progress) {
    options_.progress->chunks += 1;
    options_.progress->bytes += encoded.size();
  }
  return {};
}

std::uint64_t StoreSink::buffer_bytes(int worker) const {
  return lanes_[static_cast<std::size_t>(worker)].encoded.capacity();
}

}  // namespace zpmpi::exec
