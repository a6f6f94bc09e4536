// make_codec and the zarr compressor JSON <-> CodecSpec mapping.
#include "zpmpi/codec/codec.hpp"

#include <zstd.h>

#include <boost/json.hpp>

#include "codecs.hpp"

namespace zpmpi::codec {
namespace json = boost::json;

std::unique_ptr<Codec> make_codec(const CodecSpec& spec) {
  switch (spec.id) {
    case CodecId::kZstd: return make_zstd_codec(spec.level);
    case CodecId::kLz4: return make_lz4_codec(spec.acceleration);
    case CodecId::kNone: break;
  }
  return make_raw_codec();
}

json::value compressor_json(const CodecSpec& spec) {
  switch (spec.id) {
    case CodecId::kZstd: return json::object{{"id", "zstd"}, {"level", spec.level}};
    case CodecId::kLz4: return json::object{{"id", "lz4"}, {"acceleration", spec.acceleration}};
    case CodecId::kNone: break;
  }
  return nullptr;
}

namespace {

Result<int> integer_field(const json::value& v, const char* name, long long lo, long long hi) {
  if (!v.is_int64() || v.get_int64() < lo || v.get_int64() > hi)
    return usage_error(std::string(name) + ": must be an integer from " + std::to_string(lo) + " to " +
                       std::to_string(hi) + ", got " + json::serialize(v));
  return static_cast<int>(v.get_int64());
}

}  // namespace

Result<CodecSpec> codec_spec_from_json(const json::value& value) {
  CodecSpec spec;
  if (value.is_null()) {
    spec.id = CodecId::kNone;
    return spec;
  }
  if (!value.is_object())
    return usage_error("must be an object such as {\"id\": \"zstd\", \"level\": 1} or null, got " +
                       json::serialize(value));
  const auto& o = value.get_object();
  const json::value* id = o.if_contains("id");
  if (!id || !id->is_string()) return usage_error("id: must be a string (zstd or lz4)");
  const std::string name(id->get_string());
  const char* known = nullptr;
  if (name == "zstd") {
    spec.id = CodecId::kZstd;
    known = "level";
  } else if (name == "lz4") {
    spec.id = CodecId::kLz4;
    known = "acceleration";
  } else {
    return usage_error("id: unknown compressor '" + name + "' (supported: zstd, lz4, or null for none)");
  }
  for (const auto& [k, v] : o) {
    if (k == "id") continue;
    if (k != known)
      return usage_error("unknown key '" + std::string(k) + "' for " + name + " (known: id, " + known + ")");
    if (spec.id == CodecId::kZstd) {
      ZPMPI_ASSIGN_OR_RETURN(spec.level, integer_field(v, "level", ZSTD_minCLevel(), ZSTD_maxCLevel()));
    } else {
      ZPMPI_ASSIGN_OR_RETURN(spec.acceleration, integer_field(v, "acceleration", 1, 65537));
    }
  }
  return spec;
}

}  // namespace zpmpi::codec
