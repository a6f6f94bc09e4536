#include "zpmpi/app/job_message.hpp"

#include <exception>

#include <boost/json.hpp>

namespace zpmpi::app {
namespace json = boost::json;
namespace {

/// The one list of fields, visited by the writer and the reader below.
template <class Self, class Io>
void fields(Self& m, Io& io) {
  io("source", m.source), io("store", m.store);
  io("compressor", m.codec), io("log_level", m.log_level), io("fsync", m.fsync), io("zarr_format", m.format),
      io("statistics", m.statistics), io("append_from", m.append_from), io("plan", m.plan);
}

json::value to_json(const std::string& s) { return json::string(s); }
json::value to_json(int n) { return n; }
json::value to_json(bool b) { return b; }
json::value to_json(zarr::ZarrFormat f) { return static_cast<int>(f); }
json::value to_json(const std::vector<stats::ArrayStatisticsSpec>& specs) {
  json::array a;
  for (const auto& s : specs) a.push_back(stats::spec_json(s));
  return a;
}
json::value to_json(const codec::CodecSpec& c) { return codec::compressor_json(c); }
json::value to_json(const source::SourceSpec& s) {
  json::array uris, lengths, warnings;
  for (const std::string& u : s.uris) uris.emplace_back(json::string(u));
  for (std::uint64_t n : s.lengths) lengths.emplace_back(n);
  for (const std::string& w : s.warnings) warnings.emplace_back(json::string(w));
  return json::object{{"uris", std::move(uris)}, {"engine", source::engine_name(s.engine)}, {"group", s.group}, {"concat_dim", s.concat_dim},
                      {"decoder", source::decoder_name(s.decoder)}, {"lengths", std::move(lengths)}, {"warnings", std::move(warnings)},
                      {"storage_options", source::s3_options_json(s.storage_options)},
                      {"remote_options", source::s3_options_json(s.remote_options)}};
}
json::value to_json(const plan::RegionPlan& p) { return json::string(plan::plan_to_json(p)); }

Status from_json(const json::value& v, std::string& s) {
  if (!v.is_string()) return runtime_error("not a string");
  s = std::string(v.get_string());
  return {};
}
Status from_json(const json::value& v, int& n) {
  if (!v.is_int64()) return runtime_error("not an integer");
  n = static_cast<int>(v.get_int64());
  return {};
}
Status from_json(const json::value& v, bool& b) {
  if (!v.is_bool()) return runtime_error("not a boolean");
  b = v.get_bool();
  return {};
}
Status from_json(const json::value& v, zarr::ZarrFormat& f) {
  const auto format = v.is_int64() ? zarr::zarr_format_from(v.get_int64()) : std::nullopt;
  if (!format) return runtime_error("not 2 or 3");
  f = *format;
  return {};
}
Status from_json(const json::value& v, std::vector<stats::ArrayStatisticsSpec>& specs) {
  if (!v.is_array()) return runtime_error("not a list");
  for (const json::value& s : v.get_array()) {
    ZPMPI_ASSIGN_OR_RETURN(stats::ArrayStatisticsSpec spec, stats::spec_from_json(s));
    specs.push_back(std::move(spec));
  }
  return {};
}
Status from_json(const json::value& v, codec::CodecSpec& c) {
  ZPMPI_ASSIGN_OR_RETURN(c, codec::codec_spec_from_json(v));
  return {};
}
Status from_json(const json::value& v, source::SourceSpec& s) {
  const json::object* o = v.if_object();
  auto array = [&](const char* key) { return o && o->if_contains(key) ? o->at(key).if_array() : nullptr; };
  const json::array* uris = array("uris");
  const json::array* lengths = array("lengths");
  const json::array* warnings = array("warnings");
  if (!uris || !lengths || !warnings || o->size() != 9) return runtime_error("not a source object");
  for (auto [key, field] : {std::pair{"storage_options", &s.storage_options}, {"remote_options", &s.remote_options}}) {
    if (!o->if_contains(key)) return runtime_error(std::string("no ") + key);
    ZPMPI_ASSIGN_OR_RETURN(*field, source::s3_options_from_json(o->at(key)));
  }
  for (const json::value& u : *uris) {
    ZPMPI_RETURN_IF_ERROR(from_json(u, s.uris.emplace_back()));
  }
  for (const json::value& n : *lengths) {
    if (!n.is_uint64() && !(n.is_int64() && n.get_int64() >= 0)) return runtime_error("lengths: not a length");
    s.lengths.push_back(n.is_uint64() ? n.get_uint64() : static_cast<std::uint64_t>(n.get_int64()));
  }
  for (const json::value& w : *warnings) {
    ZPMPI_RETURN_IF_ERROR(from_json(w, s.warnings.emplace_back()));
  }
  std::string engine, decoder;
  for (auto [key, field] : {std::pair{"engine", &engine}, {"group", &s.group}, {"concat_dim", &s.concat_dim},
                             {"decoder", &decoder}})
    if (!o->if_contains(key) || !from_json(o->at(key), *field).ok()) return runtime_error(std::string("no ") + key);
  const auto e = source::engine_from_name(engine);
  const auto d = source::decoder_from_name(decoder);
  if (!e || !d) return runtime_error(!e ? "engine: unknown" : "decoder: unknown");
  s.engine = *e;
  s.decoder = *d;
  return {};
}
Status from_json(const json::value& v, plan::RegionPlan& p) {
  if (!v.is_string()) return runtime_error("not a string");
  ZPMPI_ASSIGN_OR_RETURN(p, plan::plan_from_json(v.get_string()));
  return {};
}

}  // namespace

std::string encode_job_message(const JobMessage& message) {
  json::object o;
  auto io = [&](const char* key, const auto& field) { o[key] = to_json(field); };
  fields(message, io);
  return json::serialize(o);
}

Result<JobMessage> decode_job_message(std::string_view text) {
  json::error_code ec;
  // Paths from argv may hold bytes that are not UTF-8; serialize() copied them as they are.
  const json::value v = json::parse(text, ec, {}, json::parse_options{.allow_invalid_utf8 = true});
  if (ec || !v.is_object()) return runtime_error("internal: malformed job message");
  const json::object& o = v.get_object();
  JobMessage m;
  Status status;
  auto io = [&](const char* key, auto& field) {
    if (!status.ok()) return;
    const json::value* value = o.if_contains(key);
    if (!value) {
      status = runtime_error(std::string("internal: the job message has no ") + key);
    } else if (Status st = from_json(*value, field); !st.ok()) {
      status = runtime_error(std::string("internal: job message ") + key + ": " + st.error().message);
    }
  };
  fields(m, io);
  if (!status.ok()) return status.error();
  if (o.size() != 9) return runtime_error("internal: the job message has unknown keys");
  return m;
}

}  // namespace zpmpi::app
