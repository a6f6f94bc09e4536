// .zarray, .zattrs and .zmetadata documents (see metadata.hpp).
#include "zpmpi/zarr/metadata.hpp"

#include <algorithm>
#include <type_traits>
#include <variant>

#include <boost/json.hpp>

#include "shape_json.hpp"

namespace zpmpi::zarr {
namespace json = boost::json;

json::value attr_json(const model::AttrValue& value) {
  return std::visit(
      [](const auto& data) -> json::value {
        using T = std::decay_t<decltype(data)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return json::string(data);
        } else {
          // As xarray reads netCDF: a one-element attribute is a scalar.
          if (data.size() == 1) return json::value(data[0]);
          json::array a;
          for (const auto& x : data) a.push_back(json::value(x));
          return a;
        }
      },
      value.data);
}

json::object attrs_json(const std::vector<model::Attribute>& attributes) {
  json::object o;
  for (const auto& a : attributes)
    if (a.name != "_FillValue") o[a.name] = attr_json(a.value);
  return o;
}

json::object zarray_json(const model::ArrayLayout& array, const json::value& compressor) {
  if (array.text) {
    json::value filters = nullptr;
    if (array.text->kind == model::TextType::Kind::utf8) filters = json::array{json::object{{"id", "vlen-utf8"}}};
    return json::object{
        {"chunks", shape_json(array.chunks)},
        {"compressor", compressor},
        {"dimension_separator", "."},
        {"dtype", model::text_typestr(*array.text)},
        {"fill_value", text_fill_value_json(*array.text)},
        {"filters", std::move(filters)},
        {"order", "C"},
        {"shape", shape_json(array.shape)},
        {"zarr_format", 2},
    };
  }
  return json::object{
      {"chunks", shape_json(array.chunks)},
      {"compressor", compressor},
      {"dimension_separator", "."},
      {"dtype", typestr(array.dtype)},
      {"fill_value", fill_value_json(array.dtype, array.fill_value)},
      {"filters", nullptr},
      {"order", "C"},
      {"shape", shape_json(array.shape)},
      {"zarr_format", 2},
  };
}

json::object array_zattrs_json(const ArrayMeta& array) {
  json::object o = attrs_json(array.attributes);
  if (array.json_attributes)
    for (const auto& [k, v] : *array.json_attributes) o[k] = v;
  // A _FillValue no element can hold (NaN on a short) is no fill_value, but xarray still
  // decodes by it (an int becomes float64, nothing masked): it stays an attribute, which
  // xarray's zarr reader takes when fill_value is null.
  if (!array.layout.fill_value && !array.layout.text)
    for (const auto& a : array.attributes)
      if (a.name == "_FillValue") o["_FillValue"] = attr_json(a.value);
  json::array dims;
  for (const auto& d : array.layout.dims) dims.push_back(json::string(d));
  o["_ARRAY_DIMENSIONS"] = std::move(dims);
  return o;
}

json::object zmetadata_json(const json::object& group_attrs, const std::vector<ArrayMeta>& arrays,
                           const json::value& compressor) {
  json::object metadata{{".zgroup", json::object{{"zarr_format", 2}}}, {".zattrs", group_attrs}};
  for (const auto& a : arrays) {
    metadata[a.layout.name + "/.zarray"] = zarray_json(a.layout, compressor);
    metadata[a.layout.name + "/.zattrs"] = array_zattrs_json(a);
  }
  return json::object{{"metadata", std::move(metadata)}, {"zarr_consolidated_format", 1}};
}

}  // namespace zpmpi::zarr
