// The job's resume record: see resume_record.hpp.
#include "zpmpi/app/resume_record.hpp"

#include <sys/stat.h>

#include <array>
#include <fstream>
#include <sstream>
#include <string_view>

#include <boost/json.hpp>

#include "zpmpi/zarr/store_resume.hpp"

namespace zpmpi::app {
namespace json = boost::json;
namespace {

/// Keys that change how a run goes, not what the store holds.
constexpr std::array<std::string_view, 9> kRunOnlyKeys = {
    "resume", "overwrite", "log_level", "stats", "workers", "num_jobs", "memory_limit", "max_chunks",
    "recommendations"};

}  // namespace

Result<json::object> resume_record(const std::string& job_file, const source::SourceSpec& source,
                                   const json::object& group_attrs, const std::vector<zarr::ArrayMeta>& arrays,
                                   const json::value& compressor) {
  std::ifstream in(job_file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const json::value job = json::parse(text.str(), ec);
  if (!in || ec || !job.is_object()) return runtime_error(job_file + ": cannot read the job file again for --resume");
  json::object record;
  for (const auto& [key, value] : job.get_object()) {
    bool run_only = false;
    for (auto k : kRunOnlyKeys) run_only = run_only || key == k;
    if (!run_only) record["config." + std::string(key)] = value;
  }
  json::array files;
  for (const std::string& uri : source.uris) {
    if (uri.find("://") != std::string::npos) {
      files.push_back(json::object{{"uri", uri}});
      continue;
    }
    struct stat st{};
    json::object f{{"path", uri}};
    if (::stat(uri.c_str(), &st) == 0) {
      f["size"] = static_cast<std::int64_t>(st.st_size);
      f["mtime_ns"] = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    }
    files.push_back(std::move(f));
  }
  record["source.files"] = std::move(files);
  record["output"] = zarr::digest(json::serialize(zarr::zmetadata_json(group_attrs, arrays, compressor)));
  return record;
}

}  // namespace zpmpi::app
