#include "zpmpi/app/run_summary.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <utility>

#include <boost/json.hpp>

#include "zpmpi/zarr/file_write.hpp"

namespace zpmpi::app {
namespace json = boost::json;
namespace {

const exec::Stats kNone{};  // for walking the field list without values

json::object stats_json(const exec::Stats& s) {
  json::object o;
  exec::fields(s, [&](const char* name, const auto& field, exec::Combine) { o[name] = field; });
  return o;
}

/// `v` with every non-finite number as the string "NaN", "Infinity" or "-Infinity".
json::value finite_only(json::value v) {
  if (v.is_double() && !std::isfinite(v.get_double()))
    return std::isnan(v.get_double()) ? "NaN" : v.get_double() > 0 ? "Infinity" : "-Infinity";
  if (v.is_array())
    for (json::value& x : v.get_array()) x = finite_only(std::move(x));
  if (v.is_object())
    for (auto& kv : v.get_object()) kv.value() = finite_only(std::move(kv.value()));
  return v;
}

json::value statistics_json(const std::map<std::string, json::object>& statistics) {
  if (statistics.empty()) return nullptr;
  json::object o;
  for (const auto& [array, figures] : statistics) o[array] = finite_only(figures);
  return o;
}

}  // namespace

std::uint64_t peak_rss_bytes() {
  struct rusage usage {};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

std::string summary_json(const RunSummary& s) {
  json::object o;
  o["version"] = ZPMPI_VERSION;
  o["ok"] = s.outcome.ok();
  o["exit_code"] = static_cast<int>(s.outcome.ok() ? ExitCode::kOk : s.outcome.error().code);
  o["error"] = s.outcome.ok() ? json::value(nullptr) : json::value(s.outcome.error().message);
  o["source"] = s.source;
  o["store"] = s.store;
  o["ranks"] = s.ranks;
  o["workers"] = s.workers;
  o["arrays"] = s.arrays;
  o["seconds"] = s.seconds;
  const bool known = s.totals.has_value();
  o["mb_per_s"] = known && s.seconds > 0 ? json::value(s.totals->bytes_needed / 1e6 / s.seconds) : json::value(nullptr);
  o["read_amplification"] = known ? json::value(s.totals->read_amplification()) : json::value(nullptr);
  json::object combine;
  exec::fields(std::as_const(kNone), [&](const char* name, const auto&, exec::Combine how) {
    o[name] = nullptr;  // unknown unless the run wrote chunks (filled in below)
    combine[name] = how == exec::Combine::kSum ? "sum" : "max";
  });
  if (known) {
    exec::fields(*s.totals, [&](const char* name, const auto& field, exec::Combine) { o[name] = field; });
  }
  o["combine"] = std::move(combine);
  json::array ranks;
  for (const auto& r : s.per_rank) ranks.push_back(stats_json(r));
  o["per_rank"] = std::move(ranks);
  if (s.plan) {
    o["plan"] = json::object{{"regions", s.plan->regions},
                             {"num_jobs", s.plan->num_jobs},
                             {"memory_limit", s.plan->memory_limit},
                             {"buffers_per_rank", s.plan->buffers_per_rank},
                             {"total_bytes", s.plan->total_bytes}};
  } else {
    o["plan"] = nullptr;
  }
  o["statistics"] = statistics_json(s.statistics);
  return json::serialize(o) + "\n";
}

Status write_summary(const std::string& path, const RunSummary& s, std::string_view what_file) {
  const std::string text = summary_json(s);
  // The temporary file is beside the target (same file system: rename is atomic) and
  // named by this process, so two runs never share one.
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const auto failure = zarr::write_file_atomically(path, tmp, std::as_bytes(std::span(text)));
  if (!failure) return {};
  using Step = zarr::FileWriteFailure::Step;
  const std::string what = failure->step == Step::kCreate  ? "create " + tmp
                           : failure->step == Step::kWrite ? "write " + tmp
                                                           : "rename " + tmp + " to it";
  return runtime_error(std::string(what_file) + " " + path + ": cannot " + what + ": " + std::strerror(failure->error));
}

}  // namespace zpmpi::app
