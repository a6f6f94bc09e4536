// A Zarr v3 array document as the v2 text of a reference set (store_references.hpp).
#include <bit>
#include <cmath>
#include <cstring>
#include <map>

#include "zpmpi/zarr/store_references.hpp"

#include <boost/json/value_from.hpp>

#include "base64.hpp"

namespace zpmpi::zarr {
namespace json = boost::json;
namespace {

/// v3 data_type -> the v2 dtype without its byte order ("f4"); empty: not a number.
std::string v2_kind(std::string_view data_type) {
  static const std::map<std::string_view, std::string_view> kinds{
      {"int8", "i1"},   {"uint8", "u1"},   {"int16", "i2"},   {"uint16", "u2"},  {"int32", "i4"},
      {"uint32", "u4"}, {"int64", "i8"},   {"uint64", "u8"},  {"float16", "f2"}, {"float32", "f4"},
      {"float64", "f8"}};
  const auto it = kinds.find(data_type);
  return it == kinds.end() ? std::string() : std::string(it->second);
}

Result<std::vector<std::uint64_t>> shape_of(const json::value* v, const std::string& what) {
  if (!v || !v->is_array()) return usage_error(what + ": must be a list of integers");
  std::vector<std::uint64_t> out;
  for (const json::value& x : v->get_array()) {
    if (!x.is_int64() && !x.is_uint64()) return usage_error(what + ": must be a list of integers");
    if (x.is_int64() && x.get_int64() < 0) return usage_error(what + ": must not be negative");
    out.push_back(x.is_uint64() ? x.get_uint64() : static_cast<std::uint64_t>(x.get_int64()));
  }
  return out;
}

std::string name_of(const json::value& codec) {
  if (codec.is_string()) return std::string(codec.get_string());
  const json::value* n = codec.is_object() ? codec.get_object().if_contains("name") : nullptr;
  return n && n->is_string() ? std::string(n->get_string()) : std::string("?");
}

/// The codec's "configuration" (an empty one when it has none): a reference into `codec`.
const json::object& config_of(const json::value& codec) {
  static const json::object kNone;
  const json::value* c = codec.is_object() ? codec.get_object().if_contains("configuration") : nullptr;
  return c && c->is_object() ? c->get_object() : kNone;
}

/// numcodecs' spelling of one v3 compressor codec.
Result<json::value> numcodecs_compressor(const json::value& codec) {
  const std::string name = name_of(codec);
  const json::object& c = config_of(codec);
  const auto field = [&](const char* key) { return c.if_contains(key) ? c.at(key) : json::value(); };
  if (name == "zstd") return json::value(json::object{{"id", "zstd"}, {"level", field("level")}});
  if (name == "gzip") return json::value(json::object{{"id", "gzip"}, {"level", field("level")}});
  if (name == "blosc") {
    const json::value s = field("shuffle");
    const std::string shuffle = s.is_string() ? std::string(s.get_string()) : "noshuffle";
    const int code = shuffle == "shuffle" ? 1 : shuffle == "bitshuffle" ? 2 : 0;
    return json::value(json::object{{"id", "blosc"},       {"cname", field("cname")},        {"clevel", field("clevel")},
                        {"shuffle", code},     {"blocksize", c.if_contains("blocksize") ? field("blocksize") : json::value(0)}});
  }
  return usage_error("codec '" + name + "' cannot be read here (bytes, then zstd, gzip or blosc)");
}

/// The codecs of one chunk: "bytes" (its endian) then at most one compressor.
Status chunk_codecs(const json::value* codecs, char& endian, json::value& compressor) {
  if (!codecs || !codecs->is_array() || codecs->get_array().empty()) return usage_error("codecs: must be a list");
  const json::array& list = codecs->get_array();
  if (name_of(list[0]) != "bytes")
    return usage_error("codec '" + name_of(list[0]) + "' cannot be read here (bytes, then zstd, gzip or blosc)");
  const json::object& c = config_of(list[0]);
  const json::value* e = c.if_contains("endian");
  endian = e && e->is_string() && e->get_string() == "big" ? '>' : '<';
  if (list.size() > 2) return usage_error("codec '" + name_of(list[2]) + "' cannot be read here (one compressor only)");
  compressor = nullptr;
  if (list.size() == 2) {
    ZPMPI_ASSIGN_OR_RETURN(compressor, numcodecs_compressor(list[1]));
  }
  return {};
}

/// The shard's own codecs, as zpmpi writes them and read_shard_index reads them.
Status check_sharding(const json::object& c) {
  const json::value* at = c.if_contains("index_location");
  if (at && !(at->is_string() && at->get_string() == "end"))
    return usage_error("sharding_indexed: index_location must be \"end\"");
  const json::value* index = c.if_contains("index_codecs");
  const bool crc = index && index->is_array() && index->get_array().size() == 2 &&
                   name_of(index->get_array()[0]) == "bytes" && name_of(index->get_array()[1]) == "crc32c";
  if (!crc) return usage_error("sharding_indexed: index_codecs must be bytes then crc32c");
  return {};
}

/// xarray's v3 "_FillValue": an integer, or the base64 of a little-endian float64.
Result<json::value> fill_of(const json::value& attr) {
  if (attr.is_int64() || attr.is_uint64()) return attr;
  if (attr.is_double()) return attr;
  if (!attr.is_string()) return usage_error("attribute _FillValue: must be a number or base64 text");
  const std::optional<std::string> bytes = base64_decode(attr.get_string());
  if (!bytes || bytes->size() != 8) return usage_error("attribute _FillValue: not the base64 of 8 bytes");
  std::uint64_t bits = 0;
  for (int i = 7; i >= 0; --i) bits = (bits << 8) | static_cast<unsigned char>((*bytes)[static_cast<std::size_t>(i)]);
  const double d = std::bit_cast<double>(bits);
  if (std::isnan(d)) return json::value("NaN");
  if (std::isinf(d)) return json::value(d > 0 ? "Infinity" : "-Infinity");
  return json::value(d);
}

Status check_key_encoding(const json::object& doc) {
  const json::value* enc = doc.if_contains("chunk_key_encoding");
  if (!enc) return {};
  const bool ok = name_of(*enc) == "default" &&
                  [&] {
                    const json::value* sep = config_of(*enc).if_contains("separator");
                    return !sep || (sep->is_string() && sep->get_string() == "/");
                  }();
  if (!ok) return usage_error("chunk_key_encoding: only \"default\" with separator \"/\" can be read here");
  return {};
}

Status fill_attributes(const json::object& doc, V2Arrays& out) {
  if (const json::value* a = doc.if_contains("attributes"); a && a->is_object()) out.zattrs = a->get_object();
  out.zarray["fill_value"] = nullptr;
  if (const json::value* f = out.zattrs.if_contains("_FillValue")) {
    ZPMPI_ASSIGN_OR_RETURN(json::value fill, fill_of(*f));
    out.zarray["fill_value"] = std::move(fill);
    out.zattrs.erase("_FillValue");
  }
  out.zattrs.erase("statistics");
  json::array dims;
  if (const json::value* names = doc.if_contains("dimension_names"); names && names->is_array())
    for (const json::value& n : names->get_array()) {
      if (!n.is_string()) return usage_error("dimension_names: every dim needs a name");
      dims.push_back(n);
    }
  out.zattrs["_ARRAY_DIMENSIONS"] = std::move(dims);
  return {};
}

}  // namespace

Result<V2Arrays> v3_array_as_v2(const json::object& doc) {
  V2Arrays out;
  const json::value* type = doc.if_contains("data_type");
  out.data_type = type && type->is_string() ? std::string(type->get_string()) : "?";
  const std::string kind = v2_kind(out.data_type);
  out.numeric = !kind.empty();
  if (!out.numeric) return out;
  ZPMPI_ASSIGN_OR_RETURN(out.shape, shape_of(doc.if_contains("shape"), "shape"));
  const json::value* grid = doc.if_contains("chunk_grid");
  if (!grid || name_of(*grid) != "regular") return usage_error("chunk_grid: only \"regular\" can be read here");
  ZPMPI_ASSIGN_OR_RETURN(out.chunks, shape_of(config_of(*grid).if_contains("chunk_shape"), "chunk_grid.chunk_shape"));
  ZPMPI_RETURN_IF_ERROR(check_key_encoding(doc));
  const json::value* codecs = doc.if_contains("codecs");
  if (codecs && codecs->is_array() && codecs->get_array().size() == 1 &&
      name_of(codecs->get_array()[0]) == "sharding_indexed") {
    const json::object& c = config_of(codecs->get_array()[0]);
    ZPMPI_RETURN_IF_ERROR(check_sharding(c));
    out.shards = out.chunks;
    ZPMPI_ASSIGN_OR_RETURN(out.chunks, shape_of(c.if_contains("chunk_shape"), "sharding_indexed.chunk_shape"));
    codecs = c.if_contains("codecs");
  }
  if (out.chunks.size() != out.shape.size()) return usage_error("chunk_grid: one chunk extent per dim");
  char endian = '<';
  json::value compressor;
  ZPMPI_RETURN_IF_ERROR(chunk_codecs(codecs, endian, compressor));
  const bool one_byte = kind.back() == '1';
  out.zarray = json::object{{"zarr_format", 2},
                {"shape", json::value_from(out.shape)},
                {"chunks", json::value_from(out.chunks)},
                {"dtype", std::string(1, one_byte ? '|' : endian) + kind},
                {"order", "C"},
                {"compressor", compressor},
                {"filters", nullptr},
                {"dimension_separator", "."}};
  ZPMPI_RETURN_IF_ERROR(fill_attributes(doc, out));
  return out;
}

}  // namespace zpmpi::zarr
