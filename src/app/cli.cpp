#include "zpmpi/app/cli.hpp"

#include <sstream>
#include <variant>

#include <boost/program_options.hpp>

namespace zpmpi::app {
namespace po = boost::program_options;
namespace {

constexpr const char* kCaption =
    "Usage: zpmpi [run] --config job.json [options]     convert (the default command)\n"
    "       zpmpi plan --config job.json [--ranks N] [--json] [options]\n"
    "                                                  print what a run would do, write nothing\n"
    "       zpmpi verify --config job.json [options]   check every chunk and metadata file of\n"
    "                                                  the store against the job\n"
    "       zpmpi statistics --store=STORE [--config job.json] [options]\n"
    "                                                  (re)compute the store's \"statistics\"\n"
    "                                                  attributes from its chunks (the job's\n"
    "                                                  \"statistics\" key says which; default all)\n"
    "Caches netCDF data into a Zarr store (v2, or v3 with shards), in parallel under MPI\n"
    "(mpirun -n N zpmpi ... or srun zpmpi ...).\n\nOptions";

/// The flag of a config key, as program_options declares it.
void add_key_flag(po::options_description_easy_init& add, const ConfigKey& key) {
  const std::string flag(key.flag), value_name(key.value_name), help(key.help);
  switch (key.flag_kind) {
    case FlagKind::kNone: return;
    case FlagKind::kSwitch: add(flag.c_str(), po::bool_switch(), help.c_str()); return;
    case FlagKind::kInteger: add(flag.c_str(), po::value<int>()->value_name(value_name), help.c_str()); return;
    case FlagKind::kText: add(flag.c_str(), po::value<std::string>()->value_name(value_name), help.c_str()); return;
  }
}

/// Every option of the --help text: the command's own, then the config keys' flags.
po::options_description visible_options(CliOptions& cli) {
  po::options_description desc(kCaption);
  auto add = desc.add_options();
  add("help,h", "print this help and exit")("version", "print the version and exit")(
      "config,c", po::value<std::string>(&cli.config_path)->value_name("FILE"),
      "job description (JSON); required but for \"statistics\"");
  for (const ConfigKey& key : config_keys()) add_key_flag(add, key);
  add("quiet,q", po::bool_switch(&cli.quiet),
      "no live progress bar or lines (errors and the closing summary stay; default: progress on stderr)")(
      "ranks", po::value<int>()->value_name("N"), "plan: plan for N ranks (default: the ranks it runs on)")(
      "json", po::bool_switch(&cli.plan_json), "plan: print the report as one JSON document (default: text)");
  return desc;
}

/// The command ("run", "plan", "verify"; none is "run") and its own flags.
Status read_command(const std::vector<std::string>& commands, const po::variables_map& vm, CliOptions& cli) {
  const std::string command = commands.size() == 1 ? commands[0] : "run";
  const bool known = command == "plan" || command == "run" || command == "verify" || command == "statistics";
  if (commands.size() > 1 || !known)
    return usage_error("unknown command '" + commands.back() +
                       "' (the commands are \"run\", \"plan\", \"verify\" and \"statistics\"; see --help)");
  cli.plan_only = command == "plan";
  cli.verify = command == "verify";
  cli.statistics = command == "statistics";
  if (!cli.plan_only && (vm.count("ranks") || cli.plan_json))
    return usage_error(std::string(vm.count("ranks") ? "--ranks" : "--json") + " is a flag of \"zpmpi plan\" (see --help)");
  if (vm.count("ranks")) {
    if (vm["ranks"].as<int>() < 1) return usage_error("--ranks must be a positive integer");
    cli.plan_ranks = vm["ranks"].as<int>();
  }
  return {};
}

/// The config keys' flags given, each checked by its parser (on a scratch job).
Status read_overrides(const po::variables_map& vm, CliOptions& cli) {
  Config scratch;
  for (const ConfigKey& key : config_keys()) {
    const std::string flag(key.flag);
    if (key.flag_kind == FlagKind::kNone || !vm.count(flag)) continue;
    FlagValue value;
    if (key.flag_kind == FlagKind::kSwitch) {
      if (!vm[flag].as<bool>()) continue;  // a bool_switch is always in the map
      value = true;
    } else if (key.flag_kind == FlagKind::kInteger) {
      value = vm[flag].as<int>();
    } else {
      value = vm[flag].as<std::string>();
    }
    ZPMPI_RETURN_IF_ERROR(key.apply_flag(value, scratch));
    cli.overrides.emplace_back(&key, std::move(value));
  }
  return {};
}

}  // namespace

bool CliOptions::flag_given(std::string_view key) const {
  for (const auto& [k, value] : overrides)
    if (k->name == key) return true;
  return false;
}

Result<CliOptions> parse_cli(int argc, const char* const* argv) {
  CliOptions cli;
  const po::options_description desc = visible_options(cli);
  std::vector<std::string> commands;
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::vector<std::string>>(&commands));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("command", -1);
  std::ostringstream usage;
  usage << desc;
  cli.usage = usage.str();

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage_error(std::string(e.what()) + " (see --help)");
  }
  ZPMPI_RETURN_IF_ERROR(read_command(commands, vm, cli));
  cli.help = vm.count("help") > 0;
  cli.version = vm.count("version") > 0;
  if (cli.help || cli.version) return cli;
  ZPMPI_RETURN_IF_ERROR(read_overrides(vm, cli));
  if (cli.statistics && cli.config_path.empty() && !cli.flag_given("store"))
    return usage_error("zpmpi statistics needs --store STORE (or --config with a \"store\"; see --help)");
  if (!cli.statistics && cli.config_path.empty()) return usage_error("--config FILE is required (see --help)");
  return cli;
}

std::string stats_file(const CliOptions& cli, const Config& config) {
  for (const auto& [key, value] : cli.overrides)
    if (key->name == "stats") return std::get<std::string>(value);
  return config.stats;
}

Status apply_cli(const CliOptions& cli, Config& config) {
  for (const auto& [key, value] : cli.overrides) ZPMPI_RETURN_IF_ERROR(key->apply_flag(value, config));
  if (config.store.empty())
    return usage_error(config.path + ": store: is required (or pass --store)");
  // Keys that depend on each other, checked once the flags have had their say.
  if (config.shards && config.zarr_format != zarr::ZarrFormat::kV3)
    return usage_error((cli.flag_given("shards") ? std::string("--shards") : config.path + ": shards:") +
                       " needs zarr_format 3 (zarr_format is " + std::to_string(static_cast<int>(config.zarr_format)) + ")");
  return {};
}

boost::json::object store_flags(const CliOptions& cli) {
  boost::json::object flags;
  for (const auto& [key, value] : cli.overrides) {
    // --store says where the store is, not what it holds (and may be any bytes, not UTF-8).
    if (!key->changes_store || key->name == "store") continue;
    boost::json::value& v = flags[key->name];
    std::visit([&](const auto& x) { v = x; }, value);
  }
  return flags;
}

}  // namespace zpmpi::app
