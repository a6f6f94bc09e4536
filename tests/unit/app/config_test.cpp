#include "zpmpi/app/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

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

/// "method" and "tolerance" are options of sel, wherever they stand; with a method a list
/// is a list of labels (xarray takes no slice with a method).
TEST(Config, SelNearestMethodAndTolerance) {
  auto c = parse(R"({"source": "a.nc", "store": "s", "preprocessors": [{"type": "sel", "tolerance": "2h",
    "time": ["2000-01-01", "2000-01-02"], "level": 850, "method": "nearest"}]})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->steps.size(), 1u);
  const auto& sel = std::get<transform::Sel>(c->steps[0].op);
  EXPECT_TRUE(sel.nearest);
  EXPECT_EQ(sel.tolerance, transform::Label{std::string("2h")});
  ASSERT_EQ(sel.dims.size(), 2u);
  EXPECT_EQ(std::get<transform::LabelList>(sel.dims[0].what).size(), 2u);
  EXPECT_EQ(std::get<transform::Label>(sel.dims[1].what), transform::Label{850.0});
  auto plain = parse(R"({"source": "a.nc", "store": "s", "preprocessors": [{"type": "sel", "time": [0, 1]}]})");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(std::get<transform::Sel>(plain->steps[0].op).nearest);
  EXPECT_TRUE(std::holds_alternative<transform::LabelRange>(std::get<transform::Sel>(plain->steps[0].op).dims[0].what));
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
  EXPECT_EQ(c->source.uris, std::vector<std::string>{"era5.nc"});
  EXPECT_EQ(c->source.engine, source::Engine::kNetcdf);
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
  EXPECT_EQ(c->recommendations, Recommendations::kWarn);
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
               "zarr_format, shards, store, cache_label, add_attrs, compressor, memory_limit, num_jobs, overwrite, "
               "resume, mode, append_dim, allow_gaps, recommendations, log_level, workers, max_chunks, stats, fsync, statistics)");
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
  // Rename targets become store directories: checked with their key before anything exists.
  expect_error("{" + base + R"(, "variables": {"t": [{"type": "rename", "new_name": ".zgroup"}]}})",
               "job.json: variables.t[0].new_name: '.zgroup' cannot name a Zarr array: it is a Zarr metadata key");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "rename", "var_id": "t", "new_name": ")" +
                   std::string(256, 'n') + R"("}]})",
               "job.json: preprocessors[0].new_name: '" + std::string(256, 'n') +
                   "' cannot name a Zarr array: it is 256 bytes long; a file name holds at most 255");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "rename", "var_id": "t", "new_name": "a/b"}]})",
               "job.json: preprocessors[0].new_name: 'a/b' cannot name a Zarr array: it contains '/', which "
               "Zarr reads as a group separator");
  expect_error("{" + base + R"(, "resume": "yes"})", "job.json: resume: must be true or false, got \"yes\"");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "tile", "time": 4}]})",
               "job.json: preprocessors[0].type: 'tile' is not supported (zpmpi applies these preprocessors: "
               "isel, sel, subset, reverse_axis, roll, tiled, rename, transpose, squeeze, thin, drop_vars, astype, "
               "clip, fillna, round, assign_attrs, drop_attrs, expand_dims; xarray methods that need neighbouring values, like "
               "rolling or interp, cannot be cached chunk by chunk)");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "isel", "time": [0, "a"]}]})",
               "job.json: preprocessors[0].time[1]: must be an integer, got \"a\"");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "sel", "time": [0, 1, 2]}]})",
               "job.json: preprocessors[0].time: must be a label or [start, stop], got [0,1,2]");
  // xarray's sel(..., method="nearest", tolerance=...): only nearest, tolerance only with it.
  expect_error("{" + base + R"(, "preprocessors": [{"type": "sel", "time": 1, "method": "pad"}]})",
               "job.json: preprocessors[0].method: must be \"nearest\" (pad and backfill are not supported), got \"pad\"");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "sel", "time": 1, "tolerance": 2}]})",
               "job.json: preprocessors[0].tolerance: needs \"method\": \"nearest\"");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "sel", "time": [], "method": "nearest"}]})",
               "job.json: preprocessors[0].time: an empty list selects nothing");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "sel", "method": "nearest"}]})",
               "job.json: preprocessors[0]: sel names no dimension");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "roll", "dim": "x"}]})",
               "job.json: preprocessors[0]: roll needs \"shifts\"");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "reverse_axis", "dim": "x", "axis": 1}]})",
               "job.json: preprocessors[0]: unknown key 'axis' for reverse_axis (known: type, dim)");
  expect_error("{" + base + R"(, "variables": {"t2m": [{"type": "roll"}]}})",
               "job.json: variables.t2m[0].type: 'roll' is not supported (zpmpi applies these DataArray methods: "
               "rename, transpose, astype, clip, fillna, round, assign_attrs, expand_dims; xarray methods that need neighbouring "
               "values, like rolling or interp, cannot be cached chunk by chunk)");
  expect_error("{" + base + R"(, "variables": ["t2m", "t2m"]})", "job.json: variables: 't2m' is listed twice");
  expect_error("{" + base + R"(, "variables": [3]})", "job.json: variables[0]: must be a string, got 3");
  expect_error(R"({"store": "a.zarr"})", "job.json: source: is required");
  expect_error(R"({"source": {"uri": "a.nc", "engine": "zarr"}, "store": "x"})",
               "job.json: source.engine: engine 'zarr' is not supported (supported: netcdf, kerchunk)");
  expect_error("[1, 2]", "job.json: the job must be a JSON object");
}

