// resolve_source's S3 options (completed from the environment where they can be used) and
// the netCDF engine's refusal of an s3:// file.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "zpmpi/source/source.hpp"

namespace zpmpi::source {
namespace {

EnvLookup table(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(ResolveSource, S3OptionsAreCompletedFromTheEnvironmentForAKerchunkSet) {
  SourceSpec spec;
  spec.uris = {"s3://refs/era5.json.zst"};
  spec.engine = Engine::kKerchunk;
  spec.storage_options.anon = true;
  const auto env = table({{"HOME", "/nonexistent"}, {"AWS_ACCESS_KEY_ID", "ENVKEY"}, {"AWS_SECRET_ACCESS_KEY", "s"},
                          {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"}});
  auto r = resolve_source(spec, env);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->storage_options.anon, true);
  EXPECT_FALSE(r->storage_options.key);  // anonymous: the environment's key is not taken
  EXPECT_EQ(r->remote_options.key, "ENVKEY");
  EXPECT_EQ(r->remote_options.endpoint_url, "http://127.0.0.1:9000");
  EXPECT_EQ(r->remote_options.region, "us-east-1");
}

TEST(ResolveSource, AProfileTheJobNamesMustExistOneTheEnvironmentNamesNeedNot) {
  SourceSpec spec;
  spec.uris = {"refs.json"};
  spec.engine = Engine::kKerchunk;
  const auto env = table({{"HOME", "/nonexistent"}, {"AWS_PROFILE", "gone"}});
  // Not given in the job: left for the first s3:// request (a local set may have none).
  auto quiet = resolve_source(spec, env);
  ASSERT_TRUE(quiet.ok()) << quiet.error().message;
  EXPECT_EQ(quiet->remote_options, S3Options{});
  spec.remote_options.profile = "gone";
  auto named = resolve_source(spec, env);
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().message.rfind("source.remote_options: AWS profile 'gone' (from the options) is in neither", 0), 0u)
      << named.error().message;
}

TEST(OpenSource, ANetcdfFileOnS3IsRefusedSayingWhatToDoInstead) {
  SourceSpec spec;
  spec.uris = {"s3://era5/t2m.nc"};
  auto s = open_source(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ExitCode::kUsage);
  EXPECT_EQ(s.error().message.rfind("source.uri: s3://era5/t2m.nc: netCDF files on S3 are not supported yet", 0), 0u)
      << s.error().message;
}

}  // namespace
}  // namespace zpmpi::source
