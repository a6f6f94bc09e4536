#include "zpmpi/app/cli.hpp"

#include <charconv>
#include <sstream>

#include <boost/program_options.hpp>

#include "zpmpi/model/bytes.hpp"

namespace zpmpi::app {
namespace po = boost::program_options;

Result<CliOptions> parse_cli(int argc, const char* const* argv) {
  CliOptions cli;
  std::string store, memory_limit, max_chunks, stats;
  int log_level = 1, num_jobs = 0, workers = 0, plan_ranks = 0;
  po::options_description desc(
      "Usage: zpmpi [run] --config job.json [options]     convert (the default command)\n"
      "       zpmpi plan --config job.json [--ranks N] [--json] [options]\n"
      "                                                  print what a run would do, write nothing\n"
      "       zpmpi verify --config job.json [options]   check every chunk and metadata file of\n"
      "                                                  the store against the job\n"
      "Caches netCDF data into a Zarr v2 store, in parallel under MPI\n"
      "(mpirun -n N zpmpi ... or srun zpmpi ...).\n\nOptions");
  desc.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the version and exit")
      ("config,c", po::value<std::string>(&cli.config_path)->value_name("FILE"), "job description (JSON); required")
      ("store", po::value<std::string>(&store)->value_name("PATH"), "output store (overrides \"store\"; default: the job's)")
      ("memory-limit", po::value<std::string>(&memory_limit)->value_name("SIZE"),
       "buffer memory per rank, e.g. 2GB, 512MiB (overrides \"memory_limit\"; default 2GB)")
      ("log-level", po::value<int>(&log_level)->value_name("0|1|2"), "0 warnings, 1 info, 2 debug (overrides \"log_level\"; default 1)")
      ("overwrite", po::bool_switch(&cli.overwrite), "replace an existing zarr store (overrides \"overwrite\"; default off)")
      ("resume", po::bool_switch(&cli.resume),
       "finish the interrupted run of this job (after a signal, exit 75, or a kill; overrides \"resume\"; default off)")
      ("num-jobs", po::value<int>(&num_jobs)->value_name("N"), "number of work parts (overrides \"num_jobs\"; default: the ranks)")
      ("workers", po::value<int>(&workers)->value_name("N"),
       "encode/write threads per rank (overrides \"workers\"; default 1)")
      ("max-chunks", po::value<std::string>(&max_chunks)->value_name("N"),
       "most output chunks (files) in all (overrides \"max_chunks\"; default 10000000)")
      ("stats", po::value<std::string>(&stats)->value_name("FILE"),
       "write the run's summary as JSON to FILE, also when it fails (overrides \"stats\"; default: none)")
      ("quiet,q", po::bool_switch(&cli.quiet),
       "no live progress bar or lines (errors and the closing summary stay; default: progress on stderr)")
      ("ranks", po::value<int>(&plan_ranks)->value_name("N"), "plan: plan for N ranks (default: the ranks it runs on)")
      ("json", po::bool_switch(&cli.plan_json), "plan: print the report as one JSON document (default: text)");
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
  const bool known = commands.size() == 1 && (commands[0] == "plan" || commands[0] == "run" || commands[0] == "verify");
  if (commands.size() > 1 || (commands.size() == 1 && !known))
    return usage_error("unknown command '" + commands.back() +
                       "' (the commands are \"run\", \"plan\" and \"verify\"; see --help)");
  cli.plan_only = commands.size() == 1 && commands[0] == "plan";
  cli.verify = commands.size() == 1 && commands[0] == "verify";
  if (!cli.plan_only && (vm.count("ranks") || cli.plan_json))
    return usage_error(std::string(vm.count("ranks") ? "--ranks" : "--json") + " is a flag of \"zpmpi plan\" (see --help)");
  if (vm.count("ranks")) {
    if (plan_ranks < 1) return usage_error("--ranks must be a positive integer");
    cli.plan_ranks = plan_ranks;
  }
  cli.help = vm.count("help") > 0;
  cli.version = vm.count("version") > 0;
  if (cli.help || cli.version) return cli;
  if (cli.config_path.empty()) return usage_error("--config FILE is required (see --help)");
  if (vm.count("store")) cli.store = store;
  if (vm.count("memory-limit")) cli.memory_limit = memory_limit;
  if (vm.count("stats")) {
    if (stats.empty()) return usage_error("--stats needs a file name");
    cli.stats = stats;
  }
  if (vm.count("log-level")) {
    if (log_level < 0 || log_level > 2) return usage_error("--log-level must be 0, 1 or 2");
    cli.log_level = log_level;
  }
  if (vm.count("num-jobs")) {
    if (num_jobs < 1) return usage_error("--num-jobs must be a positive integer");
    cli.num_jobs = num_jobs;
  }
  if (vm.count("max-chunks")) {
    // Read as text: program_options would take "-1" as 2^64 - 1 for an unsigned type.
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(max_chunks.data(), max_chunks.data() + max_chunks.size(), n);
    if (max_chunks.empty() || ec != std::errc() || end != max_chunks.data() + max_chunks.size() || n < 1)
      return usage_error("--max-chunks must be a positive integer, got '" + max_chunks + "'");
    cli.max_chunks = n;
  }
  if (vm.count("workers")) {
    if (workers < 1 || workers > kMaxWorkers)
      return usage_error("--workers must be between 1 and " + std::to_string(kMaxWorkers));
    cli.workers = workers;
  }
  return cli;
}

Status apply_cli(const CliOptions& cli, Config& config) {
  if (cli.store) config.store = *cli.store;
  if (cli.memory_limit) {
    auto bytes = model::parse_bytes(*cli.memory_limit);
    if (!bytes || *bytes == 0)
      return usage_error("--memory-limit: cannot parse '" + *cli.memory_limit + "' as a size (e.g. 2GB, 512MiB)");
    config.memory_limit = *bytes;
  }
  if (cli.log_level) config.log_level = *cli.log_level;
  if (cli.overwrite) config.overwrite = true;
  if (cli.resume) config.resume = true;
  if (cli.num_jobs) config.num_jobs = *cli.num_jobs;
  if (cli.workers) config.workers = *cli.workers;
  if (cli.max_chunks) config.max_chunks = *cli.max_chunks;
  if (cli.stats) config.stats = *cli.stats;
  if (config.store.empty())
    return usage_error(config.path + ": store: is required (or pass --store)");
  return {};
}

}  // namespace zpmpi::app
