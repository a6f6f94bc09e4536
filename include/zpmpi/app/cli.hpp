// Command line: zpmpi [run|plan|verify|statistics] --config job.json [--store PATH] [--memory-limit 2GB]
//               [--log-level 0|1|2] [--overwrite] [--num-jobs N] [--workers N]
//               [--max-chunks N] [--stats FILE] [--resume] [--zarr-format 2|3]
//               [--shards DIM=SIZE,...|auto] [--quiet] | --help | --version
// "zpmpi plan ... [--ranks N] [--json]" prints the plan report (app/plan_report.hpp) for N
// ranks (default: the ranks it runs on) and writes nothing; "run" (the default) converts.
// "zpmpi verify ..." compares the store with what the job writes (app/verify.hpp).
// "zpmpi statistics --store S [--config job.json]" recomputes the store's statistics.
// Every flag that matches a config key overrides the job file's value; those flags, their
// --help lines and their checks are the key table's (app/config_keys.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/app/config.hpp"
#include "zpmpi/app/config_keys.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::app {

struct CliOptions {
  /// True when the flag of the job key `key` (e.g. "stats") was given.
  bool flag_given(std::string_view key) const;

  bool help = false;
  bool version = false;
  std::string usage;  ///< the --help text
  bool plan_only = false;  ///< the "plan" command
  std::optional<int> plan_ranks;  ///< plan --ranks N: plan for N ranks, not the ranks running
  bool plan_json = false;         ///< plan --json: the report as one JSON document on stdout
  bool verify = false;     ///< the "verify" command: compare the store with the job's output
  /// The "statistics" command: the store's "statistics" attributes computed from its chunks
  /// (app/store_statistics.hpp); --config is optional (its "statistics" and run keys).
  bool statistics = false;
  std::string config_path;
  /// The flags of config keys (app/config_keys.hpp) given, in the table's order, each
  /// checked already: apply_cli applies them to the job.
  std::vector<std::pair<const ConfigKey*, FlagValue>> overrides;
  bool quiet = false;  ///< --quiet: no live progress (errors and the closing summary stay)
};

/// Parses argv; errors are ExitCode::kUsage with Program_options' reason, or name the flag
/// whose value a config key's flag parser refuses ("--workers must be between 1 and 64").
Result<CliOptions> parse_cli(int argc, const char* const* argv);

/// The file of the run's summary: --stats FILE when given (also when the job could not be
/// read), else the job's "stats" (empty: none).
std::string stats_file(const CliOptions& cli, const Config& config);

/// Applies the flags to a parsed job; errors name the flag. Then checks the keys that
/// depend on each other, as the job and its flags together give them: "shards" needs
/// "zarr_format": 3 ("job.json: shards: needs zarr_format 3 (zarr_format is 2)", or
/// "--shards needs ..." when the flag gave it).
Status apply_cli(const CliOptions& cli, Config& config);

/// The flags given for keys that change what the store holds (ConfigKey::changes_store,
/// --store aside), key -> the flag's value as JSON (true, an integer, or the text as
/// given): the resume record (resume_record.hpp) compares them with the job's keys.
boost::json::object store_flags(const CliOptions& cli);

}  // namespace zpmpi::app
