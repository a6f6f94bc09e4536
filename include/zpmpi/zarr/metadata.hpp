// Zarr v2 metadata documents, spelled as zarr-python 2 and xarray write them.
//
// .zarray for a float32 array with NaN fill and zstd:
//   {"chunks": [24, 721, 1440], "compressor": {"id": "zstd", "level": 1},
//    "dimension_separator": ".", "dtype": "<f4", "fill_value": "NaN", "filters": null,
//    "order": "C", "shape": [48, 721, 1440], "zarr_format": 2}
// dtype is NumPy's typestr: byte order ('<' little-endian, '|' for one-byte types), kind,
// size: "<f4", "<i2", "|u1". A float fill_value that is not finite is the string "NaN",
// "Infinity" or "-Infinity"; a missing fill value is null.
// .zattrs of an array is its attributes plus "_ARRAY_DIMENSIONS" (xarray's dim names);
// _FillValue is not repeated there (xarray reads it from fill_value), except when the
// array has no fill_value because no element can equal the source's _FillValue (NaN on a
// short): then .zattrs keeps it, so that xarray decodes the store as it decodes the source.
// .zmetadata holds every document under "metadata", keyed by path, with
// "zarr_consolidated_format": 1.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::zarr {

/// NumPy typestr of a dtype: f4 -> "<f4", i1 -> "|i1".
std::string typestr(model::DType t);

/// fill_value as .zarray spells it (number, "NaN"/"Infinity"/"-Infinity", or null).
boost::json::value fill_value_json(model::DType t, const std::optional<model::Scalar>& fill);

/// fill_value of a text array: the fixed-width fill bytes (TextType::fill) in base64, as
/// zarr-python 2 spells an "S" dtype's fill ("x" in "|S2": "eA=="); else null.
boost::json::value text_fill_value_json(const model::TextType& t);

/// An attribute value as JSON: text -> string, one number -> number, several -> list.
boost::json::value attr_json(const model::AttrValue& value);

/// Attributes as a JSON object, in order, skipping `_FillValue`.
boost::json::object attrs_json(const std::vector<model::Attribute>& attributes);

/// What one array's documents are made of: its layout (name, dtype, shape, chunks, fill,
/// dims) and its attributes. A view: both stay owned by the caller.
struct ArrayMeta {
  const model::ArrayLayout& layout;
  const std::vector<model::Attribute>& attributes;
  /// Attributes that are JSON already (the run's "statistics"), after `attributes`; may be null.
  const boost::json::object* json_attributes = nullptr;
};

/// .zarray; `compressor` is codec::compressor_json(...) (null for none). A text array
/// (ArrayLayout::text) is spelled as xarray's to_zarr (zarr-python 2) writes what
/// open_dataset reads; it is one chunk, the whole array (plan::choose_output_chunks with
/// `whole`: extents at least 1, as zarr needs):
///   char station_name(station=5, strlen=8): "dtype": "|S8", "shape": [5], "chunks": [5],
///     "fill_value": null (a char _FillValue "x": "eA==", text_fill_value_json), "filters": null
///   string label(station=5): "dtype": "|O", "filters": [{"id": "vlen-utf8"}] (chunk bytes:
///     codec/vlen_utf8.hpp, then the compressor)
///   char crs (0-d): "dtype": "|S1", "shape": [], "chunks": []
boost::json::object zarray_json(const model::ArrayLayout& array, const boost::json::value& compressor);
boost::json::object array_zattrs_json(const ArrayMeta& array);

/// The consolidated document for a group with `group_attrs` and `arrays`.
boost::json::object zmetadata_json(const boost::json::object& group_attrs, const std::vector<ArrayMeta>& arrays,
                                   const boost::json::value& compressor);

/// Serialises like Python's json.dumps(indent=4, sort_keys=True): non-finite doubles become
/// the bare tokens NaN, Infinity, -Infinity (which zarr-python and json.loads accept), and
/// doubles print in shortest round-trip form.
std::string dump_json(const boost::json::value& value);

/// Parses a document of a store as Python's json.loads does: the bare tokens NaN, Infinity
/// and -Infinity (zarr-python and xarray write them, as dump_json does) are doubles.
/// Errors (kUsage): "not JSON (<reason>)", for the caller to prefix with the file.
Result<boost::json::value> parse_store_json(std::string_view text);

}  // namespace zpmpi::zarr