// Issue 10, defect 1: "/data/run\u0000" was checked and removed as "/data/run", and
// "a.nc\u0000/etc/passwd" opened a.nc. A NUL anywhere in the job is refused, with its key.
TEST(Config, Tiled) {
  const std::string base = R"("source": "a.nc", "store": "a.zarr", "preprocessors": )";
  auto c = parse("{" + base + R"([{"type": "reverse_axis", "dim": "latitude"},
      {"type": "tiled", "time": 24, "latitude": 200, "boundary": "trim", "validate_axis_order": true,
       "discontinuity_periods": {"x": 100}}, {"type": "rename", "var_id": "t", "new_name": "u"}]})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->steps.size(), 2u);
  const auto& t = std::get<transform::Tiled>(c->steps[1].op);
  EXPECT_EQ(c->steps[1].key, "preprocessors[1]");
  EXPECT_EQ(t.sizes, (std::vector<std::pair<std::string, std::int64_t>>{{"time", 24}, {"latitude", 200}}));
  EXPECT_EQ(t.boundary, transform::TileBoundary::kTrim);
  EXPECT_TRUE(t.validate_axis_order);
  EXPECT_EQ(t.discontinuity_periods, (std::vector<std::pair<std::string, double>>{{"x", 100.0}}));
  auto d = parse("{" + base + R"([{"type": "tiled", "lon": 8}]})");
  ASSERT_TRUE(d.ok());
  const auto& dt = std::get<transform::Tiled>(d->steps[0].op);
  EXPECT_EQ(dt.boundary, transform::TileBoundary::kPad);
  EXPECT_FALSE(dt.validate_axis_order);
  EXPECT_EQ(dt.discontinuity_periods, (std::vector<std::pair<std::string, double>>{{"longitude", 360.0}, {"lon", 360.0}}));

  expect_error("{" + base + R"([{"type": "tiled", "time": 0}]})",
               "job.json: preprocessors[0].time: must be a positive integer, got 0");
  expect_error("{" + base + R"([{"type": "tiled", "time": 2.5}]})",
               "job.json: preprocessors[0].time: must be a positive integer, got 2.5");
  expect_error("{" + base + R"([{"type": "tiled"}]})", "job.json: preprocessors[0]: tiled names no dimension");
  expect_error("{" + base + R"([{"type": "tiled", "time": 4, "boundary": "wrap"}]})",
               "job.json: preprocessors[0].boundary: must be \"pad\", \"trim\" or \"exact\", got \"wrap\"");
  expect_error("{" + base + R"([{"type": "tiled", "time": 4, "validate_axis_order": 1}]})",
               "job.json: preprocessors[0].validate_axis_order: must be true or false, got 1");
  expect_error("{" + base + R"([{"type": "tiled", "time": 4, "discontinuity_periods": {"lon": -1}}]})",
               "job.json: preprocessors[0].discontinuity_periods.lon: must be a positive number, got -1");
  expect_error("{" + base + R"([{"type": "tiled", "time": 4, "discontinuity_periods": 360}]})",
               "job.json: preprocessors[0].discontinuity_periods: must be an object dim -> period, got 360");
  // Tiling comes last in the chain.
  expect_error("{" + base + R"([{"type": "tiled", "time": 4}, {"type": "reverse_axis", "dim": "latitude"}]})",
               "job.json: preprocessors[1]: reverse_axis after tiled (preprocessors[0]): tiled must come last, "
               "after isel, sel, reverse_axis and roll");
  expect_error("{" + base + R"([{"type": "isel", "time": 0}, {"type": "tiled", "x": 4}, {"type": "tiled", "y": 2}]})",
               "job.json: preprocessors[2]: tiled after tiled (preprocessors[1]): tiled must come last, "
               "after isel, sel, reverse_axis and roll");
}

