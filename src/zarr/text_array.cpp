// .zarray and .zattrs of text arrays (see text_array.hpp).
#include "zpmpi/zarr/text_array.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::zarr {
namespace json = boost::json;

model::Shape text_chunks(const model::Shape& shape) {
  model::Shape chunks = shape;
  for (auto& c : chunks) c = std::max<model::Index>(c, 1);
  return chunks;
}

json::object text_zarray_json(const TextArrayMeta& array) {
  json::array shape, chunks;
  for (model::Index n : array.shape) shape.push_back(n);
  for (model::Index n : text_chunks(array.shape)) chunks.push_back(n);
  json::value filters = nullptr;
  if (array.type.kind == model::TextType::Kind::utf8) filters = json::array{json::object{{"id", "vlen-utf8"}}};
  return json::object{
      {"chunks", std::move(chunks)},
      {"compressor", array.compressor},
      {"dimension_separator", "."},
      {"dtype", model::text_typestr(array.type)},
      {"fill_value", nullptr},
      {"filters", std::move(filters)},
      {"order", "C"},
      {"shape", std::move(shape)},
      {"zarr_format", 2},
  };
}

json::object text_zattrs_json(const TextArrayMeta& array) {
  json::object o = attrs_json(array.attributes);
  json::array dims;
  for (const auto& d : array.dims) dims.push_back(json::string(d));
  o["_ARRAY_DIMENSIONS"] = std::move(dims);
  return o;
}

}  // namespace zpmpi::zarr
