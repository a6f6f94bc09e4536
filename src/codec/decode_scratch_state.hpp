// What a DecodeScratch holds (internal to src/codec): up to two intermediate buffers and
// the decompressor contexts, each made on first use and then reused.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>

#include "zpmpi/codec/decode_chain.hpp"
#include "zpmpi/model/byte_buffer.hpp"

struct libdeflate_decompressor;
struct ZSTD_DCtx_s;

namespace zpmpi::codec {

struct DecodeScratch::State {
  State();
  ~State();
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  /// Buffer `i` (0 or 1) of at least `n` bytes; grows (without zeroing) and never shrinks.
  std::span<std::byte> buffer(std::size_t i, std::size_t n);
  std::size_t capacity() const;

  /// libdeflate's decompressor; nullptr if it cannot be allocated.
  libdeflate_decompressor* inflater();
  /// zstd's decompression context; nullptr if it cannot be allocated.
  ZSTD_DCtx_s* zstd();

 private:
  std::array<model::ByteBuffer, 2> buffers_;
  libdeflate_decompressor* inflater_ = nullptr;
  ZSTD_DCtx_s* zstd_ = nullptr;
};

}  // namespace zpmpi::codec
