#include <libdeflate.h>
#include <zstd.h>

#include "decode_scratch_state.hpp"

namespace zpmpi::codec {

static_assert(std::is_same_v<ZSTD_DCtx, ZSTD_DCtx_s>, "zstd.h names its context ZSTD_DCtx_s");

DecodeScratch::State::State() = default;

DecodeScratch::State::~State() {
  if (inflater_) libdeflate_free_decompressor(inflater_);
  if (zstd_) ZSTD_freeDCtx(zstd_);
}

std::span<std::byte> DecodeScratch::State::buffer(std::size_t i, std::size_t n) {
  return {buffers_[i].get(n), n};
}

std::size_t DecodeScratch::State::capacity() const { return buffers_[0].capacity() + buffers_[1].capacity(); }

libdeflate_decompressor* DecodeScratch::State::inflater() {
  if (!inflater_) inflater_ = libdeflate_alloc_decompressor();
  return inflater_;
}

ZSTD_DCtx* DecodeScratch::State::zstd() {
  if (!zstd_) zstd_ = ZSTD_createDCtx();
  return zstd_;
}

DecodeScratch::DecodeScratch() : state_(std::make_unique<State>()) {}
DecodeScratch::~DecodeScratch() = default;
DecodeScratch::DecodeScratch(DecodeScratch&&) noexcept = default;
DecodeScratch& DecodeScratch::operator=(DecodeScratch&&) noexcept = default;
std::size_t DecodeScratch::capacity() const { return state_ ? state_->capacity() : 0; }

}  // namespace zpmpi::codec
