// Decoding stored chunks, with numcodecs semantics. A Zarr v2 array (and a kerchunk
// reference set, which describes one) stores each chunk as its raw bytes passed through
// the .zarray "filters" in order and then the "compressor"; reading undoes them in reverse
// and, for a big-endian dtype ('>f4'), swaps to native order last. A DecodeChain is that
// list of steps, built once per variable and shared read-only by every worker thread;
// each thread brings its own DecodeScratch.
//
// Codecs (numcodecs ids): zlib, gzip (inflated with libdeflate), zstd, lz4 (numcodecs'
// 4-byte length + block framing), blosc, shuffle (elementsize), delta (dtype, astype),
// fixedscaleoffset (offset, scale, dtype, astype), and none (compressor null).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "zpmpi/model/result.hpp"

namespace zpmpi::codec {

/// One thread's reusable state for DecodeChain::decode: intermediate buffers between
/// steps and decompressor contexts, grown to the largest chunk seen and then reused.
class DecodeScratch {
 public:
  DecodeScratch();
  ~DecodeScratch();
  DecodeScratch(DecodeScratch&&) noexcept;
  DecodeScratch& operator=(DecodeScratch&&) noexcept;
  struct State;
  State& state() { return *state_; }
  /// Bytes held (the plan counts them).
  std::size_t capacity() const;

 private:
  std::unique_ptr<State> state_;
};

class DecodeChain {
 public:
  /// From a .zarray's "compressor" (object or null), "filters" (array or null) and "dtype"
  /// (a numeric zarr dtype string: "<f4", ">i2", "|u1", ...). Errors (ExitCode::kUsage)
  /// name what is not supported, e.g. "unknown codec 'bz2' (supported: zlib, gzip, ...)",
  /// "codec shuffle: elementsize must be a positive integer"; the caller adds the variable.
  static Result<DecodeChain> from_zarr(const boost::json::value& compressor, const boost::json::value& filters,
                                       std::string_view dtype);

  DecodeChain();
  ~DecodeChain();

  /// Decodes one stored chunk into `out`, which is exactly the chunk's decoded size
  /// (elements * dtype size), native byte order. Safe to call from several threads at once
  /// with different scratches. A corrupt, truncated or mis-sized input is an error
  /// ("zlib: corrupt data", "decoded 4000 bytes, expected 4096"), never silent garbage.
  Status decode(std::span<const std::byte> stored, std::span<std::byte> out, DecodeScratch& scratch) const;

  /// True when decode is a plain copy (no compressor, no filter, native order).
  bool is_identity() const;
  /// "zlib(level=1) <- shuffle(4)" style text for logs; "none" for the identity.
  std::string describe() const;

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;  ///< immutable once built: copies share it
};

}  // namespace zpmpi::codec
