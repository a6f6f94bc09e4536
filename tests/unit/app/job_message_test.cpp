#include "zpmpi/app/job_message.hpp"

#include <gtest/gtest.h>

#include "zpmpi/app/plan_bounds.hpp"

namespace zpmpi::app {
namespace {

JobMessage sample() {
  JobMessage m;
  m.source.uris = {"/data/era5 2000.nc", "/data/\xe9ra5 2001.nc"};
  m.source.group = "/g1/g2";
  m.source.concat_dim = "time";
  m.source.decoder = source::Decoder::kNetcdfC;
  m.source.lengths = {744, 0, 720, 1ULL << 40};  // what the other ranks build the description from
  m.source.warnings = {"source: a gap along time between a.nc and b.nc"};
  m.source.storage_options.anon = true;  // resolved S3 options: every rank reads with them
  m.source.storage_options.region = "eu-west-2";
  m.source.remote_options.key = "AKID";
  m.source.remote_options.secret = "s";
  m.source.remote_options.token = "t";
  m.source.remote_options.endpoint_url = "http://127.0.0.1:9000";
  m.source.remote_options.profile = "default";
  m.store = "/data/.caf\xe9.zarr.zpmpi-new-n1-42";  // a latin-1 byte: a path, not UTF-8
  m.codec.id = codec::CodecId::kLz4;
  m.codec.acceleration = 3;
  m.log_level = 2;
  m.fsync = true;
  plan::PlanOptions options;
  options.num_jobs = 2;
  options.num_ranks = 2;
  options.bounds = owner_bounds(m.codec);
  model::ArrayLayout a;
  a.name = "v";
  a.shape = {4};
  a.chunks = {2};
  a.alignment = {4};
  a.source = {"v", {"x"}, {4}, {4}, false, false};
  a.map = model::IndexMap::identity({4});
  auto plan = plan::make_plan({a}, options);
  EXPECT_TRUE(plan.ok());
  m.plan = std::move(plan).value();
  return m;
}

TEST(JobMessage, RoundTripsEveryField) {
  const JobMessage m = sample();
  auto back = decode_job_message(encode_job_message(m));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->source, m.source);
  EXPECT_EQ(back->store, m.store);
  EXPECT_EQ(back->codec.id, codec::CodecId::kLz4);
  EXPECT_EQ(back->codec.acceleration, 3);
  EXPECT_EQ(back->log_level, 2);
  EXPECT_TRUE(back->fsync);
  EXPECT_EQ(back->plan, m.plan);
}

TEST(JobMessage, CarriesGzipAndBlosc) {
  JobMessage m = sample();
  m.codec = codec::CodecSpec{codec::CodecId::kBlosc};
  m.codec.cname = codec::BloscName::kZstd;
  m.codec.clevel = 7;
  m.codec.shuffle = codec::kBitShuffle;
  auto blosc = decode_job_message(encode_job_message(m));
  ASSERT_TRUE(blosc.ok()) << blosc.error().message;
  EXPECT_EQ(blosc->codec, m.codec);
  m.codec = codec::CodecSpec{codec::CodecId::kGzip, 8};
  auto gzip = decode_job_message(encode_job_message(m));
  ASSERT_TRUE(gzip.ok()) << gzip.error().message;
  EXPECT_EQ(gzip->codec, m.codec);
}

TEST(JobMessage, MalformedIsAnErrorNotAThrow) {
  const std::string good = encode_job_message(sample());
  for (const std::string& text : {std::string(), std::string("[]"), std::string(R"({"source": "a"})"),
                                  good.substr(0, good.size() - 1) + R"(,"extra":1})",
                                  std::string(R"({"source":{"uris":"a","engine":"","group":"","concat_dim":""},"store":"s","compressor":null,)"
                                              R"("log_level":1,"plan":"{}"})"),
                                  std::string(R"({"source":{"uris":["a"],"engine":"","group":"","concat_dim":"",)"
                                              R"("lengths":[-1],"warnings":[]},"store":"s","compressor":null,)"
                                              R"("log_level":1,"plan":"{}"})")}) {
    auto m = decode_job_message(text);
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_EQ(m.error().message.rfind("internal: ", 0), 0u) << m.error().message;
  }
}

TEST(JobMessage, EngineAndDecoderTravelByNameAndAnUnknownOneIsAnError) {
  const std::string good = encode_job_message(sample());
  ASSERT_NE(good.find(R"("engine":"netcdf")"), std::string::npos) << good;
  ASSERT_NE(good.find(R"("decoder":"netcdf-c")"), std::string::npos) << good;
  for (const auto& [from, to] : {std::pair{R"("engine":"netcdf")", R"("engine":"zarr")"},
                                 std::pair{R"("decoder":"netcdf-c")", R"("decoder":"hdf5")"}}) {
    std::string bad = good;
    bad.replace(bad.find(from), std::string(from).size(), to);
    auto m = decode_job_message(bad);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.error().message.rfind("internal: ", 0), 0u) << m.error().message;
  }
}

}  // namespace
}  // namespace zpmpi::app
