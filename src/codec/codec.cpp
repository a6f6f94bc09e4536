// make_codec and the zarr compressor JSON <-> CodecSpec mapping.
#include "zpmpi/codec/codec.hpp"

#include <zstd.h>

#include <charconv>
#include <string_view>

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

namespace {
std::uint64_t raw_encoded_size_bound(std::uint64_t raw_size) { return raw_size; }
}  // namespace

EncodedSizeBound encoded_size_bound(CodecId id) {
  switch (id) {
    case CodecId::kZstd: return &zstd_encoded_size_bound;
    case CodecId::kLz4: return &lz4_encoded_size_bound;
    case CodecId::kNone: break;
  }
  return &raw_encoded_size_bound;
}

json::value compressor_json(const CodecSpec& spec) {
  switch (spec.id) {
    case CodecId::kZstd: return json::object{{"id", "zstd"}, {"level", spec.level}};
    case CodecId::kLz4: return json::object{{"id", "lz4"}, {"acceleration", spec.acceleration}};
    case CodecId::kNone: break;
  }
  return nullptr;
}

Result<json::array> v3_compressor_codecs(const CodecSpec& spec) {
  switch (spec.id) {
    case CodecId::kZstd:
      return json::array{json::object{{"name", "zstd"},
                                      {"configuration", json::object{{"level", spec.level}, {"checksum", false}}}}};
    case CodecId::kLz4:
      return usage_error(
          "{\"id\": \"lz4\"} is numcodecs' LZ4 framing, which Zarr v3 has no codec for; "
          "LZ4 in a Zarr v3 store is {\"id\": \"blosc\", \"cname\": \"lz4\"} (or use zstd)");
    case CodecId::kNone: break;
  }
  return json::array{};
}

namespace {

// LZ4 clamps larger values to this (LZ4_ACCELERATION_MAX, private to lz4.c in 1.9.x).
constexpr int kLz4MaxAcceleration = 65537;

/// The value as the user wrote it, for error messages ("high", 2.5, [1]).
std::string show(const json::value& v) {
  if (v.is_double()) {  // boost::json would print 2.5 as 2.5E0
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v.get_double());
    return std::string(buf, res.ptr);
  }
  return json::serialize(v);
}

Result<int> integer_field(const json::value& v, std::string_view name, int lo, int hi) {
  const std::string field(name);
  if (!v.is_int64() && !v.is_uint64()) return usage_error(field + ": must be an integer, got " + show(v));
  if (v.is_uint64() || v.get_int64() < lo || v.get_int64() > hi)
    return usage_error(field + ": must be from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " +
                       show(v));
  return static_cast<int>(v.get_int64());
}

}  // namespace

Result<CodecSpec> codec_spec_from_json(const json::value& value) {
  CodecSpec spec;  // missing fields keep these defaults: zstd, level 1, acceleration 1
  if (value.is_null()) {
    spec.id = CodecId::kNone;
    return spec;
  }
  if (!value.is_object())
    return usage_error("must be an object such as {\"id\": \"zstd\", \"level\": 1}, or null for none; got " +
                       show(value));
  const auto& o = value.get_object();
  if (const json::value* id = o.if_contains("id")) {
    if (!id->is_string()) return usage_error("id: must be a string (zstd or lz4), got " + show(*id));
    const std::string_view name = id->get_string();
    if (name == "zstd") {
      spec.id = CodecId::kZstd;
    } else if (name == "lz4") {
      spec.id = CodecId::kLz4;
    } else {
      return usage_error("id: unknown compressor '" + std::string(name) + "' (supported: zstd, lz4)");
    }
  }
  const std::string_view codec_name = spec.id == CodecId::kZstd ? "zstd" : "lz4";
  const std::string_view parameter = spec.id == CodecId::kZstd ? "level" : "acceleration";
  for (const auto& [key, v] : o) {
    if (key == "id") continue;
    if (key != parameter)
      return usage_error(std::string(key) + ": unknown field for " + std::string(codec_name) + " (known: id, " +
                         std::string(parameter) + ")");
    if (spec.id == CodecId::kZstd) {
      ZPMPI_ASSIGN_OR_RETURN(spec.level, integer_field(v, key, ZSTD_minCLevel(), ZSTD_maxCLevel()));
    } else {
      ZPMPI_ASSIGN_OR_RETURN(spec.acceleration, integer_field(v, key, 1, kLz4MaxAcceleration));
    }
  }
  return spec;
}

}  // namespace zpmpi::codec
