#include "zpmpi/app/config.hpp"

#include <gtest/gtest.h>

#include "zpmpi/app/cli.hpp"

namespace zpmpi::app {
namespace {

Result<Config> parse(const std::string& text) { return parse_config(text, "job.json"); }

void expect_error(const std::string& text, const std::string& message) {
  auto c = parse(text);
  ASSERT_FALSE(c.ok()) << text;
  EXPECT_EQ(c.error().message, message) << text;
  EXPECT_EQ(c.error().code, ExitCode::kUsage);
}

TEST(Config, FullJobParses) {
  auto c = parse(R"({
    "source": {"uri": "era5.nc", "engine": "netcdf"},
    "variables": {"d2m": [], "t2m": [{"type": "rename", "new_name": "temp2m"}]},
    "preprocessors": [{"type": "rename", "var_id": "d2m", "new_name": "dew"}],
    "chunks": {"time": 24, "latitude": 145},
    "store": "cache/era5.zarr", "cache_label": "_v1", "add_attrs": {"hash": "abc"},
    "compressor": {"id": "lz4", "acceleration": 2}, "memory_limit": "512MiB",
    "num_jobs": 8, "overwrite": true, "resume": false, "recommendations": "warn", "log_level": 2, "workers": 4})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->source_uri, "era5.nc");
  ASSERT_TRUE(c->variables.has_value());
  ASSERT_EQ(c->variables->size(), 2u);
  EXPECT_EQ((*c->variables)[1].name, "t2m");
  EXPECT_EQ((*c->variables)[1].new_name, "temp2m");
  ASSERT_EQ(c->renames.size(), 1u);
  EXPECT_EQ(c->renames[0].key, "preprocessors[0]");
  EXPECT_EQ(c->chunks.sizes.at("time"), 24u);
  EXPECT_EQ(c->store, "cache/era5.zarr");
  EXPECT_EQ(c->cache_label, "_v1");
  EXPECT_EQ(c->compressor.id, codec::CodecId::kLz4);
  EXPECT_EQ(c->compressor.acceleration, 2);
  EXPECT_EQ(c->memory_limit, 512u << 20);
  EXPECT_EQ(c->num_jobs, 8);
  EXPECT_TRUE(c->overwrite);
  EXPECT_EQ(c->recommendations, "warn");
  EXPECT_EQ(c->log_level, 2);
  EXPECT_EQ(c->workers, 4);
}

TEST(Config, Defaults) {
  auto c = parse(R"({"source": "a.nc", "store": "a.zarr", "chunks": "auto"})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->variables.has_value());
  EXPECT_TRUE(c->chunks.sizes.empty());
  EXPECT_EQ(c->compressor.id, codec::CodecId::kZstd);
  EXPECT_EQ(c->compressor.level, 1);
  EXPECT_EQ(c->memory_limit, 2'000'000'000u);
  EXPECT_FALSE(c->num_jobs.has_value());
  EXPECT_FALSE(c->overwrite);
  EXPECT_EQ(c->log_level, 1);
  EXPECT_EQ(c->workers, 1);
  auto none = parse(R"({"source": "a.nc", "store": "a.zarr", "compressor": null, "chunks": {}})");
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(none->compressor.id, codec::CodecId::kNone);
}

TEST(Config, MalformedJsonGivesLineAndColumn) {
  auto c = parse("{\n  \"source\": \"a.nc\",\n  \"store\": }\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("job.json: line 3, column 12: malformed JSON"), std::string::npos)
      << c.error().message;
}

TEST(Config, ErrorsNameFileAndKey) {
  const std::string base = R"("source": "a.nc", "store": "a.zarr")";
  expect_error("{" + base + R"(, "chunk": {}})",
               "job.json: unknown key 'chunk' (known: source, variables, preprocessors, chunks, "
               "store, cache_label, add_attrs, compressor, memory_limit, num_jobs, overwrite, "
               "resume, recommendations, log_level, workers)");
  expect_error("{" + base + R"(, "chunks": {"latitude": -3}})",
               "job.json: chunks.latitude: must be a positive integer, got -3");
  expect_error("{" + base + R"(, "chunks": {"latitude": 0}})",
               "job.json: chunks.latitude: must be a positive integer, got 0");
  expect_error("{" + base + R"(, "chunks": {"latitude": 2.5}})",
               "job.json: chunks.latitude: must be a positive integer, got 2.5");
  expect_error("{" + base + R"(, "chunks": {"latitude": "big"}})",
               "job.json: chunks.latitude: must be a positive integer, got \"big\"");
  expect_error("{" + base + R"(, "memory_limit": "lots"})",
               "job.json: memory_limit: cannot parse 'lots' as a size (e.g. \"2GB\", \"512MiB\", \"1.5GB\")");
  expect_error("{" + base + R"(, "overwrite": "yes"})",
               "job.json: overwrite: must be true or false, got \"yes\"");
  expect_error("{" + base + R"(, "num_jobs": 0})", "job.json: num_jobs: must be a positive integer, got 0");
  expect_error("{" + base + R"(, "workers": 0})", "job.json: workers: must be a positive integer, got 0");
  expect_error("{" + base + R"(, "workers": 65})", "job.json: workers: must be at most 64, got 65");
  expect_error("{" + base + R"(, "log_level": 5})", "job.json: log_level: must be 0, 1 or 2, got 5");
  expect_error("{" + base + R"(, "resume": true})",
               "job.json: resume: resuming an incomplete store is not supported by this version");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "tiled", "time": 4}]})",
               "job.json: preprocessors[0].type: unknown preprocessor 'tiled' (known: isel, sel, subset, "
               "reverse_axis, roll, rename)");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "isel", "time": [0, "a"]}]})",
               "job.json: preprocessors[0].time[1]: must be an integer, got \"a\"");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "sel", "time": [0, 1, 2]}]})",
               "job.json: preprocessors[0].time: must be a label or [start, stop], got [0,1,2]");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "roll", "dim": "x"}]})",
               "job.json: preprocessors[0]: roll needs \"shifts\"");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "reverse_axis", "dim": "x", "axis": 1}]})",
               "job.json: preprocessors[0]: unknown key 'axis' for reverse_axis (known: type, dim)");
  expect_error("{" + base + R"(, "variables": {"t2m": [{"type": "roll"}]}})",
               "job.json: variables.t2m[0].type: transform 'roll' is not supported (supported: rename)");
  expect_error("{" + base + R"(, "variables": ["t2m", "t2m"]})", "job.json: variables: 't2m' is listed twice");
  expect_error("{" + base + R"(, "variables": [3]})", "job.json: variables[0]: must be a string, got 3");
  expect_error(R"({"store": "a.zarr"})", "job.json: source: is required");
  expect_error(R"({"source": {"uri": "a.nc", "engine": "zarr"}, "store": "x"})",
               "job.json: source.engine: engine 'zarr' is not supported (supported: netcdf)");
  expect_error("[1, 2]", "job.json: the job must be a JSON object");
}

