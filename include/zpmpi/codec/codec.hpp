// Module `codec` (DESIGN.md, "Modules"): chunk bytes in and out with numcodecs semantics,
// so that zarr-python and xarray read what zpmpi writes and zpmpi reads what kerchunk and
// HDF5 stored. Depends on model (Result, DType) and the compression libraries (zstd, lz4,
// libdeflate, blosc); Boost.JSON for the zarr spelling. Never: I/O, MPI, threads of its
// own (the caller's workers are the parallelism; blosc is told to start none), state
// shared between threads (a Codec object or a DecodeScratch per thread), a size bound
// kept elsewhere (each codec publishes its own: encoded_size_bound).
//
//   codec.hpp          Codec: encode/decode one chunk with the codecs zpmpi writes (zstd,
//                      lz4, none); the "compressor" JSON <-> CodecSpec; the size bounds
//   decode_chain.hpp   DecodeChain: a .zarray's filters and compressor undone in reverse,
//                      shared read-only by the threads; DecodeScratch, a thread's state
//   vlen_utf8.hpp      numcodecs.VLenUTF8 framing of object (string) arrays
// src/codec: one file per codec, encoding and decoding each written once (zstd_codec +
// zstd_decode, lz4_codec + lz4_decode, raw_codec, inflate for zlib/gzip, blosc_decode,
// shuffle, delta, fixedscaleoffset, byteswap); decode_step.hpp, decode_chain.cpp and
// decode_scratch* run a chain; element_types.* holds NumPy's casts for the arithmetic
// filters; codecs.hpp lists what make_codec builds.
//
// Chunk codecs, byte-compatible with numcodecs (what zarr-python and xarray decode).
//
//   zstd: one standard Zstandard frame with the content size in its header
//         (numcodecs.Zstd; zarr JSON {"id": "zstd", "level": 1}).
//   lz4:  numcodecs.LZ4 framing: the uncompressed length as a 4-byte little-endian
//         integer, then one LZ4 *block* (not an LZ4 frame). 100 raw bytes -> 64 00 00 00 + block.
//         (zarr JSON {"id": "lz4", "acceleration": 1}).
//   none: the raw bytes (zarr JSON compressor null).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "zpmpi/model/result.hpp"

namespace zpmpi::codec {

enum class CodecId { kNone, kZstd, kLz4 };

struct CodecSpec {
  CodecId id = CodecId::kZstd;
  int level = 1;         ///< zstd level (1..22, negative = fast levels)
  int acceleration = 1;  ///< lz4 acceleration (>= 1)
  bool operator==(const CodecSpec&) const = default;
};

/// One Codec object may hold scratch state (zstd's compression context): use one per
/// thread, not one shared by several threads.
class Codec {
 public:
  virtual ~Codec() = default;
  /// Upper bound of encode()'s output size for `raw_size` input bytes.
  virtual std::size_t max_encoded_size(std::size_t raw_size) const = 0;
  /// Encodes `raw` into `out` (at least max_encoded_size(raw.size()) bytes); returns the size.
  virtual Result<std::size_t> encode(std::span<const std::byte> raw, std::span<std::byte> out) const = 0;
  /// Decodes a whole chunk into `out`, which must be exactly the raw size; errors on a
  /// malformed or mis-sized input.
  virtual Status decode(std::span<const std::byte> encoded, std::span<std::byte> out) const = 0;
};

std::unique_ptr<Codec> make_codec(const CodecSpec& spec);

/// The codec's bound as a pure function: the most bytes encoding `raw_size` bytes yields,
/// what Codec::max_encoded_size returns (UINT64_MAX where that does not fit). The planner
/// counts a worker's encoded-chunk buffer with it (plan::OwnerBounds).
using EncodedSizeBound = std::uint64_t (*)(std::uint64_t raw_size);
EncodedSizeBound encoded_size_bound(CodecId id);

/// The zarr .zarray "compressor" value: {"id":"zstd","level":1}, {"id":"lz4","acceleration":1}
/// or null.
boost::json::value compressor_json(const CodecSpec& spec);

/// The compressor as Zarr v3 codecs: the bytes -> bytes codecs that follow "bytes" in an
/// array's (or a shard's inner) "codecs", spelled as zarr-python 3 writes them:
///   zstd -> [{"name": "zstd", "configuration": {"level": 1, "checksum": false}}];  none -> [].
/// lz4 is numcodecs' own framing, which no Zarr v3 codec reads: a usage error that names
/// the v3 spelling of LZ4, {"id": "blosc", "cname": "lz4"}.
Result<boost::json::array> v3_compressor_codecs(const CodecSpec& spec);

/// Parses the config's "compressor" value (same spelling as compressor_json; null = none;
/// missing fields take the defaults above, so {} and {"level": 3} are zstd). Errors
/// (ExitCode::kUsage) name the offending field relative to the value, e.g.
/// "level: must be an integer", "id: unknown compressor 'blosc' (supported: zstd, lz4)" or,
/// for a field the codec does not take, "clevel: unknown field for zstd (known: id, level)".
Result<CodecSpec> codec_spec_from_json(const boost::json::value& value);

}  // namespace zpmpi::codec
