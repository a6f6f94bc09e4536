// `zpmpi verify`'s chunk sink (chunk_sink.hpp): each chunk's expected bytes (decoded, edge
// chunks padded) go to a check instead of the store, which compares them with the chunk
// file there (app/verify.hpp). Nothing is encoded or written.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "zpmpi/exec/chunk_sink.hpp"

namespace zpmpi::exec {

/// Compares the chunk with grid index `index` of `array` with `raw`, what it must hold. Called
/// from several worker threads at once; an error stops the rank (a difference is not one:
/// the check records it and the run reports it at the end).
using VerifyChunk =
    std::function<Status(const model::ArrayLayout& array, const model::Shape& index, std::span<const std::byte> raw)>;

class VerifySink final : public ChunkSink {
 public:
  explicit VerifySink(VerifyChunk verify) : verify_(std::move(verify)) {}

  /// Hands `chunk` to the check; counts it in stats.chunks and stats.bytes_raw.
  Status put(int worker, const AssembledChunk& chunk, Stats& stats) override;
  std::uint64_t buffer_bytes(int) const override { return 0; }

 private:
  VerifyChunk verify_;
};

}  // namespace zpmpi::exec
