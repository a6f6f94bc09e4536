// Command line: zpmpi [run|plan] --config job.json [--store PATH] [--memory-limit 2GB]
//               [--log-level 0|1|2] [--overwrite] [--num-jobs N] [--workers N]
//               [--max-chunks N] [--stats FILE] [--resume] [--quiet] | --help | --version
// "zpmpi plan ... [--ranks N] [--json]" prints the plan report (app/plan_report.hpp) for N
// ranks (default: the ranks it runs on) and writes nothing; "run" (the default) converts.
// "zpmpi verify ..." compares the store with what the job writes (app/verify.hpp).
// Every flag that matches a config key overrides the job file's value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "zpmpi/app/config.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::app {

struct CliOptions {
  bool help = false;
  bool version = false;
  std::string usage;  ///< the --help text
  bool plan_only = false;  ///< the "plan" command
  std::optional<int> plan_ranks;  ///< plan --ranks N: plan for N ranks, not the ranks running
  bool plan_json = false;         ///< plan --json: the report as one JSON document on stdout
  bool verify = false;     ///< the "verify" command: compare the store with the job's output
  std::string config_path;
  std::optional<std::string> store;
  std::optional<std::string> memory_limit;
  std::optional<int> log_level;
  bool overwrite = false;
  bool resume = false;  ///< --resume: continue the interrupted run of this job
  std::optional<int> num_jobs;
  std::optional<int> workers;
  std::optional<std::uint64_t> max_chunks;
  std::optional<std::string> stats;  ///< --stats FILE: the run's summary as JSON
  bool quiet = false;  ///< --quiet: no live progress (errors and the closing summary stay)
};

/// Parses argv; errors are ExitCode::kUsage with Program_options' reason.
Result<CliOptions> parse_cli(int argc, const char* const* argv);

/// Applies the flags to a parsed job; errors name the flag.
Status apply_cli(const CliOptions& cli, Config& config);

}  // namespace zpmpi::app
