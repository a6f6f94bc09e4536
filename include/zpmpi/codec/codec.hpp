// Module `codec` (DESIGN.md, "Modules"): chunk bytes in and out with numcodecs semantics,
// so that zarr-python and xarray read what zpmpi writes and zpmpi reads what kerchunk and
// HDF5 stored. Depends on model (Result, DType) and the compression libraries (zstd, lz4,
// libdeflate, blosc); Boost.JSON for the zarr spelling. Never: I/O, MPI, threads of its
// own (the caller's workers are the parallelism; blosc is told to start none), state
// shared between threads (a Codec object or a DecodeScratch per thread), a size bound
// kept elsewhere (each codec publishes its own: encoded_size_bound).
//
//   codec.hpp          Codec: encode/decode one chunk with the codecs zpmpi writes (zstd,
//                      lz4, gzip, blosc, none); the "compressor" JSON <-> CodecSpec (v2)
//                      and the v3 codecs; the size bounds
//   decode_chain.hpp   DecodeChain: a .zarray's filters and compressor undone in reverse,
//                      shared read-only by the threads; DecodeScratch, a thread's state
//   vlen_utf8.hpp      numcodecs.VLenUTF8 framing of object (string) arrays
// src/codec: one file per codec, encoding and decoding each written once (zstd_codec +
// zstd_decode, lz4_codec + lz4_decode, gzip_codec + inflate for zlib/gzip, blosc_codec +
// blosc_decode, raw_codec, shuffle, delta, fixedscaleoffset, byteswap); decode_step.hpp,
// decode_chain.cpp and decode_scratch* run a chain; element_types.* holds NumPy's casts
// for the arithmetic filters; codecs.hpp lists what make_codec builds; compressor_json.cpp
// declares each codec's JSON fields once.
//
// Chunk codecs, byte-compatible with numcodecs (what zarr-python and xarray decode).
//
//   zstd:  one standard Zstandard frame with the content size in its header
//          (numcodecs.Zstd; zarr JSON {"id": "zstd", "level": 1}).
//   lz4:   numcodecs.LZ4 framing: the uncompressed length as a 4-byte little-endian
//          integer, then one LZ4 *block* (not an LZ4 frame). 100 raw bytes -> 64 00 00 00 + block.
//          (zarr JSON {"id": "lz4", "acceleration": 1}).
//   gzip:  one gzip member (RFC 1952: 1f 8b 08, deflate data, CRC-32, size), as
//          numcodecs.GZip's GzipFile writes it, not a raw zlib stream (that is numcodecs.Zlib)
//          (zarr JSON {"id": "gzip", "level": 1}).
//   blosc: one blosc1 buffer (16-byte header: version, flags, type size, nbytes, block
//          size, cbytes; then the blocks), as numcodecs.Blosc writes it
//          (zarr JSON {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}).
//   none:  the raw bytes (zarr JSON compressor null).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "zpmpi/model/result.hpp"

namespace zpmpi::codec {

enum class CodecId { kNone, kZstd, kLz4, kGzip, kBlosc };

/// blosc's inner compressor (numcodecs' "cname"): the two a Zarr v3 reader is sure to have.
enum class BloscName { kLz4, kZstd };
/// "lz4" / "zstd", as blosc_compress_ctx and the JSON spell it.
std::string_view blosc_name(BloscName name);

/// blosc's shuffle, numbered as numcodecs and blosc.h (BLOSC_NOSHUFFLE ...) number it.
enum BloscShuffle : int { kNoShuffle = 0, kByteShuffle = 1, kBitShuffle = 2 };

struct CodecSpec {
  CodecId id = CodecId::kZstd;
  int level = 1;         ///< zstd level (1..22, negative = fast levels); gzip level (1..9)
  int acceleration = 1;  ///< lz4 acceleration (>= 1)
  BloscName cname = BloscName::kLz4;  ///< blosc's inner compressor
  int clevel = 5;                     ///< blosc level (0..9; 0 stores the data uncompressed)
  int shuffle = kByteShuffle;         ///< blosc shuffle (a BloscShuffle: 0, 1 or 2)
  bool operator==(const CodecSpec&) const = default;
};

/// One Codec object may hold scratch state (zstd's and gzip's compression contexts): use
/// one per thread, not one shared by several threads.
class Codec {
 public:
  virtual ~Codec() = default;
  /// Upper bound of encode()'s output size for `raw_size` input bytes.
  virtual std::size_t max_encoded_size(std::size_t raw_size) const = 0;
  /// Encodes `raw`, an array of `element_size`-byte elements, into `out` (at least
  /// max_encoded_size(raw.size()) bytes); returns the size. Only blosc uses the element
  /// size (its shuffle regroups the elements' bytes, and its header records the size, as
  /// numcodecs.Blosc takes it from the array's itemsize); it is given per call because one
  /// worker's codec encodes the chunks of every array of the job.
  virtual Result<std::size_t> encode(std::span<const std::byte> raw, std::span<std::byte> out,
                                     std::size_t element_size) const = 0;
  /// encode() of plain bytes (element size 1: blosc's shuffle then has nothing to regroup).
  Result<std::size_t> encode(std::span<const std::byte> raw, std::span<std::byte> out) const {
    return encode(raw, out, 1);
  }
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

/// The zarr .zarray "compressor" value, as numcodecs' get_config spells it:
/// {"id":"zstd","level":1}, {"id":"lz4","acceleration":1}, {"id":"gzip","level":1},
/// {"id":"blosc","cname":"lz4","clevel":5,"shuffle":1,"blocksize":0} or null.
boost::json::value compressor_json(const CodecSpec& spec);

/// The compressor as Zarr v3 codecs: the bytes -> bytes codecs that follow "bytes" in an
/// array's (or a shard's inner) "codecs", spelled as zarr-python 3 writes them:
///   zstd  -> [{"name": "zstd", "configuration": {"level": 1, "checksum": false}}]
///   gzip  -> [{"name": "gzip", "configuration": {"level": 1}}]
///   blosc -> [{"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5,
///             "shuffle": "shuffle", "typesize": 4, "blocksize": 0}}]
///            (shuffle "noshuffle" | "shuffle" | "bitshuffle"; typesize = `element_size`,
///            the array's, which the spec requires unless noshuffle)
///   none  -> [].
/// lz4 is numcodecs' own framing, which no Zarr v3 codec reads: a usage error that names
/// the v3 spelling of LZ4, {"id": "blosc", "cname": "lz4"}.
Result<boost::json::array> v3_compressor_codecs(const CodecSpec& spec, std::size_t element_size);

/// Parses the config's "compressor" value (same spelling as compressor_json; null = none;
/// missing fields take the defaults above, so {} and {"level": 3} are zstd, and
/// {"id": "blosc"} is lz4, clevel 5, byte shuffle, as numcodecs.Blosc()). Errors
/// (ExitCode::kUsage) name the offending field relative to the value, e.g.
/// "level: must be an integer", "id: unknown compressor 'bz2' (supported: zstd, lz4, gzip,
/// blosc)", "cname: must be \"lz4\" or \"zstd\", got \"snappy\"", "blocksize: must be 0,
/// got 8" (blosc picks the block size) or, for a field the codec does not take,
/// "clevel: unknown field for zstd (known: id, level)".
Result<CodecSpec> codec_spec_from_json(const boost::json::value& value);

}  // namespace zpmpi::codec