TEST(Config, NulBytesAreRefusedWhereverTheyAre) {
  const std::string base = R"("source": "a.nc", "store": "a.zarr")";
  expect_error(R"({"source": "a.nc", "store": "/data/run\u0000", "overwrite": true})",
               "job.json: store: contains a NUL byte");
  expect_error(R"({"source": "a.nc\u0000/etc/passwd", "store": "a.zarr"})", "job.json: source: contains a NUL byte");
  expect_error(R"({"source": {"uri": "a.nc\u0000x"}, "store": "a.zarr"})",
               "job.json: source.uri: contains a NUL byte");
  expect_error("{" + base + R"(, "variables": ["t2m", "d2\u0000m"]})", "job.json: variables[1]: contains a NUL byte");
  expect_error("{" + base + R"(, "variables": {"t2\u0000m": []}})", "job.json: variables: a key contains a NUL byte");
  expect_error("{" + base + R"(, "variables": {"t2m": [{"type": "rename", "new_name": "\u0000"}]}})",
               "job.json: variables.t2m[0].new_name: contains a NUL byte");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "rename", "var_id": "t2m", "new_name": "x\u0000"}]})",
               "job.json: preprocessors[0].new_name: contains a NUL byte");
  expect_error("{" + base + R"(, "preprocessors": [{"type": "sel", "time\u0000": 1}]})",
               "job.json: preprocessors[0]: a key contains a NUL byte");
  expect_error("{" + base + R"(, "preprocessors": [{}, {"type": "sel", "time": ["2000-01-01", "2000\u0000"]}]})",
               "job.json: preprocessors[1].time[1]: contains a NUL byte");
  expect_error("{" + base + R"(, "chunks": {"lat\u0000": 3}})", "job.json: chunks: a key contains a NUL byte");
  expect_error("{" + base + R"(, "cache_label": "v\u00001"})", "job.json: cache_label: contains a NUL byte");
  expect_error("{" + base + R"(, "add_attrs": {"a\u0000": 1}})", "job.json: add_attrs: a key contains a NUL byte");
  expect_error("{" + base + R"(, "add_attrs": {"a": [[1, {"b": "\u0000"}]]}})",
               "job.json: add_attrs.a[0][1].b: contains a NUL byte");
  expect_error(R"({"\u0000": 1})", "job.json: the document: a key contains a NUL byte");
  // Other escapes of control characters are strings like any other.
  EXPECT_TRUE(parse("{" + base + R"(, "add_attrs": {"a": "tab\there\u0001"}})").ok());
}

