// The Job's phases driven by fake ranks on threads (fake_session.hpp), no mpirun: a run
// that succeeds (and verifies), a rank that fails in its work, a stop signal and its
// --resume, a refused job, a failed collective; every rank passes the same collective
// points in the documented order. The source is a kerchunk reference set over a data file
// written here (kerchunk reads are plain preads, safe on the ranks' threads).
#include "zpmpi/app/job_phases.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fake_session.hpp"
#include "zpmpi/exec/stop_signals.hpp"

namespace zpmpi::app {
namespace {

namespace fs = std::filesystem;
using testing::FakeSession;
using testing::FakeWorld;

class JobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(ZPMPI_TEST_TMP) / "app" / (std::string("job.") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_source();
  }
  void TearDown() override { exec::set_stop_signal_for_tests(0); }

  /// int32 "v" (time 8, x 6) in 4 chunks of 2 x 6, element (t, x) = 100 t + x, raw in data.bin.
  void write_source() {
    std::ofstream data(dir_ / "data.bin", std::ios::binary);
    for (std::int32_t t = 0; t < 8; ++t)
      for (std::int32_t x = 0; x < 6; ++x) {
        const std::int32_t v = 100 * t + x;
        data.write(reinterpret_cast<const char*>(&v), sizeof v);
      }
    std::string refs = R"({"version": 1, "refs": {".zgroup": "{\"zarr_format\": 2}", ".zattrs": "{\"title\": \"t\"}",)"
                       R"("v/.zarray": "{\"zarr_format\": 2, \"shape\": [8, 6], \"chunks\": [2, 6], \"dtype\": \"<i4\",)"
                       R"( \"fill_value\": null, \"order\": \"C\", \"filters\": null, \"compressor\": null}",)"
                       R"("v/.zattrs": "{\"_ARRAY_DIMENSIONS\": [\"time\", \"x\"]}")";
    for (int c = 0; c < 4; ++c) refs += ", \"v/" + std::to_string(c) + ".0\": [\"data.bin\", " + std::to_string(c * 48) + ", 48]";
    std::ofstream(dir_ / "refs.json") << refs << "}}";
  }

  /// A job writing the source to out.zarr, `extra` added to its keys.
  CliOptions job(const std::string& extra = "") {
    std::ofstream(dir_ / "job.json") << R"({"source": ")" << (dir_ / "refs.json").string() << R"(", "store": ")"
                                     << store().string() << R"(", "log_level": 0)" << extra << "}";
    CliOptions cli;
    cli.config_path = (dir_ / "job.json").string();
    cli.quiet = true;
    return cli;
  }
  fs::path store() const { return dir_ / "out.zarr"; }
  /// Copies of the store this run left beside it (kept for --resume).
  int copies() const {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) n += e.path().filename().string().find(".zpmpi-new-") != std::string::npos;
    return n;
  }

  static std::vector<int> run(FakeWorld& world, const CliOptions& cli, JobHooks hooks = {}) {
    return world.run([&](FakeSession& session) { return Job(session, cli, hooks).run(); });
  }

  fs::path dir_;
};

TEST_F(JobTest, TwoRanksWriteTheStoreThenVerifyFindsItExact) {
  FakeWorld world(2);
  EXPECT_EQ(run(world, job()), (std::vector<int>{0, 0}));
  EXPECT_TRUE(fs::exists(store() / ".zmetadata"));
  EXPECT_TRUE(fs::exists(store() / ".zpmpi" / "stats.json"));
  for (int c = 0; c < 4; ++c) EXPECT_TRUE(fs::exists(store() / "v" / (std::to_string(c) + ".0"))) << c;
  EXPECT_EQ(copies(), 0);

  CliOptions verify = job();
  verify.verify = true;
  EXPECT_EQ(run(world, verify), (std::vector<int>{0, 0}));
  fs::remove(store() / "v" / "3.0");
  // "missing v/3.0" (found by one rank): every rank exits with rank 0's verdict.
  EXPECT_EQ(run(world, verify), (std::vector<int>{1, 1}));
  const std::vector<std::string> verify_points{"agree", "gather text", "agree"};  // [V1], [V2], [V3]
  for (int r = 0; r < 2; ++r) {
    const std::vector<std::string>& calls = world.session(r).calls;
    ASSERT_GE(calls.size(), verify_points.size());
    EXPECT_EQ(std::vector<std::string>(calls.end() - 3, calls.end()), verify_points) << "rank " << r;
  }
}

