// The job's resume record: see resume_record.hpp.
#include "zpmpi/app/resume_record.hpp"

#include "zpmpi/app/config_keys.hpp"

#include <fstream>
#include <sstream>
#include <string_view>

#include <boost/json.hpp>

#include "zpmpi/zarr/store_resume.hpp"

namespace zpmpi::app {
namespace json = boost::json;
namespace {

/// A file's identity in the record: {} for a url (known by its name alone). The inode as
/// int64, as the record's parser gives it back.
json::object input_json(const source::InputFile& f) {
  if (!f.local) return {};
  return {{"size", f.size}, {"mtime_ns", f.mtime_ns}, {"inode", static_cast<std::int64_t>(f.inode)}};
}

}  // namespace

Result<json::object> job_store_keys(const std::string& job_file, const json::object& store_flags) {
  std::ifstream in(job_file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const json::value job = json::parse(text.str(), ec);
  if (!in || ec || !job.is_object()) return runtime_error(job_file + ": cannot read the job file again");
  json::object keys;
  for (const auto& [key, value] : job.get_object()) {
    // Run-only keys change how a run goes, not what the store holds.
    const ConfigKey* known = find_config_key(key);
    // S3 secrets are never written: not in the record, not in the store's provenance.
    if (!known || known->changes_store) keys[key] = key == "source" ? source::without_s3_secrets(value) : value;
  }
  for (const auto& [key, value] : store_flags) keys[key] = value;
  return keys;
}

Result<json::object> resume_record(const std::string& job_file, const json::object& store_flags,
                                   const std::vector<source::InputFile>& inputs, const json::object& output) {
  auto keys = job_store_keys(job_file, store_flags);
  if (!keys.ok()) return runtime_error(keys.error().message + " for --resume");
  json::object record;
  for (const auto& [key, value] : *keys) record["config." + std::string(key)] = value;
  for (const source::InputFile& f : inputs) record["source.file " + f.uri] = input_json(f);
  record["output"] = zarr::digest(json::serialize(output));
  return record;
}


std::string input_change(const source::InputFile& was, const source::InputFile& now) {
  std::string change;
  const auto add = [&](const std::string& what) { change += (change.empty() ? "" : ", ") + what; };
  if (was.size != now.size)
    add("size " + std::to_string(was.size) + " -> " + std::to_string(now.size) + " bytes");
  if (was.mtime_ns != now.mtime_ns) add("modified");
  if (was.inode != now.inode) add("replaced: another inode");
  return change;
}

Status check_inputs_unchanged(const std::vector<source::InputFile>& read) {
  std::string first, how;
  std::size_t changed = 0;
  for (const source::InputFile& was : read) {
    if (!was.local) continue;
    const auto now = source::identify_input(was.uri);
    const std::string change = now.ok() ? input_change(was, *now) : "gone or unreadable";
    if (change.empty()) continue;
    if (changed++ == 0) first = was.uri, how = change;
  }
  if (changed == 0) return {};
  if (changed > 1) how += "; " + std::to_string(changed - 1) + " other source file(s) changed too";
  return runtime_error("source file " + first + " changed while this run read it (" + how + ")");
}

}  // namespace zpmpi::app
