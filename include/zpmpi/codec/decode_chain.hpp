// Decoding stored chunks, with numcodecs semantics. A Zarr v2 array (and a kerchunk
// reference set, which describes one) stores each chunk as its raw bytes passed through
// the .zarray "filters" in order and then the "compressor"; reading undoes them in reverse
// and, for a big-endian dtype ('>f4'), swaps to native order last. A DecodeChain is that
// list of steps, built once per variable and shared read-only by every worker thread;
// each thread brings its own DecodeScratch.
//
// Codecs (numcodecs ids): zlib, gzip (inflated with libdeflate), zstd, lz4 (numcodecs'
// 4-byte length + block framing), blosc, shuffle (elementsize), delta (dtype, astype),
// fixedscaleoffset (offset, scale, dtype, astype), and none (compressor null). Any of them
// may stand in "filters" (kerchunk's HDF5 chunks say filters [shuffle, zlib], compressor
// null), but only the last one applied may compress: a compressed stream inside another
// has no known size. Fields a codec only uses to encode (level, clevel, ...) are checked
// for their type; fields this version does not know are ignored.
//
// Example: dtype ">f4", filters [{"id": "shuffle", "elementsize": 4}], compressor
// {"id": "zlib", "level": 1}: decode inflates into a scratch buffer, unshuffles into `out`,
// then swaps each 4-byte element in place: "zlib(level=1) <- shuffle(4) <- byteswap(4)".
//
// Memory: besides `out`, a decode uses at most one chunk-sized scratch buffer for every
// chain of the usual kinds (a compressor, then shuffle and/or element-wise filters): each
// step writes `out` directly when it can (a compressor without filters, delta and
// fixedscaleoffset run in place), so only a step that cannot run in place (shuffle) goes
// through the scratch buffer. A filter whose encoded form is larger than the chunk (an
// astype wider than dtype) needs scratch of that larger size, and a second such buffer
// when a shuffle follows it (delta "|u1" <- "<i8" then shuffle(8): 16x the chunk).
// Arithmetic follows numpy 1.24: see delta.cpp and fixedscaleoffset.cpp in src/codec;
// float16 ("<f2") in a filter is refused.
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
/// steps and decompressor contexts (libdeflate, zstd), made on first use, grown to the
/// largest chunk seen and then reused for chunks of any size and any chain. Not shared
/// between threads; a moved-from scratch may only be destroyed or assigned.
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
  /// (a numeric zarr dtype string: "<f4", ">i2", "|u1", "<c8", "<M8[ns]", ...). Errors
  /// (ExitCode::kUsage) say where and what, e.g.
  ///   "compressor: unknown codec 'bz2' (supported: zlib, gzip, zstd, lz4, blosc, ...)",
  ///   "filters[0]: codec shuffle: elementsize: must be a positive integer, got 0",
  ///   "filters[1]: codec delta: dtype: unsupported dtype '|O' (supported: ...)",
  ///   "dtype: unsupported dtype '<U4' (...)"; the caller adds the variable.
  static Result<DecodeChain> from_zarr(const boost::json::value& compressor, const boost::json::value& filters,
                                       std::string_view dtype);

  DecodeChain();
  ~DecodeChain();

  /// Decodes one stored chunk into `out`, which is exactly the chunk's decoded size
  /// (elements * dtype size), native byte order; `stored` must not overlap `out`. Safe to
  /// call from several threads at once with different scratches. A corrupt, truncated or
  /// mis-sized input is an error (ExitCode::kRuntime) naming the codec, never silent
  /// garbage: "zlib: corrupt or truncated data", "zlib: decoded 4000 bytes, expected 4096",
  /// "lz4: header says 100 bytes, expected 4096", "stored chunk has 10 bytes, expected 16"
  /// (no compressor). `out` may hold partial results after an error.
  Status decode(std::span<const std::byte> stored, std::span<std::byte> out, DecodeScratch& scratch) const;

  /// True when decode is a plain copy (no compressor, no filter, native order).
  bool is_identity() const;
  /// The decoding steps in the order they run, for logs: "zlib(level=1) <- shuffle(4)";
  /// "none" for the identity.
  std::string describe() const;

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;  ///< immutable once built: copies share it
};

}  // namespace zpmpi::codec
