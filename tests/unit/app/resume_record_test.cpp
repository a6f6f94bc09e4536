// The job's record (resume_record.hpp): one key per source file, and the end-of-run check
// that a source file did not change while the run read it.
#include "zpmpi/app/resume_record.hpp"

#include "zpmpi/app/config_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace zpmpi::app {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;
using source::InputFile;

fs::path fresh(const std::string& name) {
  std::string leaf = "resume_record_";  // appended: GCC 12 warns (-Wrestrict) on "literal" + string
  leaf += name;
  const fs::path dir = fs::path(ZPMPI_TEST_TMP) / leaf;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

/// Sets the modification time of `p` (ns since the epoch).
void set_mtime(const fs::path& p, std::int64_t ns) {
  const timespec t{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  const timespec times[2] = {t, t};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
}

TEST(InputChange, SaysWhatDiffers) {
  const InputFile was{"a.nc", true, 100, 5, 7};
  EXPECT_EQ(input_change(was, was), "");
  EXPECT_EQ(input_change(was, {"a.nc", true, 120, 6, 7}), "size 100 -> 120 bytes, modified");
  EXPECT_EQ(input_change(was, {"a.nc", true, 100, 5, 8}), "replaced: another inode");
  EXPECT_EQ(input_change(was, {"a.nc", true, 100, 6, 7}), "modified");
}

TEST(CheckInputsUnchanged, AnInPlaceRewriteIsSeen) {
  const fs::path a = fresh("rewrite") / "a.nc";
  write(a, "old data");
  set_mtime(a, 1'700'000'000'000'000'001);
  const auto read = source::identify_inputs({a.string(), "https://example.org/b.nc"});
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(check_inputs_unchanged(*read).ok());
  write(a, "new data");  // same size, rewritten in place
  const Status changed = check_inputs_unchanged(*read);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().message, "source file " + a.string() + " changed while this run read it (modified)");
}

TEST(CheckInputsUnchanged, AFileReplacedWithTheSameSizeAndTimeIsSeenByItsInode) {
  const fs::path dir = fresh("replace");
  const fs::path a = dir / "a.nc", b = dir / "b.nc", next = dir / "a.nc.new";
  write(a, "january");
  write(b, "february");
  set_mtime(a, 1'700'000'000'000'000'000);
  const auto read = source::identify_inputs({a.string(), b.string()});
  ASSERT_TRUE(read.ok());
  write(next, "JANUARY");  // a newer version, renamed over the member
  set_mtime(next, 1'700'000'000'000'000'000);
  fs::rename(next, a);
  fs::remove(b);
  const Status changed = check_inputs_unchanged(*read);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().message, "source file " + a.string() +
                                         " changed while this run read it (replaced: another inode; 1 other source "
                                         "file(s) changed too)");
}

TEST(ResumeRecord, OneKeyPerSourceFileNamesIt) {
  const fs::path dir = fresh("keys");
  write(dir / "job.json", R"({"source": "a.nc", "store": "s.zarr", "workers": 2})");
  write(dir / "a.nc", "abc");
  const auto inputs = source::identify_inputs({(dir / "a.nc").string(), "http://h/refs.json"});
  ASSERT_TRUE(inputs.ok());
  auto record = resume_record((dir / "job.json").string(), {}, *inputs, {});
  ASSERT_TRUE(record.ok()) << record.error().message;
  const json::value& a = record->at("source.file " + (dir / "a.nc").string());
  EXPECT_EQ(a.at("size"), 3);
  EXPECT_EQ(a.at("inode"), static_cast<std::int64_t>((*inputs)[0].inode));
  EXPECT_EQ(a.at("mtime_ns"), (*inputs)[0].mtime_ns);
  EXPECT_EQ(record->at("source.file http://h/refs.json"), json::object{});
  EXPECT_TRUE(record->contains("config.store"));
  EXPECT_FALSE(record->contains("config.workers"));  // run-only
  // As written and read back, the record equals the one made again (int64 inode).
  EXPECT_EQ(json::parse(json::serialize(*record)).as_object(), *record);
}

TEST(ResumeRecord, TheKeysThatChangeTheStoreAreRecordedTheRunOnlyOnesNot) {
  const fs::path dir = fresh("run_only");
  std::string job = "{";
  for (const ConfigKey& k : config_keys()) job += (job.size() > 1 ? ", \"" : "\"") + std::string(k.name) + "\": 1";
  write(dir / "job.json", job + "}");
  auto record = resume_record((dir / "job.json").string(), {}, {}, {});
  ASSERT_TRUE(record.ok()) << record.error().message;
  for (const ConfigKey& k : config_keys())
    EXPECT_EQ(record->contains("config." + std::string(k.name)), k.changes_store) << k.name;
  for (const char* run_only : {"resume", "overwrite", "log_level", "stats", "workers", "num_jobs", "memory_limit",
                               "max_chunks", "recommendations"})
    EXPECT_FALSE(record->contains("config." + std::string(run_only))) << run_only;
  for (const char* kept : {"source", "variables", "preprocessors", "chunks", "store", "compressor", "fsync"})
    EXPECT_TRUE(record->contains("config." + std::string(kept))) << kept;
}

TEST(ResumeRecord, S3SecretsAreNeverRecorded) {
  const fs::path dir = fresh("s3_secrets");
  write(dir / "job.json", R"({"source": {"uri": "s3://b/refs.json", "storage_options": {"key": "AKIDSECRETID",
      "secret": "VERYSECRET", "token": "SESSIONTOKEN", "endpoint_url": "http://e"}}, "store": "a.zarr"})");
  auto record = resume_record((dir / "job.json").string(), {}, {}, {});
  ASSERT_TRUE(record.ok()) << record.error().message;
  const std::string text = json::serialize(*record);
  for (const char* secret : {"AKIDSECRETID", "VERYSECRET", "SESSIONTOKEN"}) EXPECT_EQ(text.find(secret), std::string::npos) << text;
  EXPECT_EQ(json::serialize(record->at("config.source").at("storage_options")),
            R"({"key":"***","secret":"***","token":"***","endpoint_url":"http://e"})");
  // The provenance's job_sha256 hashes these same keys (job_store_keys).
  auto keys = job_store_keys((dir / "job.json").string(), {});
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(json::serialize(*keys).find("VERYSECRET"), std::string::npos);
}

TEST(ResumeRecord, AFlagThatChangesTheStoreReplacesTheJobsValue) {
  const fs::path dir = fresh("flags");
  write(dir / "job.json", R"({"source": "a.nc", "store": "s.zarr", "zarr_format": 3, "shards": {"time": 24}})");
  auto as_written = resume_record((dir / "job.json").string(), {}, {}, {});
  ASSERT_TRUE(as_written.ok()) << as_written.error().message;
  EXPECT_EQ(as_written->at("config.shards"), (json::object{{"time", 24}}));
  // zpmpi --shards time=48: a resume with other shards must not adopt this copy.
  auto flagged = resume_record((dir / "job.json").string(), {{"shards", "time=48"}}, {}, {});
  ASSERT_TRUE(flagged.ok());
  EXPECT_EQ(flagged->at("config.shards"), "time=48");
  EXPECT_EQ(flagged->at("config.zarr_format"), 3);
  EXPECT_NE(*flagged, *as_written);
}

}  // namespace
}  // namespace zpmpi::app
