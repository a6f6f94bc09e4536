// Zarr v3 metadata documents (zarr-specs docs/v3/core, docs/v3/codecs/sharding-indexed),
// spelled as zarr-python 3 and xarray write them. Built from the same inputs as the v2
// documents (metadata.hpp: ArrayMeta, attrs_json, dump_json) plus how chunks are stored.
//
// An array's zarr.json (float32 t2m, NaN fill, zstd, unsharded):
//   {"zarr_format": 3, "node_type": "array", "shape": [48, 721, 1440],
//    "data_type": "float32",
//    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [24, 145, 288]}},
//    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
//    "fill_value": "NaN",
//    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
//               {"name": "zstd", "configuration": {"level": 1, "checksum": false}}],
//    "attributes": {"units": "K", "_FillValue": "AAAAAAAA+H8="},
//    "dimension_names": ["time", "latitude", "longitude"], "storage_transformers": []}
// Sharded with shards [48, 721, 1440]: chunk_shape is the shard's, and "codecs" is one
//   {"name": "sharding_indexed", "configuration": {"chunk_shape": [24, 145, 288],
//     "codecs": [bytes, zstd], "index_codecs": [{"name": "bytes", "configuration":
//     {"endian": "little"}}, {"name": "crc32c"}], "index_location": "end"}}
// (shard files: shard_index.hpp). Chunk (or shard) files are "c/i/j/k" below the array.
//
// data_type: int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64.
// fill_value: a number; for floats "NaN", "Infinity", "-Infinity" as strings; an array
//   without a fill (ArrayLayout::fill_value unset: chunks pad with zeros) has 0, which v3
//   requires to be stated.
// attributes: attrs_json (no _FillValue, no _ARRAY_DIMENSIONS: dims are "dimension_names").
//   xarray reads a v3 array's fill from its "_FillValue" attribute, not from fill_value, so
//   an array with a fill gets "_FillValue" as xarray's to_zarr writes it: an integer as the
//   number, a float as the base64 of its 8 little-endian float64 bytes (NaN:
//   "AAAAAAAA+H8="). A _FillValue no element can hold (NaN on a short: no fill) is left out:
//   xarray's v3 reader decodes it as the array's integer type and would fail.
// Non-finite numbers in attributes are the strings "NaN", "Infinity", "-Infinity", as
//   zarr-python 3 writes them: v3 documents are strict JSON (readers use JSON.parse).
// Text: a UTF-8 string array is data_type "string", fill_value "", first codec
//   {"name": "vlen-utf8", "configuration": {}} (codec/vlen_utf8.hpp) instead of bytes. A
//   fixed-width char array ("|S8" in v2) is refused: v3 has no stable data type for it
//   (zarr-extensions' fixed-length-bytes is a draft, zarr-python 3 writes its own
//   "null_terminated_bytes" with a warning, zarrita reads neither).
// Group zarr.json: {"zarr_format": 3, "node_type": "group", "attributes": {...}}; the root's
// also holds every array's document, as zarr-python 3's consolidate_metadata writes it:
//   "consolidated_metadata": {"kind": "inline", "must_understand": false,
//                             "metadata": {"t2m": {...its zarr.json...}, ...}}
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {

/// How one array's chunks are stored in v3, beside its ArrayMeta.
struct V3Storage {
  /// codec::v3_compressor_codecs(...): what follows "bytes" ([] for no compression).
  boost::json::array compressor;
  /// Shard shape, each extent a multiple of the chunk's (ArrayLayout::chunks) along its
  /// dim; empty: not sharded, one file per chunk.
  model::Shape shards;
};

/// One array of a v3 store.
struct V3ArrayMeta {
  ArrayMeta meta;
  V3Storage storage;
};

/// "float32", "int16", ... (see above).
std::string v3_data_type(model::DType t);

/// fill_value of a numeric array (see above): 0 without a fill.
boost::json::value v3_fill_value_json(model::DType t, const std::optional<model::Scalar>& fill);

/// The chunk key (default encoding, separator "/") of the chunk, or of the shard when
/// sharded, with grid index `index`: {1, 23, 45} -> "c/1/23/45"; {} (0-d) -> "c".
std::string v3_chunk_key(const model::Shape& index);

/// An array's "attributes" (see above).
boost::json::object v3_array_attributes_json(const ArrayMeta& array);

/// An array's zarr.json. Usage errors (kUsage) name the array: a fixed-width char array
/// ("variable 'station_name': char arrays (|S8 in Zarr v2) have no stable Zarr v3 data type;
/// ..."), shards of another rank than the array, or not a positive multiple of the chunk.
Result<boost::json::object> v3_array_json(const V3ArrayMeta& array);

/// A group's zarr.json without consolidated metadata.
boost::json::object v3_group_json(const boost::json::object& attrs);

/// The root group's zarr.json with every array's zarr.json consolidated (see above);
/// errors as v3_array_json.
Result<boost::json::object> v3_root_json(const boost::json::object& group_attrs,
                                         const std::vector<V3ArrayMeta>& arrays);

/// Every metadata document of a v3 store, as (path relative to the store, document): each
/// array's "NAME/zarr.json", then the consolidated root "zarr.json" last (a store whose root
/// zarr.json has consolidated metadata is complete). Errors as v3_array_json.
Result<std::vector<std::pair<std::filesystem::path, boost::json::object>>> v3_metadata_documents(
    const boost::json::object& group_attrs, const std::vector<V3ArrayMeta>& arrays);

}  // namespace zpmpi::zarr
