// Issue 25, item 8: nothing is written through a symbolic link inside a store. A killed
// run's copy is adopted by --resume as it is, so a link planted in it (an array directory,
// the marker's owner file, a chunk) must neither receive the run's writes nor be kept.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "store_test_util.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_resume.hpp"
#include "zpmpi/zarr/store_transaction.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

Status put(const fs::path& store, const std::string& array, const std::string& key, const std::string& text) {
  return write_chunk(store, array, key, std::as_bytes(std::span(text)), 0);
}

TEST(StoreLinks, AnArrayDirectoryThatIsALinkIsRefusedNamingIt) {
  const fs::path dir = fresh_dir("links_array");
  ASSERT_TRUE(create_store(dir / "s.zarr", {}).ok());
  fs::create_directory(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", dir / "s.zarr" / "t2m");
  const Status st = put(dir / "s.zarr", "t2m", "0.0", "chunk");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, (dir / "s.zarr" / "t2m").string() +
                                    " is a symbolic link where a store entry should be; zpmpi writes nothing in a "
                                    "store through a link: remove the link");
  EXPECT_TRUE(fs::is_empty(dir / "elsewhere"));
  // The same for metadata, and for the skeleton of a copy that has the link already.
  const std::string doc = "{}";
  EXPECT_FALSE(write_store_file(dir / "s.zarr", "t2m/.zarray", std::as_bytes(std::span(doc)), ".zarray.tmp").ok());
  const Status skeleton = create_store(dir / "s.zarr", {"t2m"});
  ASSERT_FALSE(skeleton.ok());
  EXPECT_NE(skeleton.error().message.find("t2m is a symbolic link"), std::string::npos) << skeleton.error().message;
  EXPECT_TRUE(fs::is_empty(dir / "elsewhere"));
}

TEST(StoreLinks, TheStoreItselfAsALinkIsNotWrittenThrough) {
  const fs::path dir = fresh_dir("links_root");
  ASSERT_TRUE(create_store(dir / "real.zarr", {"t2m"}).ok());
  fs::create_directory_symlink(dir / "real.zarr", dir / "s.zarr");
  const Status st = put(dir / "s.zarr", "t2m", "0.0", "chunk");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("s.zarr is a symbolic link"), std::string::npos) << st.error().message;
  EXPECT_FALSE(fs::exists(dir / "real.zarr" / "t2m" / "0.0"));
}

TEST(StoreLinks, ALinkAtTheFileNameIsReplacedAndOneAtTheTemporaryIsRefused) {
  const fs::path dir = fresh_dir("links_file");
  ASSERT_TRUE(create_store(dir / "s.zarr", {"t2m"}).ok());
  spit(dir / "outside", "precious");
  fs::create_symlink(dir / "outside", dir / "s.zarr" / "t2m" / "0.0");
  ASSERT_TRUE(put(dir / "s.zarr", "t2m", "0.0", "chunk").ok());
  EXPECT_FALSE(fs::is_symlink(dir / "s.zarr" / "t2m" / "0.0"));
  EXPECT_EQ(slurp(dir / "s.zarr" / "t2m" / "0.0"), "chunk");
  EXPECT_EQ(slurp(dir / "outside"), "precious");
  // A link planted at the temporary name: O_NOFOLLOW refuses it, the target is untouched.
  fs::create_symlink(dir / "outside", dir / "s.zarr" / "t2m" / ".0.1.tmp0");
  const Status st = put(dir / "s.zarr", "t2m", "0.1", "chunk");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(".0.1.tmp0 is a symbolic link"), std::string::npos) << st.error().message;
  EXPECT_EQ(slurp(dir / "outside"), "precious");
}

struct Resume {
  fs::path cwd;
  Result<StoreTransaction> operator()(bool resume) const {
    StoreRequest request{"s.zarr", false, {"t2m"}, {}, cwd, {}};
    request.resume_record = boost::json::object{{"output", "d1"}};
    request.resume = resume;
    return StoreTransaction::begin(std::move(request));
  }
};

/// A run interrupted after one chunk: its copy is kept for --resume.
fs::path kept_copy(const Resume& begin) {
  auto first = begin(false);
  EXPECT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(put(first->build_path(), "t2m", "0.0", "chunk").ok());
  first->keep();
  return first->build_path();
}

TEST(StoreLinks, ResumeReplacesAnOwnerLinkInsteadOfWritingThroughIt) {
  const Resume begin{fresh_dir("links_owner")};
  const fs::path copy = kept_copy(begin);
  spit(begin.cwd / "outside", "precious");
  fs::remove(copy / kMarkerName / "owner");
  fs::create_symlink(begin.cwd / "outside", copy / kMarkerName / "owner");
  auto again = begin(true);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->resumed());
  EXPECT_EQ(slurp(begin.cwd / "outside"), "precious");
  EXPECT_FALSE(fs::is_symlink(again->build_path() / kMarkerName / "owner"));
  EXPECT_NE(slurp(again->build_path() / kMarkerName / "owner").find("zpmpi-lock 1"), std::string::npos);
}