// Boost.JSON 1.81 itself refuses invalid UTF-8 and lone surrogate escapes; this pins it.
TEST(Config, InvalidUtf8AndLoneSurrogatesAreMalformed) {
  for (const std::string& store : {std::string("a\xff.zarr"), std::string("a\xc3.zarr"), std::string("\\ud800"),
                                   std::string("\\udc00x"), std::string("\\ud800\\u0041")}) {
    auto c = parse(R"({"source": "a.nc", "store": ")" + store + R"("})");
    ASSERT_FALSE(c.ok()) << store;
    EXPECT_NE(c.error().message.find("job.json: line 1, column "), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("malformed JSON"), std::string::npos) << c.error().message;
  }
  auto ok = parse(R"({"source": "a.nc", "store": "\ud83d\ude00-\u00e9t\u00e9.zarr"})");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->store, "\xf0\x9f\x98\x80-\xc3\xa9t\xc3\xa9.zarr");
}

// Issue 10, defect 7: Boost.JSON kept the last of two equal keys without a word.
TEST(Config, DuplicateKeysAreRefusedWithTheirPath) {
  expect_error("{\"source\": \"a.nc\",\n \"store\": \"a.zarr\",\n \"store\": \"/home\"}",
               "job.json: store: is given twice (again at line 3, column 8)");
  expect_error(R"({"source": "a.nc", "store": "s", "chunks": {"time": 4, "lat": 2, "time": 8}})",
               "job.json: chunks.time: is given twice (again at line 1, column 71)");
  expect_error(R"({"source": "a.nc", "store": "s", "preprocessors": [{"type": "roll", "dim": "x", "type": "sel"}]})",
               "job.json: preprocessors[0].type: is given twice (again at line 1, column 86)");
  expect_error(R"({"source": "a.nc", "store": "s", "add_attrs": {"a": {"b": 1, "b": 1}}})",
               "job.json: add_attrs.a.b: is given twice (again at line 1, column 64)");
  // The same key in two different objects is fine.
  EXPECT_TRUE(parse(R"({"source": "a.nc", "store": "s", "add_attrs": {"a": {"b": 1}, "c": {"b": 1}}})").ok());
}

TEST(Config, JobFilesOverTheLimitAreRefusedUnread) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/zpmpi_big_job.json";
  {
    // A valid job padded with spaces to one byte over the limit.
    std::ofstream out(path, std::ios::binary);
    const std::string job = R"({"source": "a.nc", "store": "a.zarr"})";
    out << job << std::string(kMaxJobFileBytes + 1 - job.size(), ' ');
  }
  auto c = load_config(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, path + ": the job file is larger than the limit of 16 MiB (16777216 bytes): 16777217 bytes");
  EXPECT_EQ(c.error().code, ExitCode::kUsage);
  std::filesystem::resize_file(path, kMaxJobFileBytes);
  auto at_limit = load_config(path);
  EXPECT_TRUE(at_limit.ok()) << at_limit.error().message;
  std::remove(path.c_str());
  auto text = parse(R"({"source": "a.nc", "store": "a.zarr"})" + std::string(kMaxJobFileBytes, ' '));
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("job.json: the job file is larger than the limit of 16 MiB"), std::string::npos);
}

TEST(Config, MaxChunks) {
  auto c = parse(R"({"source": "a.nc", "store": "s", "max_chunks": 20000000})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->max_chunks, 20'000'000u);
  EXPECT_EQ(parse(R"({"source": "a.nc", "store": "s"})")->max_chunks, plan::kDefaultMaxChunks);
  expect_error(R"({"source": "a.nc", "store": "s", "max_chunks": 0})",
               "job.json: max_chunks: must be a positive integer, got 0");
  expect_error(R"({"source": "a.nc", "store": "s", "max_chunks": 1e9})",
               "job.json: max_chunks: must be a positive integer, got 1000000000.0");
  const char* argv[] = {"zpmpi", "--config", "job.json", "--max-chunks", "123"};
  auto cli = parse_cli(5, argv);
  ASSERT_TRUE(cli.ok()) << cli.error().message;
  ASSERT_TRUE(apply_cli(*cli, *c).ok());
  EXPECT_EQ(c->max_chunks, 123u);
  for (const char* bad : {"0", "-1", "1e6", "", "12x", "99999999999999999999"}) {
    const char* args[] = {"zpmpi", "--config", "job.json", "--max-chunks", bad};
    auto b = parse_cli(5, args);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.error().message, "--max-chunks must be a positive integer, got '" + std::string(bad) + "'");
  }
}

