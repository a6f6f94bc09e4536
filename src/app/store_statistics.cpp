// The statistics command's job and its store opened as a source (app/store_statistics.hpp).
#include "zpmpi/app/store_statistics.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "zpmpi/zarr/file_write.hpp"
#include "zpmpi/zarr/store_entry.hpp"
#include "zpmpi/zarr/store_path.hpp"

namespace zpmpi::app {
namespace fs = std::filesystem;

Result<Config> statistics_job(const CliOptions& cli) {
  Config job;
  job.path = "zpmpi statistics";
  if (!cli.config_path.empty()) {
    ZPMPI_ASSIGN_OR_RETURN(const Config given, load_config(cli.config_path, JobUse::kStatistics));
    job.path = given.path;
    job.store = given.store;
    job.statistics = given.statistics;
    job.memory_limit = given.memory_limit;
    job.workers = given.workers;
    job.num_jobs = given.num_jobs;
    job.max_chunks = given.max_chunks;
    job.log_level = given.log_level;
    job.stats = given.stats;
  }
  ZPMPI_RETURN_IF_ERROR(apply_cli(cli, job));
  if (!job.statistics) job.statistics = Config::StatisticsRequest{};  // every data variable
  return job;
}

namespace {

/// The store's path resolved; refused when there is no directory there, or a link.
Result<zarr::StorePath> existing_store(const std::string& spec) {
  std::error_code ec;
  ZPMPI_ASSIGN_OR_RETURN(zarr::StorePath store, zarr::resolve_store_path(spec, fs::current_path(ec)));
  struct stat st{};
  if (::lstat(store.path.c_str(), &st) != 0) return runtime_error("statistics: no store at " + spec);
  if (S_ISLNK(st.st_mode))
    return runtime_error("statistics: " + zarr::link_in_store_message(store.path, "read") +
                         ", or name the store it points to");
  if (!S_ISDIR(st.st_mode)) return runtime_error("statistics: " + spec + " is not a store (not a directory)");
  return store;
}

/// Every url of the set is "{{aN}}..." with aN the store's name and an array's: Boost.JSON
/// (and so the reference parser) takes UTF-8 only.
Status check_utf8_paths(const zarr::StoreReferences& refs, const fs::path& store) {
  const boost::json::value* templates = refs.document.if_contains("templates");
  boost::system::error_code ec;
  if (templates) boost::json::parse(boost::json::serialize(*templates), ec);
  if (ec) return usage_error("statistics: " + store.string() + ": a store whose path is not UTF-8 cannot be read here");
  return {};
}

}  // namespace

Result<StoreAsSource> StoreAsSource::open(const std::string& spec) {
  ZPMPI_ASSIGN_OR_RETURN(const zarr::StorePath store, existing_store(spec));
  // A stale lock (its run is known gone) is replaced: only attributes are written here.
  ZPMPI_ASSIGN_OR_RETURN(zarr::StoreLock lock, zarr::StoreLock::acquire(store, true));
  StoreAsSource out(std::move(lock));
  out.store_ = store.path;
  ZPMPI_ASSIGN_OR_RETURN(out.refs_, zarr::store_references(store.path));
  ZPMPI_RETURN_IF_ERROR(check_utf8_paths(out.refs_, store.path));
  const std::string text = boost::json::serialize(out.refs_.document);
  const fs::path file = store.parent() / ("." + store.name() + ".zpmpi-statistics.json");
  const fs::path tmp = store.parent() / ("." + store.name() + ".zpmpi-statistics.json.tmp");
  if (const auto failure = zarr::write_file_atomically(file, tmp, std::as_bytes(std::span(text))))
    return runtime_error("statistics: cannot write " + file.string() + ": " + std::strerror(failure->error));
  out.file_ = file;
  return out;
}

StoreAsSource::StoreAsSource(StoreAsSource&& o) noexcept
    : lock_(std::move(o.lock_)), store_(std::move(o.store_)), file_(std::exchange(o.file_, {})), refs_(std::move(o.refs_)) {}

StoreAsSource& StoreAsSource::operator=(StoreAsSource&& o) noexcept {
  if (this == &o) return *this;
  if (!file_.empty()) ::unlink(file_.c_str());
  lock_ = std::move(o.lock_);
  store_ = std::move(o.store_);
  file_ = std::exchange(o.file_, {});
  refs_ = std::move(o.refs_);
  return *this;
}

StoreAsSource::~StoreAsSource() {
  if (!file_.empty()) ::unlink(file_.c_str());  // before the lock goes (member order)
}

}  // namespace zpmpi::app
