// The command line (cli.hpp): commands, the plan flags, and the config keys' flags read
// from the key table (config_keys.hpp).
#include "zpmpi/app/cli.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace zpmpi::app {
namespace {

Result<CliOptions> cli(std::vector<const char*> args) {
  args.insert(args.begin(), "zpmpi");
  return parse_cli(static_cast<int>(args.size()), args.data());
}

Config job() {
  auto c = parse_config(R"({"source": "a.nc", "store": "s.zarr", "overwrite": true, "workers": 2})", "job.json");
  EXPECT_TRUE(c.ok());
  return *c;
}

TEST(ParseCli, Commands) {
  auto run = cli({"--config", "j.json"});
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_FALSE(run->plan_only || run->verify);
  EXPECT_EQ(run->config_path, "j.json");
  EXPECT_TRUE(cli({"run", "-c", "j.json"}).ok());
  auto plan = cli({"plan", "--config", "j.json", "--ranks", "3", "--json"});
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_TRUE(plan->plan_only);
  EXPECT_EQ(plan->plan_ranks, 3);
  EXPECT_TRUE(plan->plan_json);
  EXPECT_TRUE(cli({"verify", "--config", "j.json"})->verify);
  EXPECT_EQ(cli({"convert", "--config", "j.json"}).error().message,
            "unknown command 'convert' (the commands are \"run\", \"plan\", \"verify\" and \"statistics\"; see --help)");
  // zpmpi statistics: --store alone, or a job with the store; nothing at all is refused.
  auto statistics = cli({"statistics", "--store", "s.zarr"});
  ASSERT_TRUE(statistics.ok()) << statistics.error().message;
  EXPECT_TRUE(statistics->statistics);
  EXPECT_FALSE(statistics->verify || statistics->plan_only);
  EXPECT_TRUE(cli({"statistics", "--config", "j.json"}).ok());
  EXPECT_EQ(cli({"statistics"}).error().message,
            "zpmpi statistics needs --store STORE (or --config with a \"store\"; see --help)");
  EXPECT_EQ(cli({"--store", "s.zarr"}).error().message, "--config FILE is required (see --help)");
  EXPECT_EQ(cli({"plan", "run", "--config", "j.json"}).error().message.substr(0, 23), "unknown command 'run' (");
  EXPECT_EQ(cli({"--config", "j.json", "--json"}).error().message, "--json is a flag of \"zpmpi plan\" (see --help)");
  EXPECT_EQ(cli({"plan", "--config", "j.json", "--ranks", "0"}).error().message, "--ranks must be a positive integer");
}

TEST(ParseCli, HelpNeedsNoConfigAndListsEveryFlagOnce) {
  auto help = cli({"--help"});
  ASSERT_TRUE(help.ok()) << help.error().message;
  EXPECT_TRUE(help->help);
  for (const ConfigKey& key : config_keys()) {
    if (key.flag.empty()) continue;
    const std::string flag = "--" + std::string(key.flag);
    const auto at = help->usage.find(flag + " ");
    ASSERT_NE(at, std::string::npos) << flag << " missing from:\n" << help->usage;
    EXPECT_EQ(help->usage.find(flag + " ", at + 1), std::string::npos) << flag << " twice";
    EXPECT_NE(help->usage.find(std::string(key.help).substr(0, 30)), std::string::npos) << flag;
  }
  EXPECT_TRUE(cli({"--version"})->version);
  EXPECT_EQ(cli({}).error().message, "--config FILE is required (see --help)");
}

TEST(ParseCli, FlagValuesAreCheckedAsTheyAreRead) {
  EXPECT_EQ(cli({"-c", "j", "--workers", "65"}).error().message, "--workers must be between 1 and 64");
  EXPECT_EQ(cli({"-c", "j", "--num-jobs", "0"}).error().message, "--num-jobs must be a positive integer");
  EXPECT_EQ(cli({"-c", "j", "--log-level", "3"}).error().message, "--log-level must be 0, 1 or 2");
  EXPECT_EQ(cli({"-c", "j", "--stats", ""}).error().message, "--stats needs a file name");
  EXPECT_EQ(cli({"-c", "j", "--max-chunks", "-1"}).error().message, "--max-chunks must be a positive integer, got '-1'");
  const auto many = cli({"-c", "j", "--num-jobs", "many"});
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.error().message.find("'many'"), std::string::npos) << many.error().message;
  EXPECT_EQ(many.error().code, ExitCode::kUsage);
  EXPECT_FALSE(cli({"-c", "j", "--frobnicate"}).ok());
}

TEST(ParseCli, OnlyTheFlagsGivenOverrideTheJob) {
  auto none = cli({"-c", "j"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->overrides.empty());  // a switch not given (bool_switch is always in the map)
  Config c = job();
  ASSERT_TRUE(apply_cli(*none, c).ok());
  EXPECT_TRUE(c.overwrite);
  EXPECT_EQ(c.workers, 2);
  EXPECT_EQ(stats_file(*none, c), "");

  auto some = cli({"-c", "j", "--resume", "--max-chunks", "99", "--stats", "s.json", "--workers", "5"});
  ASSERT_TRUE(some.ok()) << some.error().message;
  EXPECT_TRUE(some->flag_given("stats"));
  EXPECT_FALSE(some->flag_given("store"));
  EXPECT_EQ(stats_file(*some, Config{}), "s.json");  // also before the job is read
  ASSERT_TRUE(apply_cli(*some, c).ok());
  EXPECT_TRUE(c.resume);
  EXPECT_EQ(c.max_chunks, 99u);
  EXPECT_EQ(c.stats, "s.json");
  EXPECT_EQ(c.workers, 5);
}

TEST(ParseCli, EveryFlagOfTheKeyTableIsAKeyThatHasAParser) {
  for (const ConfigKey& key : config_keys()) {
    EXPECT_NE(key.parse, nullptr) << key.name;
    EXPECT_EQ(key.flag.empty(), key.flag_kind == FlagKind::kNone) << key.name;
    EXPECT_EQ(key.apply_flag == nullptr, key.flag_kind == FlagKind::kNone) << key.name;
    EXPECT_EQ(find_config_key(key.name), &key);
  }
  EXPECT_EQ(find_config_key("chunk"), nullptr);
}

}  // namespace
}  // namespace zpmpi::app