TEST(Config, StatsFileFromTheJobOrTheFlag) {
  auto c = parse(R"({"source": "a.nc", "store": "s", "stats": "run.json"})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->stats, "run.json");
  EXPECT_EQ(parse(R"({"source": "a.nc", "store": "s"})")->stats, "");
  expect_error(R"({"source": "a.nc", "store": "s", "stats": ""})", "job.json: stats: must not be empty");
  const char* argv[] = {"zpmpi", "--config", "job.json", "--stats", "other.json"};
  auto cli = parse_cli(5, argv);
  ASSERT_TRUE(cli.ok()) << cli.error().message;
  ASSERT_TRUE(apply_cli(*cli, *c).ok());
  EXPECT_EQ(c->stats, "other.json");
  const char* empty[] = {"zpmpi", "--config", "job.json", "--stats", ""};
  auto e = parse_cli(5, empty);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "--stats needs a file name");
  EXPECT_EQ(e.error().code, ExitCode::kUsage);
}

TEST(Config, CompressorErrorsCarryTheKey) {
  auto c = parse(R"({"source": "a.nc", "store": "a.zarr", "compressor": {"id": "bz2"}})");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind("job.json: compressor: id: ", 0), 0u) << c.error().message;
  EXPECT_EQ(c.error().code, ExitCode::kUsage);
  const std::string base = R"("source": "a.nc", "store": "a.zarr")";
  expect_error("{" + base + R"(, "compressor": {"id": "gzip", "level": 12}})",
               "job.json: compressor: level: must be from 1 to 9, got 12");
  expect_error("{" + base + R"(, "compressor": {"id": "blosc", "cname": "blosclz"}})",
               R"(job.json: compressor: cname: must be "lz4" or "zstd", got "blosclz")");
  expect_error("{" + base + R"(, "compressor": {"id": "blosc", "shuffle": 3}})",
               "job.json: compressor: shuffle: must be from 0 to 2, got 3");
}

