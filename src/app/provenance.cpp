#include "zpmpi/app/provenance.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include <openssl/evp.h>

#include "job_state.hpp"
#include "zpmpi/app/cli.hpp"
#include "zpmpi/app/resume_record.hpp"
#include "zpmpi/zarr/metadata.hpp"

namespace zpmpi::app {
namespace json = boost::json;
namespace {

std::string utc_iso8601(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

json::array sources_json(const std::vector<source::InputFile>& inputs) {
  json::array out;
  for (const source::InputFile& f : inputs) {
    json::object o{{"uri", f.uri}};
    if (f.local) {
      o["size"] = f.size;
      o["mtime"] = utc_iso8601(f.mtime_ns / 1'000'000'000);
    }
    out.push_back(std::move(o));
  }
  return out;
}


/// The dim whose first and last values are recorded: the concat dim, "time", the unlimited one.
std::string coordinate_dim(const model::Dataset& dataset, const std::string& concat_dim) {
  if (!concat_dim.empty()) return concat_dim;
  for (const auto& d : dataset.dims)
    if (d.name == "time") return d.name;
  for (const auto& d : dataset.dims)
    if (d.unlimited) return d.name;
  return {};
}

json::value coordinate_json(const JobArrays& job, const std::string& dim,
                            const std::map<std::string, std::vector<double>>& coords) {
  const auto values = coords.find(dim);
  if (dim.empty() || values == coords.end()) return nullptr;
  for (const transform::OutputArray& a : job.arrays) {
    if (!a.is_coordinate || a.dims != std::vector<std::string>{dim} || a.shape[0] == 0) continue;
    if (a.map.dims.size() != 1 || a.source.name != dim) continue;
    const auto at = [&](model::Index i) { return values->second.at(static_cast<std::size_t>(a.map.dims[0].source_index(i))); };
    json::object o{{"dim", dim}, {"start", at(0)}, {"end", at(a.shape[0] - 1)}};
    if (const std::string u = text_attr(a, "units"); !u.empty()) o["units"] = u;
    if (const std::string c = text_attr(a, "calendar"); !c.empty()) o["calendar"] = c;
    return o;
  }
  return nullptr;
}

}  // namespace

std::string text_attr(const transform::OutputArray& a, const std::string& name) {
  for (const model::Attribute& attr : a.attributes)
    if (attr.name == name && attr.value.is_text()) return std::get<std::string>(attr.value.data);
  return {};
}

RunIdentity new_run_identity() {
  const auto now = std::chrono::system_clock::now();
  RunIdentity run;
  run.created = utc_iso8601(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  std::random_device random;
  std::array<std::uint8_t, 16> b{};
  for (auto& byte : b) byte = static_cast<std::uint8_t>(random());
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  run.uuid = text;
  return run;
}

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), md.data(), &size, EVP_sha256(), nullptr);
  std::string hex;
  char two[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(two, sizeof two, "%02x", md[i]);
    hex += two;
  }
  return hex;
}

json::object provenance_json(const json::object& store_keys, const std::vector<source::InputFile>& inputs,
                             const JobArrays& job, const model::Dataset& dataset, const std::string& concat_dim,
                             const std::map<std::string, std::vector<double>>& coords, const RunIdentity& run) {
  json::object o{{"version", ZPMPI_VERSION},
                 {"job_sha256", sha256_hex(zarr::dump_json(store_keys))},  // json.dumps(sort_keys=True)
                 {"sources", sources_json(inputs)}};
  if (json::value c = coordinate_json(job, coordinate_dim(dataset, concat_dim), coords); !c.is_null())
    o["coordinate"] = std::move(c);
  o["created"] = run.created;
  o["uuid"] = run.uuid;
  return o;
}

Status add_provenance(Rank0State& state, const CliOptions& cli, const RunIdentity& run) {
  if (run.appended_block) {
    state.job.group_attrs[kProvenanceKey] = *run.appended_block;
    return {};
  }
  ZPMPI_ASSIGN_OR_RETURN(json::object keys, job_store_keys(state.config.path, store_flags(cli)));
  keys.erase("store");  // where the store is, not what it holds: a copy elsewhere is the same
  // The coordinate's ends are a courtesy: a source whose coordinates cannot be read still
  // gets the rest of its provenance.
  auto coords = read_coordinates(*state.source);
  json::object block = provenance_json(keys, state.inputs, state.job, state.source->dataset(),
                                      state.source_spec.concat_dim,
                                      coords.ok() ? *coords : std::map<std::string, std::vector<double>>{}, run);
  if (state.append) append_provenance(*state.append, block);
  state.job.group_attrs[kProvenanceKey] = std::move(block);
  return {};
}

RunIdentity identity_of(const json::object& root_attrs) {
  RunIdentity run;
  const json::value* block = root_attrs.if_contains(kProvenanceKey);
  if (!block || !block->is_object()) return run;
  const json::object& o = block->get_object();
  if (const auto* c = o.if_contains("created"); c && c->is_string()) run.created = std::string(c->get_string());
  if (const auto* u = o.if_contains("uuid"); u && u->is_string()) run.uuid = std::string(u->get_string());
  if (o.contains("appends")) run.appended_block = o;
  return run;
}

}  // namespace zpmpi::app
