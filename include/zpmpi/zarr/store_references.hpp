// A complete store read back as a kerchunk reference set (source/kerchunk.hpp), so that
// `zpmpi statistics` reads an existing store through the same chunked reader, planner and
// workers as any source: each array's metadata becomes Zarr v2 text, each stored chunk a
// reference to its bytes.
//
//   v2  NAME/.zarray as it is, NAME/.zattrs; chunk "NAME/3.0.1" -> ["{{a0}}3.0.1", 0, SIZE]
//       (the file's bytes as a range, which the range reader pools and merges)
//   v3  NAME/zarr.json as v2 text: data_type "float32" -> dtype "<f4", the bytes codec's
//       endian, zstd / gzip / blosc as numcodecs spells them; the fill value xarray masks
//       with (the base64 "_FillValue" attribute xarray writes) as .zarray's fill_value;
//       dimension_names as _ARRAY_DIMENSIONS; chunk "NAME/c/3/0/1" -> ["{{a0}}c/3/0/1", 0, SIZE],
//       or, sharded, each inner chunk its shard's byte range (the shard index checked:
//       crc32c, offsets) and nothing for an inner chunk the shard does not store (fill)
// Each array's directory is a template ("a0": "era5.zarr/t2m/", relative to the store's
// parent directory, where the reference file goes): no path byte is ever read as template
// text. The "statistics" attribute (being recomputed) and the root's "zpmpi" block are
// left out. Arrays of other types (text, bool, complex) are left out and named.
//
// Every entry is reached without following a link (store_entry.hpp): a link at a chunk
// key, at an array's directory or on the way is an error naming it, never read. Refused
// (kUsage, naming the file): a store that is not complete (no .zmetadata / consolidated
// zarr.json), v2's dimension_separator "/", v3 codecs other than bytes + one compressor
// (transpose, crc32c on chunks), a shard index not at the end, chunk_key_encoding "v2".
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::zarr {

struct StoreReferences {
  ZarrFormat format = ZarrFormat::kV2;
  /// {"version": 1, "templates": {...}, "refs": {...}}; urls relative to the directory
  /// holding the store.
  boost::json::object document;
  std::vector<std::string> arrays;   ///< the arrays referenced, in the store's order
  std::vector<std::string> skipped;  ///< "t2m_names (data_type string)", one per array left out
  std::uint64_t chunks = 0;          ///< chunk references made
};

/// The reference set of the complete store at `store` (see above).
Result<StoreReferences> store_references(const std::filesystem::path& store);

/// Zarr v3 array document -> {".zarray": ..., ".zattrs": ...} text for a reference set, and
/// its inner chunk shape and shard shape (empty: not sharded). Pure; errors (kUsage) name
/// what cannot be translated ("codec 'transpose'"), for the caller to prefix with the file.
struct V2Arrays {
  boost::json::object zarray, zattrs;
  std::vector<std::uint64_t> shape, chunks, shards;
  bool numeric = true;  ///< false: a text, bool or complex array (left out)
  std::string data_type;
};
Result<V2Arrays> v3_array_as_v2(const boost::json::object& zarr_json);

}  // namespace zpmpi::zarr
