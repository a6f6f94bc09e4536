// Zarr v2 metadata of a text array, spelled as xarray's to_zarr (zarr-python 2) writes
// what xarray's open_dataset reads from netCDF (see model/text.hpp):
//   char station_name(station=5, strlen=8):
//     {"chunks": [5], "compressor": ..., "dimension_separator": ".", "dtype": "|S8",
//      "fill_value": null, "filters": null, "order": "C", "shape": [5], "zarr_format": 2}
//   string label(station=5): the same with "dtype": "|O",
//      "filters": [{"id": "vlen-utf8"}] (chunk bytes: codec/vlen_utf8.hpp, then compressor)
//   char crs (0-d): "shape": [], "chunks": [], "dtype": "|S1", one chunk file "0"
// Text arrays are small (names, labels, a grid mapping), so each is one chunk, the whole
// array (a zero-length dim still has chunk extent 1, as zarr requires, and no chunk file).
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/model/text.hpp"

namespace zpmpi::zarr {

struct TextArrayMeta {
  std::string name;
  model::TextType type;
  model::Shape shape;
  boost::json::value compressor;  ///< codec::compressor_json(...)
  std::vector<std::string> dims;  ///< -> _ARRAY_DIMENSIONS
  std::vector<model::Attribute> attributes;
};

/// The chunk shape: the whole array, each extent at least 1.
model::Shape text_chunks(const model::Shape& shape);

boost::json::object text_zarray_json(const TextArrayMeta& array);
boost::json::object text_zattrs_json(const TextArrayMeta& array);

}  // namespace zpmpi::zarr
