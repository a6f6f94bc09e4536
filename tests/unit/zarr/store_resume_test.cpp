// Resume records and the one listing per array directory (store_resume.hpp), and what
// StoreTransaction::begin does with them under --resume.
#include "zpmpi/zarr/store_resume.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "store_test_util.hpp"
#include "zpmpi/zarr/file_write.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_transaction.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;
namespace json = boost::json;

TEST(ListChunks, MarksChunksOfTheGridAndRemovesStaleTemporaries) {
  const fs::path dir = fresh_dir("list_chunks") / "a";
  for (const char* name : {"0.0", "1.2", "2.0", ".1.1.tmp3", ".zarray.tmp", "9.9", "0.x", "0", "0.0.0", ".zarray"})
    spit(dir / name, "x");
  auto listing = list_chunks(dir.parent_path(), "a", {2, 3});  // 2 x 3 chunks: "2.0" and "9.9" lie outside
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->count, 2u);
  EXPECT_EQ(listing->removed_temps, 2u);
  EXPECT_EQ(listing->present, (std::vector<bool>{true, false, false, false, false, true}));
  EXPECT_FALSE(fs::exists(dir / ".1.1.tmp3"));
  EXPECT_FALSE(fs::exists(dir / ".zarray.tmp"));
  EXPECT_TRUE(fs::exists(dir / ".zarray"));  // documents are not judged
}

TEST(ListChunks, ARankZeroArrayHasTheOneKeyZeroAndAMissingDirectoryIsEmpty) {
  const fs::path dir = fresh_dir("list_chunks_scalar") / "s";
  auto empty = list_chunks(dir.parent_path(), "s", {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->present, std::vector<bool>{false});
  spit(dir / "0", "x");
  auto one = list_chunks(dir.parent_path(), "s", {});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->present, std::vector<bool>{true});
}

TEST(ResumeRecord, DifferencesNameEachKey) {
  const json::object was{{"config.chunks", json::object{{"time", 1}}}, {"output", "abc"}, {"config.old", 1}};
  const json::object now{{"config.chunks", json::object{{"time", 2}}}, {"output", "abc"}, {"config.new", 1}};
  const auto diff = record_differences(was, now);
  ASSERT_EQ(diff.size(), 3u);
  EXPECT_EQ(diff[0], R"(config.chunks (was {"time":1}, now {"time":2}))");
  EXPECT_EQ(diff[1], "config.new (not recorded by the interrupted run)");
  EXPECT_EQ(diff[2], "config.old (recorded by the interrupted run only)");
  EXPECT_TRUE(record_differences(was, was).empty());
  EXPECT_EQ(digest("zpmpi"), digest("zpmpi"));
  EXPECT_NE(digest("zpmpi"), digest("zpmpj"));
  EXPECT_EQ(digest("").size(), 16u);
}

struct Resume {
  fs::path cwd;
  std::vector<std::string>* notes = nullptr;  ///< what begin() tells the user, if wanted
  Result<StoreTransaction> operator()(const json::object& record, bool resume) const {
    StoreRequest request{"s.zarr", false, {"t2m"}, {}, cwd, {}};
    if (notes) request.notify = [n = notes](const std::string& m) { n->push_back(m); };
    request.resume_record = record;
    request.resume = resume;
    return StoreTransaction::begin(std::move(request));
  }
};

/// A store finished by a run of `record`, as commit() leaves it.
void finish_store(const Resume& begin, const json::object& record) {
  auto first = begin(record, false);
  ASSERT_TRUE(first.ok()) << first.error().message;
  spit(first->build_path() / ".zmetadata", "{}");
  ASSERT_TRUE(first->commit().ok());
}