TEST_F(JobTest, ThePhasesRunOneByOneAndOnlyTheCommitPutsTheStoreInPlace) {
  FakeWorld world(1);
  const CliOptions cli = job();
  world.run([&](FakeSession& session) {
    Job job(session, cli);
    job.prepare();
    EXPECT_EQ(job.agree_on_plan(), std::nullopt);
    job.work();
    job.agree_on_outcome();
    EXPECT_TRUE(job.status().ok());
    EXPECT_FALSE(fs::exists(store()));  // every chunk is written, in the copy beside it
    EXPECT_EQ(copies(), 1);
    EXPECT_EQ(job.commit(), 0);
    EXPECT_TRUE(fs::exists(store() / ".zmetadata"));
    EXPECT_EQ(copies(), 0);
    return 0;
  });
}

TEST_F(JobTest, EveryRankPassesTheCollectivePointsInTheDocumentedOrder) {
  FakeWorld world(3);
  ASSERT_EQ(run(world, job()), (std::vector<int>{0, 0, 0}));
  const std::vector<std::string> points{
      "broadcast result",                                     // [1] plan
      "broadcast",                                            // [2] present
      "open channel",                                         // [3] channel ([4] is the channel's)
      "agree",                                                // [5] work
      "reduce",         "gather u64", "gather double",        // [6] stats
      "agree",                                                // [7] commit
      "agree"};                                               // [8] report
  for (int r = 0; r < 3; ++r) EXPECT_EQ(world.session(r).calls, points) << "rank " << r;
}

TEST_F(JobTest, ARankThatFailsInItsWorkFailsEveryRankAndNothingIsCommitted) {
  FakeWorld world(2);
  JobHooks hooks;
  hooks.fail_work = [](int rank) -> Status { return rank == 1 ? runtime_error("disk on fire") : Status{}; };
  const CliOptions cli = job();
  std::vector<Status> agreed(2);
  const auto codes = world.run([&](FakeSession& session) {
    Job job(session, cli, hooks);
    const int code = job.run();
    agreed[session.rank()] = job.status();
    return code;
  });
  EXPECT_EQ(codes, (std::vector<int>{1, 1}));
  for (const Status& s : agreed) {
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "rank 1: disk on fire");  // every rank learns rank 1's error
  }
  EXPECT_FALSE(fs::exists(store()));  // a new store: the copy is removed, nothing in place
  EXPECT_EQ(copies(), 0);
  // The failing rank passes the same points as the others.
  EXPECT_EQ(world.session(0).calls, world.session(1).calls);
}

TEST_F(JobTest, AStopSignalInterruptsEveryRankKeepsTheCopyAndResumeFinishesIt) {
  FakeWorld world(2);
  exec::set_stop_signal_for_tests(SIGTERM);
  EXPECT_EQ(run(world, job()), (std::vector<int>{75, 75}));
  EXPECT_FALSE(fs::exists(store()));
  EXPECT_EQ(copies(), 1);  // kept for --resume, with this run's stats.json

  exec::set_stop_signal_for_tests(0);
  const std::string config = job().config_path;
  const char* argv[] = {"zpmpi", "--config", config.c_str(), "--resume", "--quiet"};
  auto resume = parse_cli(5, argv);
  ASSERT_TRUE(resume.ok()) << resume.error().message;
  EXPECT_EQ(run(world, *resume), (std::vector<int>{0, 0}));
  EXPECT_TRUE(fs::exists(store() / ".zmetadata"));
  EXPECT_EQ(copies(), 0);
}

TEST_F(JobTest, ARefusedJobEndsEveryRankAtThePlanWithItsCode) {
  FakeWorld world(2);
  EXPECT_EQ(run(world, job(R"(, "chunks": {"depth": 2})")), (std::vector<int>{2, 2}));
  for (int r = 0; r < 2; ++r) EXPECT_EQ(world.session(r).calls, std::vector<std::string>{"broadcast result"});
  EXPECT_FALSE(fs::exists(store()));
}

TEST_F(JobTest, APlanOnlyWritesNothing) {
  FakeWorld world(2);
  CliOptions plan = job();
  plan.plan_only = true;
  plan.plan_json = true;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run(world, plan), (std::vector<int>{0, 0}));
  EXPECT_NE(::testing::internal::GetCapturedStdout().find("\"regions\""), std::string::npos);
  EXPECT_FALSE(fs::exists(store()));
}

