// Writing a store beside the old one: what begin() refuses, what a failure leaves (the old
// store, byte for byte), what commit() leaves (the new store, nothing else).
#include "zpmpi/zarr/store_transaction.hpp"

#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "store_test_util.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_lock.hpp"
#include "zpmpi/zarr/store_replace.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

struct Begin {
  explicit Begin(fs::path dir) : cwd(std::move(dir)) {}
  fs::path cwd;
  std::vector<std::string> notes;

  Result<StoreTransaction> operator()(const std::string& store, bool overwrite,
                                      std::vector<ProtectedPath> protect = {}) {
    return StoreTransaction::begin({store, overwrite, {"t2m", "time"}, std::move(protect), cwd,
                                    [this](const std::string& m) { notes.push_back(m); }});
  }
};

std::string lock_of(const fs::path& dir, const std::string& name) { return (dir / ("." + name + ".zpmpi-lock")).string(); }

/// What a run writes into its copy before commit.
void write_some(const StoreTransaction& tx) {
  const std::string bytes = "new";
  ASSERT_TRUE(write_chunk(tx.build_path(), "t2m", "0.0.0", std::as_bytes(std::span(bytes)), 0).ok());
  spit(tx.build_path() / ".zmetadata", "{}");
}

TEST(StoreTransaction, TheRequestsSlurmJobIsInTheLockAndOwnerRecords) {
  // The caller (app) reads SLURM_JOB_ID; the store layer reads no environment.
  const fs::path base = fresh_dir("tx_slurm");
  StoreRequest request{"s.zarr", false, {"t2m"}, {}, base, {}};
  request.slurm_job_id = "4242";
  auto tx = StoreTransaction::begin(std::move(request));
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  EXPECT_EQ(parse_lock_record(slurp(lock_of(base, "s.zarr"))).slurm_job_id, "4242");
  EXPECT_EQ(parse_lock_record(slurp(tx->build_path() / ".zpmpi" / "owner")).slurm_job_id, "4242");
}

TEST(StoreTransaction, BeginHoldsTheLockUntilTheTestHooksFileExists) {
  const fs::path base = fresh_dir("tx_hold");
  const fs::path release = base / "release";
  StoreRequest request{"s.zarr", false, {"t2m"}, {}, base, {}};
  request.hold_lock_until = release.string();
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    spit(release, "");
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto tx = StoreTransaction::begin(std::move(request));
  const auto waited = std::chrono::steady_clock::now() - t0;
  releaser.join();
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(150));
}

TEST(StoreTransaction, ANewStoreAppearsOnlyAtCommit) {
  const fs::path base = fresh_dir("tx_new");
  Begin begin{base};
  auto tx = begin("cache/s.zarr", false);  // a missing parent is created
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  const ProcessIdentity me = ProcessIdentity::self();
  EXPECT_EQ(tx->path(), base / "cache" / "s.zarr");
  EXPECT_EQ(tx->build_path(), base / "cache" / (".s.zarr.zpmpi-new-" + me.host + "-" + std::to_string(me.pid)));
  EXPECT_FALSE(fs::exists(tx->path()));
  EXPECT_TRUE(fs::exists(lock_of(base / "cache", "s.zarr")));
  EXPECT_EQ(names_in(tx->build_path()), (std::vector<std::string>{".zgroup", ".zpmpi", "t2m", "time"}));
  write_some(*tx);
  ASSERT_TRUE(tx->commit().ok());
  EXPECT_EQ(names_in(base / "cache"), (std::vector<std::string>{"s.zarr"}));  // no copy, no lock
  EXPECT_EQ(names_in(base / "cache" / "s.zarr"),
            (std::vector<std::string>{".zgroup", ".zmetadata", ".zpmpi", "t2m", "time"}));
  EXPECT_EQ(names_in(base / "cache" / "s.zarr" / ".zpmpi"), std::vector<std::string>{"record.json"});  // the job's
  EXPECT_EQ(slurp(base / "cache" / "s.zarr" / "t2m" / "0.0.0"), "new");
  EXPECT_TRUE(begin.notes.empty());
}