TEST(StoreTransaction, ResumeAdoptsTheKeptCopyOfTheSameJobWithItsChunks) {
  const Resume begin{fresh_dir("tx_resume")};
  const json::object record{{"config.chunks", 4}, {"output", "d1"}};
  fs::path kept;
  {
    auto first = begin(record, false);
    ASSERT_TRUE(first.ok()) << first.error().message;
    const std::string bytes = "chunk";
    ASSERT_TRUE(write_chunk(first->build_path(), "t2m", "0.1", std::as_bytes(std::span(bytes)), 0).ok());
    spit(first->build_path() / "t2m" / ".0.2.tmp1", "half");  // a write the interruption cut
    kept = first->build_path();
    first->keep();  // interrupted: the copy stays, the lock goes
  }
  ASSERT_TRUE(fs::exists(kept / "t2m" / "0.1"));
  EXPECT_FALSE(fs::exists(begin.cwd / ".s.zarr.zpmpi-lock"));
  auto second = begin(record, true);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->resumed());
  EXPECT_EQ(slurp(second->build_path() / "t2m" / "0.1"), "chunk");
  auto listing = list_chunks(second->build_path(), "t2m", {1, 3});
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->present, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(listing->removed_temps, 1u);
  spit(second->build_path() / ".zmetadata", "{}");
  ASSERT_TRUE(second->commit().ok());
  // The finished store keeps of the resume machinery only its record (no owner, no copy).
  EXPECT_EQ(names_in(begin.cwd / "s.zarr"), (std::vector<std::string>{".zgroup", ".zmetadata", ".zpmpi", "t2m"}));
  EXPECT_EQ(names_in(begin.cwd / "s.zarr" / ".zpmpi"), std::vector<std::string>{"record.json"});
  auto stored = read_store_record(begin.cwd / "s.zarr");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, std::optional<json::object>(record));
  EXPECT_EQ(names_in(begin.cwd), (std::vector<std::string>{"s.zarr"}));
}

TEST(StoreTransaction, ResumeOfAnotherJobIsRefusedNamingWhatDiffers) {
  const Resume begin{fresh_dir("tx_resume_other")};
  {
    auto first = begin({{"config.chunks", 4}, {"output", "d1"}}, false);
    ASSERT_TRUE(first.ok());
    first->keep();
  }
  auto second = begin({{"config.chunks", 8}, {"output", "d1"}}, true);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("the job differs from the interrupted run's"), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find("config.chunks (was 4, now 8)"), std::string::npos) << second.error().message;
  // Without --resume the same job starts again and removes the old copy.
  auto fresh = begin({{"config.chunks", 8}, {"output", "d1"}}, false);
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  EXPECT_FALSE(fresh->resumed());
}

TEST(StoreTransaction, ResumeWithNothingToResumeStartsAfresh) {
  const Resume begin{fresh_dir("tx_resume_none")};
  auto tx = begin({{"output", "d1"}}, true);
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  EXPECT_FALSE(tx->resumed());
}

TEST(StoreTransaction, ResumeAfterTheRunFinishedFindsTheStoreComplete) {
  // A kill after the swap: the store is complete, no copy is left. --resume has nothing
  // to do (it used to be refused: "exists; pass --overwrite").
  const Resume begin{fresh_dir("tx_resume_done")};
  {
    auto first = begin({{"output", "d1"}}, false);
    ASSERT_TRUE(first.ok());
    spit(first->build_path() / ".zmetadata", "{}");
    ASSERT_TRUE(first->commit().ok());
  }
  auto again = begin({{"output", "d1"}}, true);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->complete());
  EXPECT_FALSE(again->resumed());
  EXPECT_EQ(names_in(begin.cwd), (std::vector<std::string>{".s.zarr.zpmpi-lock", "s.zarr"}));  // no copy made
  ASSERT_TRUE(again->abandon().ok());
  EXPECT_EQ(names_in(begin.cwd), std::vector<std::string>{"s.zarr"});
  EXPECT_TRUE(fs::exists(begin.cwd / "s.zarr" / ".zmetadata"));
  // Killed between the swap and the settling of its marker: the record is still resume.json.
  fs::rename(begin.cwd / "s.zarr" / ".zpmpi" / "record.json", begin.cwd / "s.zarr" / ".zpmpi" / "resume.json");
  auto settled_late = begin({{"output", "d1"}}, true);
  ASSERT_TRUE(settled_late.ok()) << settled_late.error().message;
  EXPECT_TRUE(settled_late->complete());
  ASSERT_TRUE(settled_late->abandon().ok());
  // A store without .zmetadata is not complete: without overwrite it is refused as before.
  fs::remove(begin.cwd / "s.zarr" / ".zmetadata");
  EXPECT_FALSE(begin({{"output", "d1"}}, true).ok());
}

