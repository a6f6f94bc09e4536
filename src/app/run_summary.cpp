#include "zpmpi/app/run_summary.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include <boost/json.hpp>

namespace zpmpi::app {
namespace json = boost::json;
namespace {

const exec::Stats kNone{};  // for walking the field list without values

json::object stats_json(const exec::Stats& s) {
  json::object o;
  exec::fields(s, [&](const char* name, const auto& field, exec::Combine) { o[name] = field; });
  return o;
}

}  // namespace

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
  return json::serialize(o) + "\n";
}

Status write_summary(const std::string& path, const RunSummary& s) {
  const std::string text = summary_json(s);
  // The temporary file is beside the target (same file system: rename is atomic) and
  // named by this process, so two runs never share one.
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  auto fail = [&](const std::string& what, int err) {
    std::remove(tmp.c_str());
    return Status{runtime_error("--stats " + path + ": cannot " + what + ": " + std::strerror(err))};
  };
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return fail("create " + tmp, errno);
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int write_errno = errno;
  if (std::fclose(f) != 0 || !written) return fail("write " + tmp, written ? errno : write_errno);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename " + tmp + " to it", errno);
  return {};
}

}  // namespace zpmpi::app