TEST(StoreTransaction, AFailedRunLeavesTheOldStoreByteForByte) {
  const fs::path base = fresh_dir("tx_abandon");
  make_store(base / "s.zarr");
  const auto before = snapshot(base / "s.zarr");
  Begin begin{base};
  {
    auto tx = begin("s.zarr", true);
    ASSERT_TRUE(tx.ok()) << tx.error().message;
    write_some(*tx);
    EXPECT_EQ(snapshot(base / "s.zarr"), before);
    ASSERT_TRUE(tx->abandon().ok());
    EXPECT_EQ(names_in(base), (std::vector<std::string>{"s.zarr"}));
  }
  {
    auto tx = begin("s.zarr", true);
    ASSERT_TRUE(tx.ok());
    write_some(*tx);
  }  // destroyed without commit: the same as abandon
  EXPECT_EQ(names_in(base), (std::vector<std::string>{"s.zarr"}));
  EXPECT_EQ(snapshot(base / "s.zarr"), before);
}

TEST(StoreTransaction, CommitReplacesTheOldStoreWhole) {
  const fs::path base = fresh_dir("tx_replace");
  make_store(base / "s.zarr");
  spit(base / "s.zarr" / "gone" / ".zarray", "{}");
  Begin begin{base};
  auto tx = begin("s.zarr", true);
  ASSERT_TRUE(tx.ok());
  write_some(*tx);
  ASSERT_TRUE(tx->commit().ok());
  EXPECT_EQ(names_in(base), (std::vector<std::string>{"s.zarr"}));
  EXPECT_EQ(names_in(base / "s.zarr"), (std::vector<std::string>{".zgroup", ".zmetadata", ".zpmpi", "t2m", "time"}));
  EXPECT_EQ(slurp(base / "s.zarr" / "t2m" / "0.0.0"), "new");
  EXPECT_FALSE(tx->commit().ok());  // once
}

TEST(StoreTransaction, TrailingDotNamesTheStoreItselfAndReplacesIt) {
  // Issue 10.2: "s.zarr/." used to delete the store's contents and then fail.
  const fs::path base = fresh_dir("tx_dot");
  make_store(base / "s.zarr");
  Begin begin{base};
  for (const char* spec : {"s.zarr/.", "s.zarr/", "./s.zarr/./"}) {
    auto tx = begin(spec, true);
    ASSERT_TRUE(tx.ok()) << spec << ": " << tx.error().message;
    EXPECT_EQ(tx->path(), base / "s.zarr");
    EXPECT_EQ(tx->build_path().parent_path(), base);
    write_some(*tx);
    ASSERT_TRUE(tx->commit().ok());
    EXPECT_EQ(slurp(base / "s.zarr" / "t2m" / "0.0.0"), "new");
    EXPECT_EQ(names_in(base), (std::vector<std::string>{"s.zarr"}));
  }
}

TEST(StoreTransaction, TheWorkingDirectoryAndItsAncestorsAreRefused) {
  // Issue 10.2: "." from inside a store.
  const fs::path base = fresh_dir("tx_cwd");
  make_store(base / "s.zarr");
  const auto before = snapshot(base);
  Begin inside{base / "s.zarr"};
  for (const char* spec : {".", "./", "../s.zarr"}) {
    auto tx = inside(spec, true);
    ASSERT_FALSE(tx.ok()) << spec;
    EXPECT_EQ(tx.error().message, "refusing to write store " + (base / "s.zarr").string() +
                                      ": it is the working directory; run zpmpi from another directory");
  }
  Begin below{base / "s.zarr" / "t2m"};
  auto tx = below("..", true);
  ASSERT_FALSE(tx.ok());
  EXPECT_EQ(tx.error().message, "refusing to write store " + (base / "s.zarr").string() +
                                    ": it holds the working directory " + (base / "s.zarr" / "t2m").string() +
                                    "; run zpmpi from another directory");
  EXPECT_EQ(snapshot(base), before);  // no lock, no copy
}

TEST(StoreTransaction, ALinkIsRefusedNamingItsTarget) {
  // Issue 10.2: "l.zarr/" (a link to a store) used to delete the target's contents.
  const fs::path base = fresh_dir("tx_link");
  make_store(base / "real" / "s.zarr");
  fs::create_directory_symlink(base / "real" / "s.zarr", base / "l.zarr");
  fs::create_directory_symlink(base / "nowhere", base / "dangling.zarr");
  const auto before = snapshot(base);
  Begin begin{base};
  for (const char* spec : {"l.zarr/", "l.zarr", "l.zarr/."}) {
    for (bool overwrite : {true, false}) {
      auto tx = begin(spec, overwrite);
      ASSERT_FALSE(tx.ok()) << spec;
      EXPECT_EQ(tx.error().message, "refusing to write store " + (base / "l.zarr").string() +
                                        " through a symbolic link (to " + (base / "real" / "s.zarr").string() +
                                        "): zpmpi does not replace a store through a link; name the directory "
                                        "itself (\"store\": \"" + (base / "real" / "s.zarr").string() +
                                        "\") or remove the link");
    }
  }
  EXPECT_FALSE(begin("dangling.zarr", true).ok());
  EXPECT_EQ(snapshot(base), before);
}

