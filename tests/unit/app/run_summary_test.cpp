#include "zpmpi/app/run_summary.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include <boost/json.hpp>

namespace zpmpi::app {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

const exec::Stats kNone{};

json::object parsed(const RunSummary& s) {
  const std::string text = summary_json(s);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "not one line: " << text;
  return json::parse(text).as_object();
}

RunSummary finished_run() {
  RunSummary s;
  s.source = "in.nc";
  s.store = "out.zarr";
  s.ranks = 2;
  s.workers = 3;
  s.arrays = 4;
  s.seconds = 2.0;
  exec::Stats a, b;
  a.chunks = 5, b.chunks = 7;
  a.bytes_needed = 1'000'000, b.bytes_needed = 3'000'000;
  a.bytes_decoded = 2'000'000, b.bytes_decoded = 3'000'000;
  a.seconds_read = 0.5, b.seconds_read = 0.25;
  a.peak_buffer = 10, b.peak_buffer = 30;
  exec::Stats totals;
  totals.chunks = 12;
  totals.bytes_needed = 4'000'000;
  totals.bytes_decoded = 5'000'000;
  totals.seconds_read = 0.5;
  totals.peak_buffer = 30;
  s.totals = totals;
  s.per_rank = {a, b};
  s.plan = PlanFigures{6, 2, 2'000'000'000, 123, 456};
  return s;
}

TEST(RunSummary, AFinishedRunHasEveryStatsFieldItsFiguresAndThePlan) {
  const json::object o = parsed(finished_run());
  EXPECT_EQ(o.at("ok"), true);
  EXPECT_EQ(o.at("exit_code"), 0);
  EXPECT_TRUE(o.at("error").is_null());
  EXPECT_EQ(o.at("version"), ZPMPI_VERSION);
  EXPECT_EQ(o.at("source"), "in.nc");
  EXPECT_EQ(o.at("store"), "out.zarr");
  EXPECT_EQ(o.at("ranks"), 2);
  EXPECT_EQ(o.at("workers"), 3);
  EXPECT_EQ(o.at("arrays"), 4);
  EXPECT_EQ(o.at("seconds").as_double(), 2.0);
  EXPECT_DOUBLE_EQ(o.at("mb_per_s").as_double(), 2.0);  // 4 MB in 2 s
  EXPECT_DOUBLE_EQ(o.at("read_amplification").as_double(), 1.25);
  EXPECT_EQ(o.at("chunks").to_number<std::uint64_t>(), 12u);
  EXPECT_EQ(o.at("peak_buffer").to_number<std::uint64_t>(), 30u);
  EXPECT_EQ(o.at("seconds_read").as_double(), 0.5);
  // Every field of the list, with how it combined, and nothing else at the top level.
  std::size_t n = 0;
  exec::fields(std::as_const(kNone), [&](const char* name, const auto&, exec::Combine how) {
    ++n;
    EXPECT_TRUE(o.contains(name)) << name;
    EXPECT_EQ(o.at("combine").at(name), how == exec::Combine::kSum ? "sum" : "max") << name;
  });
  EXPECT_EQ(o.at("combine").as_object().size(), n);
  EXPECT_EQ(o.size(), 16 + n) << json::serialize(o);
  EXPECT_TRUE(o.at("statistics").is_null());  // the job asks none
  const auto& ranks = o.at("per_rank").as_array();
  ASSERT_EQ(ranks.size(), 2u);
  EXPECT_EQ(ranks[0].at("chunks"), 5);
  EXPECT_EQ(ranks[1].at("chunks"), 7);
  EXPECT_EQ(ranks[1].at("seconds_read").as_double(), 0.25);
  EXPECT_EQ(ranks[0].as_object().size(), n);
  const auto& plan = o.at("plan").as_object();
  EXPECT_EQ(plan.at("regions"), 6);
  EXPECT_EQ(plan.at("num_jobs"), 2);
  EXPECT_EQ(plan.at("memory_limit"), 2'000'000'000);
  EXPECT_EQ(plan.at("buffers_per_rank"), 123);
  EXPECT_EQ(plan.at("total_bytes"), 456);
}

TEST(RunSummary, AFailedRunCarriesItsErrorAndCodeAndOnlyWhatIsKnown) {
  RunSummary s;
  s.outcome = Error{"job.json: chunks.time: must be a positive integer, got -3", ExitCode::kUsage};
  s.ranks = 4;
  const json::object o = parsed(s);
  EXPECT_EQ(o.at("ok"), false);
  EXPECT_EQ(o.at("exit_code"), 2);
  EXPECT_EQ(o.at("error"), "job.json: chunks.time: must be a positive integer, got -3");
  EXPECT_EQ(o.at("ranks"), 4);
  EXPECT_TRUE(o.at("chunks").is_null());
  EXPECT_TRUE(o.at("seconds_write").is_null());
  EXPECT_TRUE(o.at("mb_per_s").is_null());
  EXPECT_TRUE(o.at("read_amplification").is_null());
  EXPECT_TRUE(o.at("plan").is_null());
  EXPECT_TRUE(o.at("statistics").is_null());
  EXPECT_TRUE(o.at("per_rank").as_array().empty());
  EXPECT_EQ(o.at("combine").at("chunks"), "sum");
}

TEST(RunSummary, AFailureAfterTheChunksKeepsTheirTotals) {
  RunSummary s = finished_run();
  s.outcome = runtime_error("rank 1: injected failure");
  const json::object o = parsed(s);
  EXPECT_EQ(o.at("ok"), false);
  EXPECT_EQ(o.at("exit_code"), 1);
  EXPECT_EQ(o.at("chunks"), 12);
}

TEST(RunSummary, ZeroSecondsHasNoRate) {
  RunSummary s = finished_run();
  s.seconds = 0;
  EXPECT_TRUE(parsed(s).at("mb_per_s").is_null());
}

// Issue 28: the statistics attributes, by array; the figures of a group without values
// (NaN) as the string "NaN", so that the file stays strict JSON.
TEST(RunSummary, CarriesEachArraysStatisticsAsStrictJson) {
  RunSummary s = finished_run();
  s.statistics["t2m"] = {{"count", 3}, {"nan_count", 1}, {"mean", 281.5}, {"by", json::array{"level"}}};
  s.statistics["q"] = {{"count", json::array{0, 2}}, {"mean", json::array{std::nan(""), 0.25}}};
  const std::string text = summary_json(s);
  EXPECT_EQ(text.find("NaN,"), std::string::npos) << text;  // no bare NaN
  const json::object o = parsed(s);
  const json::object& statistics = o.at("statistics").as_object();
  ASSERT_EQ(statistics.size(), 2u);
  EXPECT_EQ(statistics.at("t2m"), s.statistics["t2m"]);
  EXPECT_EQ(statistics.at("q").at("mean"), (json::array{"NaN", 0.25}));
  EXPECT_EQ(statistics.at("q").at("count"), (json::array{0, 2}));
}

std::string read(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(WriteSummary, ReplacesTheFileWholeAndLeavesNoTemporary) {
  const fs::path dir = fs::path(ZPMPI_TEST_TMP) / "run_summary";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path path = dir / "stats.json";
  std::ofstream(path) << "old";
  const RunSummary s = finished_run();
  ASSERT_TRUE(write_summary(path.string(), s).ok());
  EXPECT_EQ(read(path), summary_json(s));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);
}

TEST(WriteSummary, AnUnwritablePathIsAnErrorNamingIt) {
  const fs::path dir = fs::path(ZPMPI_TEST_TMP) / "run_summary_missing";
  fs::remove_all(dir);
  const std::string path = (dir / "stats.json").string();
  const Status s = write_summary(path, finished_run());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("--stats " + path + ": cannot create"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("No such file or directory"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().code, ExitCode::kRuntime);
}

}  // namespace
}  // namespace zpmpi::app