TEST(Config, GzipAndBloscCompressors) {
  auto gz = parse(R"({"source": "a.nc", "store": "a.zarr", "compressor": {"id": "gzip", "level": 6}})");
  ASSERT_TRUE(gz.ok()) << gz.error().message;
  EXPECT_EQ(gz->compressor.id, codec::CodecId::kGzip);
  EXPECT_EQ(gz->compressor.level, 6);
  auto bl = parse(R"({"source": "a.nc", "store": "a.zarr",
                      "compressor": {"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2}})");
  ASSERT_TRUE(bl.ok()) << bl.error().message;
  EXPECT_EQ(bl->compressor.id, codec::CodecId::kBlosc);
  EXPECT_EQ(bl->compressor.cname, codec::BloscName::kZstd);
  EXPECT_EQ(bl->compressor.clevel, 3);
  EXPECT_EQ(bl->compressor.shuffle, codec::kBitShuffle);
  auto defaults = parse(R"({"source": "a.nc", "store": "a.zarr", "compressor": {"id": "blosc"}})");
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->compressor.cname, codec::BloscName::kLz4);
  EXPECT_EQ(defaults->compressor.clevel, 5);
  EXPECT_EQ(defaults->compressor.shuffle, codec::kByteShuffle);
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
  // Every flag's value is checked as the command line is read, like --workers.
  const char* bad_mem[] = {"zpmpi", "--config", "j.json", "--memory-limit", "much"};
  auto mem = parse_cli(5, bad_mem);
  ASSERT_FALSE(mem.ok());
  EXPECT_EQ(mem.error().message, "--memory-limit: cannot parse 'much' as a size (e.g. 2GB, 512MiB)");
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

TEST(Config, SourceUrisEngineAndConcatDim) {
  auto many = parse(R"({"source": {"uri": ["a.nc", "b.nc"], "concat_dim": "time"}, "store": "a.zarr"})");
  ASSERT_TRUE(many.ok()) << many.error().message;
  EXPECT_EQ(many->source.uris, (std::vector<std::string>{"a.nc", "b.nc"}));
  EXPECT_EQ(many->source.concat_dim, "time");
  EXPECT_EQ(many->source.engine, source::Engine::kNetcdf);
  // A .json uri is a kerchunk reference set unless the engine says otherwise.
  auto refs = parse(R"({"source": "refs/era5.json", "store": "a.zarr"})");
  ASSERT_TRUE(refs.ok()) << refs.error().message;
  EXPECT_EQ(refs->source.engine, source::Engine::kKerchunk);
  auto forced = parse(R"({"source": {"uri": "odd.json", "engine": "netcdf"}, "store": "a.zarr"})");
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->source.engine, source::Engine::kNetcdf);
  auto expect_error = [](const std::string& text, const std::string& message) {
    auto c = parse(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.error().message, message);
  };
  expect_error(R"({"source": {"uri": []}, "store": "a.zarr"})",
               "job.json: source.uri: must be a path or a non-empty list of paths, got []");
  expect_error(R"({"source": {"uri": ["a.nc", 3]}, "store": "a.zarr"})", "job.json: source.uri[1]: must be a string, got 3");
  expect_error(R"({"source": {"uri": ["a.nc", ""]}, "store": "a.zarr"})", "job.json: source.uri[1]: is empty");
  expect_error(R"({"source": {"uri": ["a.json", "b.json"], "engine": "kerchunk"}, "store": "a.zarr"})",
               "job.json: source.uri: a kerchunk source is one reference file, got 2");
  expect_error(R"({"source": {"uri": "a.json", "group": "g"}, "store": "a.zarr"})",
               "job.json: source.group: applies to netCDF sources only, not to a kerchunk reference set");
}

TEST(Config, SourceStorageAndRemoteOptions) {
  auto ok = parse(R"({"source": {"uri": "s3://b/refs.json.zst", "storage_options": {"anon": true},
      "remote_options": {"key": "AKID", "secret": "s", "endpoint_url": "https://o.s3-ext.jc.rl.ac.uk",
                         "client_kwargs": {"region_name": "uk"}}}, "store": "a.zarr"})");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->source.engine, source::Engine::kKerchunk);  // a compressed reference set
  EXPECT_EQ(ok->source.storage_options.anon, true);
  EXPECT_EQ(ok->source.remote_options.key, "AKID");
  EXPECT_EQ(ok->source.remote_options.region, "uk");
  expect_error(R"({"source": {"uri": "s3://b/refs.json", "storage_options": {"annon": true}}, "store": "a.zarr"})",
               "job.json: source.storage_options: unknown key 'annon' (known: anon, key, secret, token, endpoint_url, "
               "client_kwargs.region_name, profile)");
  expect_error(R"({"source": {"uri": "a.nc", "remote_options": {"anon": true}}, "store": "a.zarr"})",
               "job.json: source.remote_options: applies to the chunk urls of a kerchunk reference set only (use "
               "storage_options)");
  expect_error(R"({"source": {"uri": "a.json", "remote_options": {"key": "AKID", "secret": 7}}, "store": "a.zarr"})",
               "job.json: source.remote_options.secret: must be a non-empty string, got a value (not shown)");
}

