// The job's keys, declared once (in the spirit of TensorStore's JSON binders: one
// declaration parses and documents). Each key of a job file has one entry: how the job
// file's value is parsed, the command-line flag that overrides it, whether it changes what
// the store holds (the resume record compares only those), and its --help line. Config
// parsing (config.hpp), the flags and --help (cli.hpp), the resume record
// (resume_record.hpp) and the README check (tests/unit/app/config_keys_test.cpp) read this
// table; a new key is one entry here plus a row in the README.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/value.hpp>

#include "zpmpi/app/config.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::app {

/// How a flag takes its value on the command line.
enum class FlagKind {
  kNone,     ///< the key has no flag
  kSwitch,   ///< --overwrite: no value, true when given
  kInteger,  ///< --workers 4: an int (program_options refuses what is not one)
  kText,     ///< --memory-limit 2GB: the text, checked by the key's flag parser
};

/// A flag's value as program_options gave it: true for a switch, an int, or the text.
using FlagValue = std::variant<bool, int, std::string>;

struct ConfigKey {
  std::string_view name;  ///< the job file's key, e.g. "memory_limit"
  /// Parses the job file's value into the config; errors are kUsage and start with the key
  /// ("memory_limit: cannot parse ...").
  Status (*parse)(const boost::json::value& value, Config& config);
  /// True when the key shapes what the store holds; false for a run-only key (how the run
  /// goes: resume, overwrite, log_level, ...), which --resume does not compare.
  bool changes_store;
  FlagKind flag_kind = FlagKind::kNone;
  std::string_view flag = {};        ///< "memory-limit" for --memory-limit; empty when kNone
  std::string_view value_name = {};  ///< the flag's value in --help ("SIZE"); empty for a switch
  std::string_view help = {};        ///< the flag's --help line (documentation of the override)
  /// Applies the flag's value to the config; errors are kUsage and name the flag
  /// ("--workers must be between 1 and 64"). Null when kNone.
  Status (*apply_flag)(const FlagValue& value, Config& config) = nullptr;
};

/// Every key of a job file, in the order they are parsed (variables before preprocessors,
/// which refer to them) and listed in messages.
std::span<const ConfigKey> config_keys();

/// The key named `name`, or null.
const ConfigKey* find_config_key(std::string_view name);

}  // namespace zpmpi::app