TEST(StoreLinks, ResumeOfACopyWithALinkedArrayDirectoryIsRefusedNamingIt) {
  const Resume begin{fresh_dir("links_resume")};
  const fs::path copy = kept_copy(begin);
  fs::create_directory(begin.cwd / "elsewhere");
  spit(begin.cwd / "elsewhere" / "0.0", "foreign");
  fs::remove_all(copy / "t2m");
  fs::create_directory_symlink(begin.cwd / "elsewhere", copy / "t2m");
  auto again = begin(true);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("the interrupted run's copy holds a symbolic link " + (copy / "t2m").string() +
                                       " where a store entry should be"),
            std::string::npos)
      << again.error().message;
  EXPECT_EQ(names_in(begin.cwd / "elsewhere"), std::vector<std::string>{"0.0"});
  EXPECT_EQ(slurp(begin.cwd / "elsewhere" / "0.0"), "foreign");
}

// Reads as well as writes: a resume record reached through a link (the record, or the
// marker directory holding it) could make any copy look like this job's; it is never read,
// and --resume says which link to remove.
TEST(StoreLinks, AResumeRecordReachedThroughALinkIsNeverTrusted) {
  const Resume begin{fresh_dir("links_record")};
  const fs::path copy = kept_copy(begin);
  const fs::path record = copy / kMarkerName / kResumeRecordName;
  fs::rename(record, begin.cwd / "record.json");  // this job's own record, outside the copy
  fs::create_symlink(begin.cwd / "record.json", record);
  auto again = begin(true);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "cannot resume store " + (begin.cwd / "s.zarr").string() + ": the record " +
                                       record.string() + " is not read: " + record.string() +
                                       " is a symbolic link where a store entry should be; zpmpi reads nothing in a "
                                       "store through a link: remove the link, or run without --resume to start again");
  // The marker directory as a link (such a copy is not even taken for zpmpi's: unmarked).
  fs::remove(record);
  fs::rename(begin.cwd / "record.json", record);
  fs::rename(copy / kMarkerName, begin.cwd / "marker");
  fs::create_directory_symlink(begin.cwd / "marker", copy / kMarkerName);
  auto through_marker = read_resume_record(copy);
  ASSERT_FALSE(through_marker.ok());
  EXPECT_NE(through_marker.error().message.find(": " + (copy / kMarkerName).string() + " is a symbolic link where"),
            std::string::npos)
      << through_marker.error().message;
}

// A complete store whose record is a link: --resume does not take it for this job's output.
TEST(StoreLinks, AStoreRecordThatIsALinkIsNeverTrusted) {
  const Resume begin{fresh_dir("links_store_record")};
  auto first = begin(false);
  ASSERT_TRUE(first.ok()) << first.error().message;
  spit(first->build_path() / ".zmetadata", "{}");
  ASSERT_TRUE(first->commit().ok());
  const fs::path record = begin.cwd / "s.zarr" / kMarkerName / kStoreRecordName;
  ASSERT_TRUE(fs::exists(record));
  fs::rename(record, begin.cwd / "record.json");
  fs::create_symlink(begin.cwd / "record.json", record);
  auto again = begin(true);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("the record " + record.string() + " is not read: " + record.string() +
                                       " is a symbolic link where a store entry should be"),
            std::string::npos)
      << again.error().message;
  auto read = read_store_record(begin.cwd / "s.zarr");
  ASSERT_FALSE(read.ok());
}

// --resume's listing of an array directory: a link at a chunk key is no chunk (the run
// writes it, replacing the link), and an array directory that is a link is not listed.
TEST(StoreLinks, TheChunkListingOpensNothingThroughALink) {
  const fs::path dir = fresh_dir("links_listing");
  ASSERT_TRUE(create_store(dir / "s.zarr", {"t2m"}).ok());
  ASSERT_TRUE(put(dir / "s.zarr", "t2m", "0.0", "chunk").ok());
  spit(dir / "outside", "precious");
  fs::create_symlink(dir / "outside", dir / "s.zarr" / "t2m" / "0.1");
  auto listing = list_chunks(dir / "s.zarr", "t2m", {1, 2});
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->present, (std::vector<bool>{true, false}));
  fs::create_directory(dir / "elsewhere");
  spit(dir / "elsewhere" / "0.0", "foreign");
  spit(dir / "elsewhere" / ".0.1.tmp3", "foreign");
  fs::create_directory_symlink(dir / "elsewhere", dir / "s.zarr" / "u");
  auto linked = list_chunks(dir / "s.zarr", "u", {1, 2});
  ASSERT_FALSE(linked.ok());
  EXPECT_EQ(linked.error().message, (dir / "s.zarr" / "u").string() +
                                        " is a symbolic link where a store entry should be; zpmpi reads nothing in a "
                                        "store through a link: remove the link");
  EXPECT_EQ(names_in(dir / "elsewhere"), (std::vector<std::string>{".0.1.tmp3", "0.0"}));
}

}  // namespace
}  // namespace zpmpi::zarr
