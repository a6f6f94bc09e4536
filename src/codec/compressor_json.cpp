// The zarr "compressor" JSON <-> CodecSpec. Each codec's fields (JSON name, CodecSpec
// member, valid range) are declared once, in kCodecs: codec_spec_from_json parses them and
// compressor_json writes them, so the two cannot drift apart. The v3 spelling differs per
// codec (zstd's checksum, blosc's shuffle names and typesize) and is written out below.
#include <zstd.h>

#include <array>
#include <charconv>
#include <optional>
#include <string_view>

#include <boost/json.hpp>

#include "zpmpi/codec/codec.hpp"

namespace zpmpi::codec {
namespace json = boost::json;
namespace {

// LZ4 clamps larger values to this (LZ4_ACCELERATION_MAX, private to lz4.c in 1.9.x).
constexpr int kLz4MaxAcceleration = 65537;

struct IntField {
  std::string_view name;
  int CodecSpec::*member;  ///< nullptr: a constant, written as `lo` and accepted only as that
  int lo, hi;
};

/// A codec's numcodecs id and its integer fields, in the order numcodecs writes them
/// (blosc's "cname", a string, comes first and is handled on its own).
struct CodecFields {
  CodecId id;
  std::string_view name;
  std::array<IntField, 3> fields;
  std::size_t count;
};

const std::array<CodecFields, 4>& codecs() {
  static const std::array<CodecFields, 4> k = {{
      {CodecId::kZstd, "zstd", {{{"level", &CodecSpec::level, ZSTD_minCLevel(), ZSTD_maxCLevel()}}}, 1},
      {CodecId::kLz4, "lz4", {{{"acceleration", &CodecSpec::acceleration, 1, kLz4MaxAcceleration}}}, 1},
      // numcodecs.GZip takes Python's 0..9; 0 (stored blocks) is what "none" is for.
      {CodecId::kGzip, "gzip", {{{"level", &CodecSpec::level, 1, 9}}}, 1},
      // blocksize 0: blosc picks the block size (numcodecs' default), the only one we write.
      {CodecId::kBlosc,
       "blosc",
       {{{"clevel", &CodecSpec::clevel, 0, 9}, {"shuffle", &CodecSpec::shuffle, 0, 2}, {"blocksize", nullptr, 0, 0}}},
       3},
  }};
  return k;
}

const CodecFields* fields_of(CodecId id) {
  for (const CodecFields& c : codecs())
    if (c.id == id) return &c;
  return nullptr;  // none
}

std::span<const IntField> int_fields(const CodecFields& c) { return {c.fields.data(), c.count}; }

constexpr std::array<std::string_view, 3> kShuffleNames = {"noshuffle", "shuffle", "bitshuffle"};

}  // namespace

std::string_view blosc_name(BloscName name) { return name == BloscName::kZstd ? "zstd" : "lz4"; }

json::value compressor_json(const CodecSpec& spec) {
  const CodecFields* c = fields_of(spec.id);
  if (!c) return nullptr;
  json::object o{{"id", c->name}};
  if (spec.id == CodecId::kBlosc) o["cname"] = blosc_name(spec.cname);
  for (const IntField& f : int_fields(*c)) o[f.name] = f.member ? spec.*f.member : f.lo;
  return o;
}

Result<json::array> v3_compressor_codecs(const CodecSpec& spec, std::size_t element_size) {
  switch (spec.id) {
    case CodecId::kZstd:
      return json::array{json::object{{"name", "zstd"},
                                      {"configuration", json::object{{"level", spec.level}, {"checksum", false}}}}};
    case CodecId::kGzip:
      return json::array{json::object{{"name", "gzip"}, {"configuration", json::object{{"level", spec.level}}}}};
    case CodecId::kBlosc: {
      const json::object config{{"cname", blosc_name(spec.cname)},
                                {"clevel", spec.clevel},
                                {"shuffle", kShuffleNames.at(static_cast<std::size_t>(spec.shuffle))},
                                {"typesize", element_size},
                                {"blocksize", 0}};
      return json::array{json::object{{"name", "blosc"}, {"configuration", config}}};
    }
    case CodecId::kLz4:
      return usage_error(
          "{\"id\": \"lz4\"} is numcodecs' LZ4 framing, which Zarr v3 has no codec for; "
          "LZ4 in a Zarr v3 store is {\"id\": \"blosc\", \"cname\": \"lz4\"} (or use zstd)");
    case CodecId::kNone: break;
  }
  return json::array{};
}

namespace {

/// The value as the user wrote it, for error messages ("high", 2.5, [1]).
std::string show(const json::value& v) {
  if (v.is_double()) {  // boost::json would print 2.5 as 2.5E0
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v.get_double());
    return std::string(buf, res.ptr);
  }
  return json::serialize(v);
}

Result<int> integer_field(const json::value& v, const IntField& f) {
  const std::string name(f.name);
  if (!v.is_int64() && !v.is_uint64()) return usage_error(name + ": must be an integer, got " + show(v));
  if (v.is_uint64() || v.get_int64() < f.lo || v.get_int64() > f.hi) {
    const std::string range = f.lo == f.hi ? std::to_string(f.lo)
                                           : "from " + std::to_string(f.lo) + " to " + std::to_string(f.hi);
    return usage_error(name + ": must be " + range + ", got " + show(v));
  }
  return static_cast<int>(v.get_int64());
}

Result<BloscName> blosc_name_field(const json::value& v) {
  for (const BloscName n : {BloscName::kLz4, BloscName::kZstd})
    if (v.is_string() && v.get_string() == blosc_name(n)) return n;
  return usage_error("cname: must be \"lz4\" or \"zstd\", got " + show(v));
}

Result<const CodecFields*> codec_named(const json::value& id) {
  if (!id.is_string()) return usage_error("id: must be a string (zstd, lz4, gzip or blosc), got " + show(id));
  for (const CodecFields& c : codecs())
    if (id.get_string() == c.name) return &c;
  return usage_error("id: unknown compressor '" + std::string(id.get_string()) +
                     "' (supported: zstd, lz4, gzip, blosc)");
}

std::string known_fields(const CodecFields& c) {
  std::string known = c.id == CodecId::kBlosc ? "id, cname" : "id";
  for (const IntField& f : int_fields(c)) known += ", " + std::string(f.name);
  return known;
}

/// Sets the field `key` of codec `c` in `spec`; errors name the key.
Status parse_field(const CodecFields& c, std::string_view key, const json::value& v, CodecSpec& spec) {
  if (c.id == CodecId::kBlosc && key == "cname") {
    ZPMPI_ASSIGN_OR_RETURN(spec.cname, blosc_name_field(v));
    return {};
  }
  for (const IntField& f : int_fields(c)) {
    if (key != f.name) continue;
    ZPMPI_ASSIGN_OR_RETURN(const int value, integer_field(v, f));
    if (f.member) spec.*f.member = value;
    return {};
  }
  return usage_error(std::string(key) + ": unknown field for " + std::string(c.name) + " (known: " +
                     known_fields(c) + ")");
}

}  // namespace

Result<CodecSpec> codec_spec_from_json(const json::value& value) {
  CodecSpec spec;  // missing fields keep these defaults: zstd, level 1; blosc lz4, clevel 5, shuffle 1
  if (value.is_null()) {
    spec.id = CodecId::kNone;
    return spec;
  }
  if (!value.is_object())
    return usage_error("must be an object such as {\"id\": \"zstd\", \"level\": 1}, or null for none; got " +
                       show(value));
  const auto& o = value.get_object();
  const CodecFields* c = fields_of(CodecId::kZstd);
  if (const json::value* id = o.if_contains("id")) {
    ZPMPI_ASSIGN_OR_RETURN(c, codec_named(*id));
  }
  spec.id = c->id;
  for (const auto& [key, v] : o)
    if (key != "id") ZPMPI_RETURN_IF_ERROR(parse_field(*c, key, v, spec));
  return spec;
}

}  // namespace zpmpi::codec
