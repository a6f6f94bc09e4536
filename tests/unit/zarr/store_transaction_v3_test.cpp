// StoreTransaction with Zarr v3 stores: the copy's skeleton, replacing a v3 store, and
// --resume finding one complete by its root zarr.json.
#include "zpmpi/zarr/store_transaction.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "store_test_util.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_resume.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;
namespace json = boost::json;

const char* kRootDoc =
    R"({"zarr_format": 3, "node_type": "group", "consolidated_metadata": {"kind": "inline", "metadata": {}}})";

struct Begin {
  fs::path cwd;
  Result<StoreTransaction> operator()(bool overwrite, bool resume, std::vector<std::string> arrays = {"t2m"}) const {
    StoreRequest request{"s.zarr", overwrite, std::move(arrays), {}, cwd, {}};
    request.resume_record = json::object{{"config.zarr_format", 3}};
    request.resume = resume;
    request.format = ZarrFormat::kV3;
    return StoreTransaction::begin(std::move(request));
  }
};

/// A v3 store finished by a run of the job, as commit() leaves it.
void finish_v3_store(const Begin& begin, const std::string& chunk) {
  auto tx = begin(true, false);
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  EXPECT_EQ(names_in(tx->build_path()), (std::vector<std::string>{".zpmpi", "t2m"}));  // no root zarr.json yet
  ASSERT_TRUE(write_chunk(tx->build_path(), "t2m", "c/0/1", std::as_bytes(std::span(chunk)), 0).ok());
  spit(tx->build_path() / "t2m" / "zarr.json", R"({"zarr_format": 3, "node_type": "array"})");
  spit(tx->build_path() / "zarr.json", kRootDoc);
  ASSERT_TRUE(tx->commit().ok());
}

TEST(StoreTransactionV3, ACopyWithoutRootDocumentThenTheSwapAndAReplacement) {
  const Begin begin{fresh_dir("tx_v3")};
  finish_v3_store(begin, "first");
  EXPECT_EQ(slurp(begin.cwd / "s.zarr" / "t2m" / "c" / "0" / "1"), "first");
  // The finished v3 store is a Zarr store that may be replaced with --overwrite.
  EXPECT_TRUE(is_zarr_store(begin.cwd / "s.zarr"));
  finish_v3_store(begin, "second");
  EXPECT_EQ(slurp(begin.cwd / "s.zarr" / "t2m" / "c" / "0" / "1"), "second");
  EXPECT_EQ(names_in(begin.cwd), std::vector<std::string>{"s.zarr"});  // the old one removed whole
}

TEST(StoreTransactionV3, NamesAreJudgedForV3) {
  const Begin begin{fresh_dir("tx_v3_names")};
  auto tx = begin(false, false, {"zarr.json"});
  ASSERT_FALSE(tx.ok());
  EXPECT_NE(tx.error().message.find("invalid array name 'zarr.json'"), std::string::npos) << tx.error().message;
  EXPECT_TRUE(names_in(begin.cwd).empty());
}

TEST(StoreTransactionV3, ResumeFindsAV3StoreCompleteOnlyByItsConsolidatedRoot) {
  const Begin begin{fresh_dir("tx_v3_resume")};
  finish_v3_store(begin, "c");
  auto again = begin(false, true);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->complete());
  ASSERT_TRUE(again->abandon().ok());
  // A plain group document at the root is no completion: without overwrite it is refused.
  spit(begin.cwd / "s.zarr" / "zarr.json", R"({"zarr_format": 3, "node_type": "group"})");
  auto open = begin(false, true);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("exists; pass --overwrite"), std::string::npos) << open.error().message;
}

TEST(StoreTransactionV3, ResumeAdoptsAV3CopyAndItsListingKeepsItsChunks) {
  const Begin begin{fresh_dir("tx_v3_adopt")};
  {
    auto first = begin(false, false);
    ASSERT_TRUE(first.ok()) << first.error().message;
    const std::string bytes = "chunk";
    ASSERT_TRUE(write_chunk(first->build_path(), "t2m", "c/1/0", std::as_bytes(std::span(bytes)), 0).ok());
    spit(first->build_path() / "t2m" / "c" / "1" / ".1.tmp2", "half");
    first->keep();
  }
  auto second = begin(false, true);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->resumed());
  auto listing = list_chunk_files(second->build_path(), "t2m", array_files(ZarrFormat::kV3, {2, 2}));
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->present, (std::vector<bool>{false, false, true, false}));
  EXPECT_EQ(listing->removed_temps, 1u);
}

TEST(StoreTransactionV3, ResumeRefusesACopyWithALinkInItsChunkTree) {
  const Begin begin{fresh_dir("tx_v3_adopt_link")};
  {
    auto first = begin(false, false);
    ASSERT_TRUE(first.ok()) << first.error().message;
    fs::create_directories(first->build_path() / "t2m" / "c");
    fs::create_directory(begin.cwd / "elsewhere");
    fs::create_directory_symlink(begin.cwd / "elsewhere", first->build_path() / "t2m" / "c" / "0");
    first->keep();
  }
  auto second = begin(false, true);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("t2m/c/0 where a store entry should be"), std::string::npos)
      << second.error().message;
  EXPECT_TRUE(fs::is_empty(begin.cwd / "elsewhere"));
}

}  // namespace
}  // namespace zpmpi::zarr