TEST(Config, CompressorErrorsCarryTheKey) {
  auto c = parse(R"({"source": "a.nc", "store": "a.zarr", "compressor": {"id": "blosc"}})");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind("job.json: compressor: id: ", 0), 0u) << c.error().message;
  EXPECT_EQ(c.error().code, ExitCode::kUsage);
}

TEST(Cli, FlagsOverrideTheJob) {
  const char* argv[] = {"zpmpi", "--config", "job.json", "--store", "other.zarr", "--memory-limit",
                        "1.5GB", "--overwrite", "--num-jobs", "7", "--log-level", "0", "--workers", "3"};
  auto cli = parse_cli(14, argv);
  ASSERT_TRUE(cli.ok()) << cli.error().message;
  auto c = parse(R"({"source": "a.nc"})");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(apply_cli(*cli, *c).ok());
  EXPECT_EQ(c->store, "other.zarr");
  EXPECT_EQ(c->memory_limit, 1'500'000'000u);
  EXPECT_TRUE(c->overwrite);
  EXPECT_EQ(c->num_jobs, 7);
  EXPECT_EQ(c->log_level, 0);
  EXPECT_EQ(c->workers, 3);
}

TEST(Cli, Errors) {
  const char* unknown[] = {"zpmpi", "--config", "j.json", "--frobnicate"};
  auto a = parse_cli(4, unknown);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ExitCode::kUsage);
  const char* no_workers[] = {"zpmpi", "--config", "j.json", "--workers", "0"};
  auto w = parse_cli(5, no_workers);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().message, "--workers must be between 1 and 64");
  const char* missing[] = {"zpmpi"};
  auto b = parse_cli(1, missing);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message, "--config FILE is required (see --help)");
  const char* bad_mem[] = {"zpmpi", "--config", "j.json", "--memory-limit", "much"};
  auto cli = parse_cli(5, bad_mem);
  ASSERT_TRUE(cli.ok());
  auto c = parse(R"({"source": "a.nc", "store": "s"})");
  ASSERT_TRUE(c.ok());
  auto st = apply_cli(*cli, *c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "--memory-limit: cannot parse 'much' as a size (e.g. 2GB, 512MiB)");
  auto no_store = parse(R"({"source": "a.nc"})");
  const char* plain[] = {"zpmpi", "--config", "j.json"};
  auto st2 = apply_cli(*parse_cli(3, plain), *no_store);
  ASSERT_FALSE(st2.ok());
  EXPECT_EQ(st2.error().message, "job.json: store: is required (or pass --store)");
}

}  // namespace
}  // namespace zpmpi::app

namespace zpmpi::app {
namespace {

TEST(Config, SourceGroup) {
  auto c = parse(R"({"source": {"uri": "a.nc", "group": "g1/g2"}, "store": "a.zarr"})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->source_group, "g1/g2");
  auto plain = parse(R"({"source": "a.nc", "store": "a.zarr"})");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->source_group, "");
  auto bad = parse(R"({"source": {"uri": "a.nc", "group": 3}, "store": "a.zarr"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("source.group"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace zpmpi::app
