// zpmpi plan's report of a sharded job: per array the shard shape, the shard files and the
// bytes of one shard; the files counted as shards; each rank's shards. Built from a job
// file's text and a described source, as `zpmpi plan` builds it.
#include "zpmpi/app/plan_report.hpp"

#include <gtest/gtest.h>

#include "zpmpi/app/plan_bounds.hpp"

namespace zpmpi::app {
namespace {

namespace json = boost::json;

/// ocean.nc: sst (time 100, lat 30) float64 in chunks of 10 steps, and its coordinates.
model::Dataset ocean() {
  model::Dataset d;
  d.uri = "ocean.nc";
  d.dims = {{"time", 100}, {"lat", 30}};
  auto variable = [](std::string name, std::vector<std::string> dims, model::Shape shape, model::Shape chunks) {
    model::Variable v;
    v.name = std::move(name);
    v.dims = std::move(dims);
    v.shape = std::move(shape);
    v.source_chunks = std::move(chunks);
    v.dtype = model::DType::f8;
    v.chunked = true;
    return v;
  };
  d.variables = {variable("sst", {"time", "lat"}, {100, 30}, {10, 30}), variable("time", {"time"}, {100}, {100}),
                 variable("lat", {"lat"}, {30}, {30})};
  return d;
}

/// The report of the job whose keys are `keys`, planned for `ranks` ranks.
json::object report(const std::string& keys, int ranks) {
  auto config = parse_config(R"({"source": "ocean.nc", "store": "o.zarr")" + keys + "}", "job.json");
  EXPECT_TRUE(config.ok()) << config.error().message;
  auto job = build_job_arrays(*config, ocean(), {});
  EXPECT_TRUE(job.ok()) << job.error().message;
  plan::PlanOptions options;
  options.num_ranks = options.num_jobs = ranks;
  options.bounds = owner_bounds(config->compressor);
  auto plan = plan::make_plan(job->layouts(), options);
  EXPECT_TRUE(plan.ok()) << plan.error().message;
  auto r = plan_report(*config, ocean(), *job, *plan, {});
  EXPECT_TRUE(r.ok()) << r.error().message;
  return *r;
}

const json::object& array(const json::object& r, const std::string& name) {
  for (const auto& a : r.at("arrays").as_array())
    if (a.at("name").as_string() == name) return a.as_object();
  throw std::runtime_error("no array " + name);
}

TEST(PlanReport, ShowsTheShardsTheirFilesAndBytesAndCountsFilesAsShards) {
  const json::object r = report(R"(, "zarr_format": 3, "shards": {"time": 20})", 2);
  const json::object& sst = array(r, "sst");
  EXPECT_EQ(sst.at("shards"), (json::array{20, 30}));
  EXPECT_EQ(sst.at("shard_files"), 5);
  EXPECT_EQ(sst.at("shard_bytes"), 20 * 30 * 8);
  EXPECT_EQ(sst.at("chunks_total"), 10);
  EXPECT_EQ(array(r, "time").at("shards"), (json::array{100}));  // one chunk, one shard
  EXPECT_EQ(array(r, "time").at("shard_files"), 1);

  EXPECT_EQ(r.at("zarr_format"), 3);
  EXPECT_EQ(r.at("chunks"), 12);  // inner chunks, as the run counts them
  // 7 shard files, no chunk files of their own, a zarr.json per array and the root's.
  EXPECT_EQ(r.at("files"), (json::object{{"chunks", 0}, {"shards", 7}, {"metadata", 4}, {"total", 11}}));
  std::uint64_t shards = 0;
  for (const auto& rank : r.at("per_rank").as_array()) shards += rank.at("shards").to_number<std::uint64_t>();
  EXPECT_EQ(shards, 7u);  // every shard written by one rank

  const std::string text = plan_report_text(r);
  EXPECT_NE(text.find("shards [20, 30] of "), std::string::npos) << text;
  EXPECT_NE(text.find("files: 7 shards + 0 chunks + 4 metadata = 11 (Zarr v3)"), std::string::npos) << text;
}

TEST(PlanReport, AnUnshardedStoreHasNoShards) {
  const json::object r = report("", 2);
  const json::object& sst = array(r, "sst");
  EXPECT_TRUE(sst.at("shards").is_null());
  EXPECT_TRUE(sst.at("shard_files").is_null());
  EXPECT_TRUE(sst.at("shard_bytes").is_null());
  EXPECT_EQ(r.at("zarr_format"), 2);
  EXPECT_EQ(r.at("files"), (json::object{{"chunks", 12}, {"shards", 0}, {"metadata", 9}, {"total", 21}}));
  for (const auto& rank : r.at("per_rank").as_array()) EXPECT_EQ(rank.at("shards"), 0);
  EXPECT_NE(plan_report_text(r).find("files: 12 chunks + 9 metadata = 21 (Zarr v2)"), std::string::npos);
}

}  // namespace
}  // namespace zpmpi::app