TEST(StoreTransaction, AnExistingPathNeedsOverwrite) {
  const fs::path base = fresh_dir("tx_exists");
  make_store(base / "s.zarr");
  const auto before = snapshot(base);
  auto tx = Begin{base}("s.zarr", false);
  ASSERT_FALSE(tx.ok());
  EXPECT_EQ(tx.error().message,
            "store " + (base / "s.zarr").string() + " exists; pass --overwrite (or \"overwrite\": true) to replace it");
  EXPECT_EQ(tx.error().code, ExitCode::kRuntime);
  EXPECT_EQ(snapshot(base), before);  // the lock was released
}

TEST(StoreTransaction, WhatIsNotAZarrStoreIsNeverReplaced) {
  const fs::path base = fresh_dir("tx_not_store");
  spit(base / "data" / "precious.nc", "x");
  spit(base / "file.txt", "y");
  fs::create_directories(base / "empty");
  const auto before = snapshot(base);
  for (const char* name : {"data", "file.txt", "empty"}) {
    auto tx = Begin{base}(name, true);
    ASSERT_FALSE(tx.ok()) << name;
    EXPECT_EQ(tx.error().message, "refusing to overwrite " + (base / name).string() + ": not a zarr store");
  }
  EXPECT_EQ(snapshot(base), before);
}

TEST(StoreTransaction, AStoreHoldingTheSourceOrTheJobFileIsRefused) {
  // Issue 10.4: a directory with the source and a stray .zgroup was deleted, source included.
  const fs::path base = fresh_dir("tx_holds_source");
  spit(base / "work" / ".zgroup", "{\"zarr_format\": 2}");
  spit(base / "work" / "era5.nc", "source bytes");
  spit(base / "work" / "job.json", "{}");
  const auto before = snapshot(base);
  Begin begin{base};
  auto tx = begin("work", true, {{"the source", "work/era5.nc"}, {"the job file", base / "work" / "job.json"}});
  ASSERT_FALSE(tx.ok());
  EXPECT_EQ(tx.error().message, "refusing to overwrite " + (base / "work").string() + ": it holds the source work/era5.nc");
  auto tx2 = begin("work", true, {{"the source", base / "elsewhere.nc"}, {"the job file", "work/job.json"}});
  ASSERT_FALSE(tx2.ok());
  EXPECT_EQ(tx2.error().message,
            "refusing to overwrite " + (base / "work").string() + ": it holds the job file work/job.json");
  // Not named as source or job file: still not Zarr, so still refused, naming what was found.
  auto tx3 = begin("work", true);
  ASSERT_FALSE(tx3.ok());
  EXPECT_EQ(tx3.error().message.rfind("refusing to overwrite " + (base / "work").string() + ": it holds " +
                                         (base / "work").string() + "/",
                                     0),
            0u);
  EXPECT_NE(tx3.error().message.find(", which is not part of a Zarr store (and 1 other such entries); "
                                     "zpmpi deletes only Zarr stores"),
            std::string::npos)
      << tx3.error().message;
  EXPECT_EQ(snapshot(base), before);
}

TEST(StoreTransaction, OneRunPerStore) {
  const fs::path base = fresh_dir("tx_one_writer");
  Begin begin{base};
  auto first = begin("s.zarr", true);
  ASSERT_TRUE(first.ok());
  auto second = begin("s.zarr/", true);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("is being written by another zpmpi run (" +
                                        ProcessIdentity::self().describe()),
            std::string::npos)
      << second.error().message;
  write_some(*first);
  ASSERT_TRUE(first->commit().ok());
  auto third = begin("s.zarr", true);
  ASSERT_TRUE(third.ok()) << third.error().message;
}