TEST_F(JobTest, AZarrV3JobWritesOneFilePerShardAndTheConsolidatedRootLastThenVerifyChecksIt) {
  FakeWorld world(2);
  CliOptions v3 = job(R"(, "zarr_format": 3, "shards": {"time": 4})");
  CliOptions plan = v3;
  plan.plan_only = true;
  plan.plan_json = true;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run(world, plan), (std::vector<int>{0, 0}));
  EXPECT_NE(::testing::internal::GetCapturedStdout().find(R"("shards":[4,6],"shard_files":2)"), std::string::npos);

  EXPECT_EQ(run(world, v3), (std::vector<int>{0, 0}));
  std::ifstream in(store() / "zarr.json");
  const std::string root((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(root.find(R"("consolidated_metadata")"), std::string::npos) << root;
  EXPECT_NE(root.find(R"("sharding_indexed")"), std::string::npos) << root;
  EXPECT_TRUE(fs::exists(store() / "v" / "zarr.json"));
  for (const char* shard : {"c/0/0", "c/1/0"}) EXPECT_TRUE(fs::is_regular_file(store() / "v" / shard)) << shard;
  EXPECT_FALSE(fs::exists(store() / "v" / "c" / "2"));  // 4 chunks, 2 shard files
  EXPECT_FALSE(fs::exists(store() / ".zmetadata"));
  EXPECT_EQ(copies(), 0);

  CliOptions verify = v3;
  verify.verify = true;
  EXPECT_EQ(run(world, verify), (std::vector<int>{0, 0}));
  {
    std::fstream f(store() / "v" / "c" / "1" / "0", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('\x55');  // the index's crc32c
  }
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run(world, verify), (std::vector<int>{1, 1}));
  EXPECT_NE(::testing::internal::GetCapturedStdout().find("zpmpi: verify: corrupt v/c/1/0 (" + (store() / "v" / "c" / "1" / "0").string() +
                                                          ": shard index crc32c is"),
            std::string::npos);
}

TEST_F(JobTest, AZarrV3JobWithTheV2OnlyLz4IsRefusedBeforeAnythingIsWritten) {
  FakeWorld world(2);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run(world, job(R"(, "zarr_format": 3, "compressor": {"id": "lz4"})")), (std::vector<int>{2, 2}));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(R"({"id": "blosc", "cname": "lz4"})"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(store()));
  EXPECT_EQ(copies(), 0);
}

// --resume of a v3 copy: a complete shard is kept as it is, one whose index does not check
// is removed and written again, and a killed run's temporary is removed.
TEST_F(JobTest, ResumingAZarrV3CopyKeepsItsCompleteShardsAndRewritesTheOthers) {
  FakeWorld world(2);
  const std::string v3 = R"(, "zarr_format": 3, "shards": {"time": 4})";
  EXPECT_EQ(run(world, job(v3)), (std::vector<int>{0, 0}));
  const fs::path full = dir_ / "full.zarr";
  fs::rename(store(), full);
  exec::set_stop_signal_for_tests(SIGTERM);
  EXPECT_EQ(run(world, job(v3)), (std::vector<int>{75, 75}));
  exec::set_stop_signal_for_tests(0);
  ASSERT_EQ(copies(), 1);
  fs::path copy;
  for (const auto& e : fs::directory_iterator(dir_))
    if (e.path().filename().string().find(".zpmpi-new-") != std::string::npos) copy = e.path();
  for (const char* level : {"0", "1"}) fs::create_directories(copy / "v" / "c" / level);
  fs::copy_file(full / "v" / "c" / "0" / "0", copy / "v" / "c" / "0" / "0");  // complete
  fs::copy_file(full / "v" / "c" / "1" / "0", copy / "v" / "c" / "1" / "0");
  fs::resize_file(copy / "v" / "c" / "1" / "0", fs::file_size(full / "v" / "c" / "1" / "0") - 1);  // index cut
  std::ofstream(copy / "v" / "c" / "1" / ".0.tmp1") << "half a shard";
  const auto kept_inode = fs::hard_link_count(copy / "v" / "c" / "0" / "0");
  fs::create_hard_link(copy / "v" / "c" / "0" / "0", dir_ / "kept_shard");  // to see it is the same file

  const std::string config = job(v3).config_path;
  const char* argv[] = {"zpmpi", "--config", config.c_str(), "--resume", "--quiet"};
  auto cli = parse_cli(5, argv);
  ASSERT_TRUE(cli.ok()) << cli.error().message;
  EXPECT_EQ(run(world, *cli), (std::vector<int>{0, 0}));
  EXPECT_EQ(copies(), 0);
  EXPECT_EQ(fs::hard_link_count(store() / "v" / "c" / "0" / "0"), kept_inode + 1);  // kept, not rewritten
  EXPECT_EQ(fs::file_size(store() / "v" / "c" / "1" / "0"), fs::file_size(full / "v" / "c" / "1" / "0"));
  EXPECT_FALSE(fs::exists(store() / "v" / "c" / "1" / ".0.tmp1"));
  CliOptions verify = job(v3);
  verify.verify = true;
  EXPECT_EQ(run(world, verify), (std::vector<int>{0, 0}));
}

TEST_F(JobTest, AFailedCollectiveEndsTheRankWithItsCode) {
  FakeWorld world(1);
  world.fail("agree", 0);  // [5]: the transport fails; no rank can be trusted to agree
  EXPECT_EQ(run(world, job()), (std::vector<int>{1}));
  EXPECT_EQ(world.session(0).calls.back(), "agree");
  EXPECT_FALSE(fs::exists(store() / ".zmetadata"));
}

}  // namespace
}  // namespace zpmpi::app
