// The README documents the key table (config_keys.hpp) and the flags of --help: its
// "| key | meaning" table lists exactly the job's keys and its "| flag | meaning" table
// exactly the flags, so a key or flag added without its documentation fails here.
#include "zpmpi/app/config_keys.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "zpmpi/app/cli.hpp"

namespace zpmpi::app {
namespace {

/// The first cells of the README table whose header starts with `header`.
std::vector<std::string> first_cells(const std::string& header) {
  std::ifstream in(std::string(ZPMPI_SOURCE_DIR) + "/README.md");
  EXPECT_TRUE(in) << "README.md";
  std::vector<std::string> cells;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind(header, 0) == 0) inside = true;
    else if (inside && line.rfind("|---", 0) == 0) continue;
    else if (inside && line.rfind("| ", 0) == 0) cells.push_back(line.substr(2, line.find(" | ") - 2));
    else if (inside) break;
  }
  return cells;
}

/// Every match of `pattern`'s first group in `texts`.
std::set<std::string> matches(const std::vector<std::string>& texts, const std::string& pattern) {
  std::set<std::string> found;
  const std::regex re(pattern);
  for (const auto& t : texts)
    for (auto it = std::sregex_iterator(t.begin(), t.end(), re); it != std::sregex_iterator(); ++it)
      found.insert((*it)[1]);
  return found;
}

TEST(ConfigKeys, TheReadmeKeyTableListsExactlyTheKeys) {
  const auto cells = first_cells("| key | meaning");
  ASSERT_FALSE(cells.empty()) << "no \"| key | meaning\" table in README.md";
  std::set<std::string> keys;
  for (const ConfigKey& k : config_keys()) keys.insert(std::string(k.name));
  EXPECT_EQ(matches(cells, "`([a-z_]+)`"), keys);
}

TEST(ConfigKeys, TheReadmeFlagTableListsExactlyTheFlagsOfHelp) {
  const auto cells = first_cells("| flag | meaning");
  ASSERT_FALSE(cells.empty()) << "no \"| flag | meaning\" table in README.md";
  const char* argv[] = {"zpmpi", "--help"};
  auto cli = parse_cli(2, argv);
  ASSERT_TRUE(cli.ok());
  std::vector<std::string> lines;
  std::istringstream usage(cli->usage);
  for (std::string line; std::getline(usage, line);) lines.push_back(line);
  const std::set<std::string> help = matches(lines, "^  (?:-[a-z] \\[ )?(--[a-z-]+)");
  EXPECT_EQ(matches(cells, "`(--[a-z-]+)"), help);
  for (const ConfigKey& k : config_keys())
    if (!k.flag.empty()) {
      EXPECT_TRUE(help.count("--" + std::string(k.flag))) << k.flag;
    }
}

}  // namespace
}  // namespace zpmpi::app