TEST(StoreTransaction, ResumeOfACompleteStoreOfAnotherJobIsRefusedNamingTheKey) {
  // It used to say "nothing to resume" (exit 0), and a requeue script took the job as done.
  const Resume begin{fresh_dir("tx_resume_done_other")};
  finish_store(begin, {{"config.chunks", 4}, {"source.file a.nc", 1}, {"output", "d1"}});
  auto other = begin({{"config.chunks", 4}, {"source.file b.nc", 1}, {"output", "d2"}}, true);
  ASSERT_FALSE(other.ok());
  const std::string& m = other.error().message;
  EXPECT_NE(m.find("it is complete, but was written by another job"), std::string::npos) << m;
  EXPECT_NE(m.find("output (was \"d1\", now \"d2\")"), std::string::npos) << m;
  EXPECT_NE(m.find("source.file b.nc (not recorded by the store)"), std::string::npos) << m;
  EXPECT_NE(m.find("source.file a.nc (recorded by the store only)"), std::string::npos) << m;
  EXPECT_EQ(m.find("config.chunks"), std::string::npos) << m;  // only what differs
  EXPECT_EQ(names_in(begin.cwd), std::vector<std::string>{"s.zarr"});  // the lock is released
  // A store without a record (an older zpmpi, another tool) cannot be vouched for.
  fs::remove_all(begin.cwd / "s.zarr" / ".zpmpi");
  auto unknown = begin({{"output", "d1"}}, true);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("holds no record of the job that wrote it"), std::string::npos)
      << unknown.error().message;
}

TEST(StoreTransaction, ResumeOfACompleteStoreRemovesTheHalfRemovedOldStoreOfAKilledSwap) {
  // A run killed while removing the old store (after the exchange) leaves it marked at the
  // copy's name, without a resume record. --resume used to pass it by in silence.
  std::vector<std::string> notes;
  const Resume begin{fresh_dir("tx_resume_done_leftover"), &notes};
  const json::object record{{"output", "d1"}};
  finish_store(begin, record);
  const fs::path old = begin.cwd / ".s.zarr.zpmpi-new-node7-4242";
  make_store(old);
  fs::remove(old / ".zmetadata");  // the removal got this far
  fs::create_directory(old / ".zpmpi");
  const fs::path unmarked = begin.cwd / ".s.zarr.zpmpi-old-node7-4243";
  make_store(unmarked);  // no marker: maybe the only copy of an old store; never removed
  const fs::path target = begin.cwd / "elsewhere";
  make_store(target);
  fs::create_directory_symlink(target, begin.cwd / ".s.zarr.zpmpi-new-node7-4244");  // never followed
  auto again = begin(record, true);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->complete());
  ASSERT_TRUE(again->abandon().ok());
  EXPECT_FALSE(fs::exists(old));
  EXPECT_TRUE(fs::exists(unmarked / "t2m" / "0.0.0"));
  EXPECT_TRUE(fs::exists(target / "t2m" / "0.0.0"));
  ASSERT_EQ(notes.size(), 2u);
  std::sort(notes.begin(), notes.end());  // "left ..." before "removed ..."
  EXPECT_EQ(notes[0].find("left " + unmarked.string() + " in place"), 0u) << notes[0];
  EXPECT_EQ(notes[1].find("removed " + old.string()), 0u) << notes[1];
}

TEST(FileWrite, AWriteThatFillsTheDiskLeavesNeitherTheFileNorItsTemporary) {
  const fs::path dir = fresh_dir("enospc");
  const std::string bytes(1000, 'x');
  WriteFault fault(2);
  const auto bytes_of = std::as_bytes(std::span(bytes));
  EXPECT_FALSE(write_file_atomically(dir / "a", dir / ".a.tmp", bytes_of, false, &fault));
  const auto failed = write_file_atomically(dir / "b", dir / ".b.tmp", bytes_of, false, &fault);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->step, FileWriteFailure::Step::kWrite);
  EXPECT_EQ(failed->error, ENOSPC);
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"a"});  // no partial "b", no ".b.tmp"
  EXPECT_FALSE(write_file_atomically(dir / "c", dir / ".c.tmp", bytes_of, false, &fault));  // once only
  EXPECT_FALSE(write_file_atomically(dir / "d", dir / ".d.tmp", bytes_of));  // a write without the hook never fails
}

}  // namespace
}  // namespace zpmpi::zarr