TEST(Config, SourceDecoder) {
  auto plain = parse(R"({"source": "a.nc", "store": "a.zarr"})");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->source.decoder, source::Decoder::kZpmpi);
  auto forced = parse(R"({"source": {"uri": "a.nc", "decoder": "netcdf-c"}, "store": "a.zarr"})");
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  EXPECT_EQ(forced->source.decoder, source::Decoder::kNetcdfC);
  auto bad = parse(R"({"source": {"uri": "a.nc", "decoder": "hdf5"}, "store": "a.zarr"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "job.json: source.decoder: decoder 'hdf5' is not supported (supported: zpmpi, netcdf-c)");
  auto refs = parse(R"({"source": {"uri": "a.json", "decoder": "netcdf-c"}, "store": "a.zarr"})");
  ASSERT_FALSE(refs.ok());
  EXPECT_EQ(refs.error().message, "job.json: source.decoder: applies to netCDF sources only (a kerchunk reference "
                                  "set is always decoded by zpmpi)");
}

TEST(Config, SourceGroup) {
  auto c = parse(R"({"source": {"uri": "a.nc", "group": "g1/g2"}, "store": "a.zarr"})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->source.group, "g1/g2");
  auto plain = parse(R"({"source": "a.nc", "store": "a.zarr"})");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->source.group, "");
  auto bad = parse(R"({"source": {"uri": "a.nc", "group": 3}, "store": "a.zarr"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("source.group"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace zpmpi::app

namespace zpmpi::app {
namespace {

Result<Config> with_cli(const std::string& keys, std::vector<const char*> flags) {
  auto c = parse(R"({"source": "a.nc", "store": "s")" + keys + "}");
  if (!c.ok()) return c.error();
  flags.insert(flags.begin(), {"zpmpi", "--config", "job.json"});
  auto cli = parse_cli(static_cast<int>(flags.size()), flags.data());
  if (!cli.ok()) return cli.error();
  ZPMPI_RETURN_IF_ERROR(apply_cli(*cli, *c));
  return c;
}

TEST(Config, ZarrFormatAndShards) {
  auto plain = with_cli("", {});
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->zarr_format, zarr::ZarrFormat::kV2);
  EXPECT_FALSE(plain->shards);

  auto v3 = with_cli(R"(, "zarr_format": 3, "shards": {"time": 240, "latitude": "auto"})", {});
  ASSERT_TRUE(v3.ok()) << v3.error().message;
  EXPECT_EQ(v3->zarr_format, zarr::ZarrFormat::kV3);
  ASSERT_TRUE(v3->shards);
  EXPECT_FALSE(v3->shards->all_auto);
  EXPECT_EQ(v3->shards->sizes, (std::map<std::string, std::optional<std::uint64_t>>{{"time", 240},
                                                                                     {"latitude", std::nullopt}}));
  auto all = with_cli(R"(, "zarr_format": 3, "shards": "auto")", {});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->shards->all_auto);
  EXPECT_TRUE(all->shards->sizes.empty());
  auto unsharded = with_cli(R"(, "zarr_format": 3, "shards": null)", {});
  ASSERT_TRUE(unsharded.ok());
  EXPECT_FALSE(unsharded->shards);
}

TEST(Config, ZarrFormatAndShardsErrorsNameTheKey) {
  const std::string base = R"({"source": "a.nc", "store": "s", )";
  expect_error(base + R"("zarr_format": 4})", "job.json: zarr_format: must be 2 or 3, got 4");
  expect_error(base + R"("zarr_format": "3"})", "job.json: zarr_format: must be 2 or 3, got \"3\"");
  expect_error(base + R"("shards": {"time": 0}})", "job.json: shards.time: must be a positive integer or \"auto\", got 0");
  expect_error(base + R"("shards": {"time": -24}})",
               "job.json: shards.time: must be a positive integer or \"auto\", got -24");
  expect_error(base + R"("shards": {"time": "big"}})",
               "job.json: shards.time: must be a positive integer or \"auto\", got \"big\"");
  expect_error(base + R"("shards": {}})",
               "job.json: shards: must be \"auto\" or an object dim -> size or \"auto\", got {}");
  expect_error(base + R"("shards": 24})",
               "job.json: shards: must be \"auto\" or an object dim -> size or \"auto\", got 24");
  // Without zarr_format 3 (the default is 2), once the flags have had their say.
  auto v2 = with_cli(R"(, "shards": "auto")", {});
  ASSERT_FALSE(v2.ok());
  EXPECT_EQ(v2.error().message, "job.json: shards: needs zarr_format 3 (zarr_format is 2)");
  EXPECT_EQ(v2.error().code, ExitCode::kUsage);
  auto flag_v2 = with_cli(R"(, "zarr_format": 3, "shards": "auto")", {"--zarr-format", "2"});
  ASSERT_FALSE(flag_v2.ok());
  EXPECT_EQ(flag_v2.error().message, "job.json: shards: needs zarr_format 3 (zarr_format is 2)");
  auto flag_shards = with_cli("", {"--shards", "auto"});
  ASSERT_FALSE(flag_shards.ok());
  EXPECT_EQ(flag_shards.error().message, "--shards needs zarr_format 3 (zarr_format is 2)");
  EXPECT_TRUE(with_cli(R"(, "shards": "auto")", {"--zarr-format", "3"}).ok());  // the flag completes the job
}

TEST(Config, ZarrFormatAndShardsFlags) {
  auto c = with_cli("", {"--zarr-format", "3", "--shards", "time=240,latitude=auto"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->zarr_format, zarr::ZarrFormat::kV3);
  ASSERT_TRUE(c->shards);
  EXPECT_EQ(c->shards->sizes, (std::map<std::string, std::optional<std::uint64_t>>{{"time", 240},
                                                                                    {"latitude", std::nullopt}}));
  auto over = with_cli(R"(, "zarr_format": 3, "shards": {"time": 24})", {"--shards", "auto"});
  ASSERT_TRUE(over.ok());
  EXPECT_TRUE(over->shards->all_auto);
  EXPECT_TRUE(over->shards->sizes.empty());  // the flag replaces the job's shards
  const std::pair<const char*, const char*> bad[] = {
      {"time", "--shards: 'time' is not DIM=SIZE (e.g. time=240,latitude=auto, or auto)"},
      {"=24", "--shards: '=24' is not DIM=SIZE (e.g. time=240,latitude=auto, or auto)"},
      {"time=24,", "--shards: '' is not DIM=SIZE (e.g. time=240,latitude=auto, or auto)"},
      {"time=0", "--shards: time must be a positive integer or auto, got '0'"},
      {"time=-5", "--shards: time must be a positive integer or auto, got '-5'"},
      {"time=24,time=48", "--shards: time is given twice"},
  };
  for (const auto& [value, message] : bad) {
    auto b = with_cli(R"(, "zarr_format": 3)", {"--shards", value});
    ASSERT_FALSE(b.ok()) << value;
    EXPECT_EQ(b.error().message, message);
    EXPECT_EQ(b.error().code, ExitCode::kUsage);
  }
  auto four = with_cli("", {"--zarr-format", "4"});
  ASSERT_FALSE(four.ok());
  EXPECT_EQ(four.error().message, "--zarr-format must be 2 or 3");
}

TEST(Config, ZarrFormatAndShardsChangeTheStore) {
  // --resume compares them (resume_record.hpp), and their flags too (store_flags).
  EXPECT_TRUE(find_config_key("zarr_format")->changes_store);
  EXPECT_TRUE(find_config_key("shards")->changes_store);
  const char* argv[] = {"zpmpi", "--config", "job.json", "--zarr-format", "3", "--shards", "time=24",
                        "--workers", "2", "--store", "elsewhere.zarr"};
  auto cli = parse_cli(11, argv);
  ASSERT_TRUE(cli.ok()) << cli.error().message;
  EXPECT_EQ(store_flags(*cli), (boost::json::object{{"zarr_format", 3}, {"shards", "time=24"}}));
}

}  // namespace
}  // namespace zpmpi::app