TEST(StoreTransaction, MarkedLeftoversOfKilledRunsAreRemovedUnmarkedOnesKept) {
  const fs::path base = fresh_dir("tx_leftovers");
  make_store(base / "s.zarr");
  const fs::path killed = base / ".s.zarr.zpmpi-new-node9-77";
  spit(killed / ".zpmpi" / "owner", "zpmpi-lock 1\n");
  spit(killed / ".zgroup", "{}");
  spit(killed / "t2m" / "0.0.0", "partial");
  spit(killed / "t2m" / ".0.0.1.tmp0", "half");
  const fs::path unmarked = base / ".s.zarr.zpmpi-old-node9-78";
  make_store(unmarked);
  Begin begin{base};
  auto tx = begin("s.zarr", true);
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  EXPECT_FALSE(fs::exists(killed));
  EXPECT_TRUE(fs::exists(unmarked / "t2m" / "0.0.0"));
  ASSERT_EQ(begin.notes.size(), 2u);
  std::sort(begin.notes.begin(), begin.notes.end());
  EXPECT_EQ(begin.notes[0], "left " + unmarked.string() + " in place: it is named like a zpmpi copy of " +
                                (base / "s.zarr").string() + " but has no .zpmpi marker; if it is the old store "
                                "moved aside by a run killed while swapping, `mv " + shell_quote(unmarked.string()) + " " +
                                shell_quote((base / "s.zarr").string()) + "` restores it, otherwise remove it");
  EXPECT_EQ(begin.notes[1], "removed " + killed.string() + ", the unfinished copy of a zpmpi run that did not end");
}

TEST(StoreTransaction, AnOldStoreAKilledSwapLeftAsideIsPutBackNotRemoved) {
  // Where rename cannot exchange (Lustre, NFS) the old store goes aside first; a run killed
  // before the second rename leaves no s.zarr, the old store aside - marked, as every store
  // zpmpi wrote keeps its record - and the complete copy. Was: both removed as leftovers.
  const fs::path base = fresh_dir("tx_aside");
  Begin begin{base};
  auto first = begin("s.zarr", false);
  ASSERT_TRUE(first.ok()) << first.error().message;
  write_some(*first);
  ASSERT_TRUE(first->commit().ok());
  ASSERT_TRUE(fs::exists(base / "s.zarr" / ".zpmpi" / "record.json"));
  const fs::path aside = base / ".s.zarr.zpmpi-old-node9-78";
  fs::rename(base / "s.zarr", aside);
  const fs::path copy = base / ".s.zarr.zpmpi-new-node9-78";
  spit(copy / ".zpmpi" / "owner", "zpmpi-lock 1\n");
  spit(copy / ".zgroup", "{}");
  auto second = begin("s.zarr", false);  // the old store is back: not replaced without overwrite
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("exists; pass --overwrite"), std::string::npos) << second.error().message;
  EXPECT_EQ(slurp(base / "s.zarr" / "t2m" / "0.0.0"), "new");
  ASSERT_FALSE(begin.notes.empty());
  EXPECT_EQ(begin.notes[0], "restored " + (base / "s.zarr").string() + " from " + aside.string() +
                                ", where a run killed while swapping had moved it");
  // Two stores aside and none in place: which one is the user's to say.
  fs::rename(base / "s.zarr", aside);
  make_store(base / ".s.zarr.zpmpi-old-node9-79");
  auto third = begin("s.zarr", true);
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.error().message.find("moved 2 old stores aside"), std::string::npos) << third.error().message;
  EXPECT_TRUE(fs::exists(aside / "t2m" / "0.0.0"));
  EXPECT_TRUE(fs::exists(base / ".s.zarr.zpmpi-old-node9-79"));
}

TEST(StoreTransaction, AStoreThatAppearsDuringTheRunIsNotReplaced) {
  const fs::path base = fresh_dir("tx_appeared");
  auto tx = Begin{base}("s.zarr", true);
  ASSERT_TRUE(tx.ok());
  spit(base / "s.zarr" / "mine.txt", "user");
  auto st = tx->commit();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "store " + (base / "s.zarr").string() +
                                    " was created by something else while this run was writing it; not replacing it");
  ASSERT_TRUE(tx->abandon().ok());
  EXPECT_EQ(snapshot(base), (std::map<std::string, std::string>{{"s.zarr", "<dir>"}, {"s.zarr/mine.txt", "user"}}));
}

TEST(StoreTransaction, InvalidArrayNamesAreRefusedBeforeAnythingIsWritten) {
  const fs::path base = fresh_dir("tx_names");
  auto tx = StoreTransaction::begin({"s.zarr", false, {"ok", ".."}, {}, base, {}});
  ASSERT_FALSE(tx.ok());
  EXPECT_EQ(tx.error().message, "cannot create store " + (base / "s.zarr").string() + ": invalid array name '..'");
  EXPECT_TRUE(names_in(base).empty());
}

}  // namespace
}  // namespace zpmpi::zarr
