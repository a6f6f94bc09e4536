// The S3 options (s3fs spelling), their resolution from a fake environment and temporary
// AWS shared files, and the secrets kept out of what is written.
#include "zpmpi/source/s3_options.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "ranges/aws_ini.hpp"

namespace zpmpi::source {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

Result<S3Options> parse(std::string_view text) { return parse_s3_options(json::parse(text), "source.storage_options"); }

std::string error_of(std::string_view text) {
  auto r = parse(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message;
}

TEST(S3Options, ParsesTheS3fsKeys) {
  auto o = parse(R"({"anon": false, "key": "AKID", "secret": "s3cr3t", "token": "tok", "endpoint_url": "https://h:9000",
                     "client_kwargs": {"region_name": "eu-west-2"}, "profile": "jasmin"})");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->anon, false);
  EXPECT_EQ(o->key, "AKID");
  EXPECT_EQ(o->secret, "s3cr3t");
  EXPECT_EQ(o->token, "tok");
  EXPECT_EQ(o->endpoint_url, "https://h:9000");
  EXPECT_EQ(o->region, "eu-west-2");
  EXPECT_EQ(o->profile, "jasmin");
  auto empty = parse("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, S3Options{});
}

TEST(S3Options, RefusesWhatS3fsWouldNotTakeNamingTheKey) {
  EXPECT_EQ(error_of(R"({"anon": 1})"), "source.storage_options.anon: must be true or false, got 1");
  EXPECT_EQ(error_of(R"({"aws_access_key_id": "x"})"),
            "source.storage_options: unknown key 'aws_access_key_id' (known: anon, key, secret, token, endpoint_url, "
            "client_kwargs.region_name, profile)");
  EXPECT_EQ(error_of(R"({"client_kwargs": {"verify": false}})"),
            "source.storage_options.client_kwargs: unknown key 'verify' (known: region_name)");
  EXPECT_EQ(error_of(R"({"key": "AKID"})"), "source.storage_options: give both key and secret, or neither");
  EXPECT_EQ(error_of(R"({"anon": true, "key": "a", "secret": "b"})"),
            "source.storage_options: anon is true: credentials (key, secret, token, profile) would not be used");
  EXPECT_EQ(error_of(R"({"endpoint_url": "h:9000"})"),
            "source.storage_options.endpoint_url: must start with http:// or https://, got \"h:9000\"");
  EXPECT_EQ(error_of("[]"), "source.storage_options: must be an object of s3fs options, got []");
}

TEST(S3Options, NeverShowsASecretInAMessage) {
  const std::string m = error_of(R"({"key": "AKID", "secret": 12345678})");
  EXPECT_EQ(m, "source.storage_options.secret: must be a non-empty string, got a value (not shown)");
  EXPECT_EQ(m.find("12345678"), std::string::npos);
}

TEST(S3Options, GoToTheOtherRanksWhole) {
  auto o = parse(R"({"key": "AKID", "secret": "s", "token": "t", "endpoint_url": "http://127.0.0.1:1",
                     "client_kwargs": {"region_name": "r"}, "profile": "p"})");
  ASSERT_TRUE(o.ok());
  auto back = s3_options_from_json(s3_options_json(*o));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *o);
}

TEST(S3Options, AreWrittenWithoutTheirSecrets) {
  const json::value source = json::parse(R"({"uri": "s3://b/refs.json", "storage_options": {"key": "AKID", "secret": "s",
      "endpoint_url": "http://e"}, "remote_options": {"token": "t", "anon": false}})");
  EXPECT_EQ(json::serialize(without_s3_secrets(source)),
            R"({"uri":"s3://b/refs.json","storage_options":{"key":"***","secret":"***","endpoint_url":"http://e"},)"
            R"("remote_options":{"token":"***","anon":false}})");
  EXPECT_EQ(json::serialize(without_s3_secrets(json::value("a.nc"))), "\"a.nc\"");
}

/// A fake environment and its own AWS shared files in a scratch directory.
struct Env {
  std::map<std::string, std::string> vars;
  fs::path dir;

  explicit Env(const std::string& name) : dir(fs::path(ZPMPI_TEST_TMP) / "s3_options" / name) {
    fs::remove_all(dir);
    fs::create_directories(dir / ".aws");
    vars["HOME"] = dir.string();
  }
  void file(const std::string& name, const std::string& text) { std::ofstream(dir / ".aws" / name) << text; }
  EnvLookup lookup() const {
    return [this](const char* n) -> const char* {
      auto it = vars.find(n);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
  Result<S3Options> resolve(const S3Options& given = {}) const { return resolve_s3_options(given, lookup()); }
};

TEST(S3Resolve, NothingAnywhereIsUnsignedWithoutCredentialsInUsEast1) {
  Env env("nothing");
  auto o = env.resolve();
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->anon, false);
  EXPECT_FALSE(o->key);
  EXPECT_EQ(o->region, "us-east-1");
  EXPECT_FALSE(o->endpoint_url);
}

TEST(S3Resolve, OptionsWinOverTheEnvironmentAndFiles) {
  Env env("options");
  env.vars = {{"HOME", env.vars["HOME"]}, {"AWS_ACCESS_KEY_ID", "ENVKEY"}, {"AWS_SECRET_ACCESS_KEY", "envsecret"},
              {"AWS_REGION", "eu-north-1"}, {"AWS_ENDPOINT_URL", "http://env:1"}};
  env.file("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  S3Options given;
  given.key = "OPTKEY", given.secret = "optsecret", given.region = "eu-west-2", given.endpoint_url = "http://opt:2";
  auto o = env.resolve(given);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->key, "OPTKEY");
  EXPECT_EQ(o->secret, "optsecret");
  EXPECT_FALSE(o->token);
  EXPECT_EQ(o->region, "eu-west-2");
  EXPECT_EQ(o->endpoint_url, "http://opt:2");
}

TEST(S3Resolve, TheEnvironmentWinsOverTheFiles) {
  Env env("environment");
  env.vars.insert({{"AWS_ACCESS_KEY_ID", "ENVKEY"}, {"AWS_SECRET_ACCESS_KEY", "envsecret"}, {"AWS_SESSION_TOKEN", "envtoken"},
                   {"AWS_DEFAULT_REGION", "ap-south-1"}, {"AWS_ENDPOINT_URL", "http://generic:1"},
                   {"AWS_ENDPOINT_URL_S3", "http://s3only:2"}});
  env.file("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  env.file("config", "[default]\nregion = eu-west-1\n");
  auto o = env.resolve();
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->key, "ENVKEY");
  EXPECT_EQ(o->secret, "envsecret");
  EXPECT_EQ(o->token, "envtoken");
  EXPECT_EQ(o->region, "ap-south-1");
  EXPECT_EQ(o->endpoint_url, "http://s3only:2");
  env.vars["AWS_REGION"] = "us-west-2";  // AWS_REGION before AWS_DEFAULT_REGION
  EXPECT_EQ(env.resolve()->region, "us-west-2");
}

TEST(S3Resolve, AProfileComesFromBothFiles) {
  Env env("profile");
  env.file("credentials",
           "# JASMIN\n[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n\n"
           "[jasmin]\naws_access_key_id = JKEY\n; a comment\naws_secret_access_key = jsecret\naws_session_token = jtok\n");
  env.file("config", "[default]\nregion = eu-west-1\n[profile jasmin]\nregion = uk-south\n"
                     "endpoint_url = https://tenancy-o.s3-ext.jc.rl.ac.uk\ns3 =\n  addressing_style = path\n");
  env.vars["AWS_ACCESS_KEY_ID"] = "ENVKEY";  // a profile named in the options passes over these
  env.vars["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  S3Options given;
  given.profile = "jasmin";
  auto o = env.resolve(given);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->key, "JKEY");
  EXPECT_EQ(o->secret, "jsecret");
  EXPECT_EQ(o->token, "jtok");
  EXPECT_EQ(o->region, "uk-south");
  EXPECT_EQ(o->endpoint_url, "https://tenancy-o.s3-ext.jc.rl.ac.uk");
  env.vars.erase("AWS_ACCESS_KEY_ID");
  env.vars["AWS_PROFILE"] = "jasmin";  // the same profile, named by the environment
  auto by_env = env.resolve();
  ASSERT_TRUE(by_env.ok()) << by_env.error().message;
  EXPECT_EQ(by_env->key, "JKEY");
  env.vars.erase("AWS_PROFILE");
  auto by_default = env.resolve();
  ASSERT_TRUE(by_default.ok()) << by_default.error().message;
  EXPECT_EQ(by_default->key, "DEFKEY");
  EXPECT_EQ(by_default->region, "eu-west-1");
}

TEST(S3Resolve, TheFilesMayLiveElsewhere) {
  Env env("elsewhere");
  std::ofstream(env.dir / "creds") << "[default]\naws_access_key_id = MOVED\naws_secret_access_key = s\n";
  std::ofstream(env.dir / "conf") << "[default]\nregion = sa-east-1\n";
  env.vars["AWS_SHARED_CREDENTIALS_FILE"] = (env.dir / "creds").string();
  env.vars["AWS_CONFIG_FILE"] = (env.dir / "conf").string();
  env.file("credentials", "[default]\naws_access_key_id = HOMEKEY\naws_secret_access_key = s\n");
  auto o = env.resolve();
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->key, "MOVED");
  EXPECT_EQ(o->region, "sa-east-1");
}

TEST(S3Resolve, AnonymousTakesNoCredentials) {
  Env env("anon");
  env.vars["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  S3Options given;
  given.anon = true;
  auto o = env.resolve(given);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->anon, true);
  EXPECT_FALSE(o->key);
  EXPECT_FALSE(o->secret);
  EXPECT_FALSE(o->profile);
  auto sent = s3_options_from_json(s3_options_json(*o));  // what the other ranks get
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(*sent, *o);
}

TEST(S3Resolve, RefusesAMissingProfileAndAHalfKey) {
  Env env("refused");
  S3Options given;
  given.profile = "nowhere";
  auto o = env.resolve(given);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message, "AWS profile 'nowhere' (from the options) is in neither " + (env.dir / ".aws/credentials").string() +
                                   " nor " + (env.dir / ".aws/config").string());
  env.file("credentials", "[default]\naws_access_key_id = ONLYKEY\n");
  auto half = env.resolve();
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.error().message, (env.dir / ".aws/credentials").string() +
                                      ": profile 'default': aws_access_key_id and aws_secret_access_key go together");
  env.file("credentials", "[default]\njust words\n");
  auto bad = env.resolve();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, (env.dir / ".aws/credentials").string() + ": line 2: not 'name = value'");
}

TEST(AwsIni, ReadsSectionsKeysAndSkipsCommentsAndNestedBlocks) {
  auto s = parse_aws_ini("; top\n[a]\nk = v = w\n  nested = skipped\n[ profile b ]\r\nx=1\r\n\n# end\n", "f");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->at("a").at("k"), "v = w");
  EXPECT_EQ(s->at("a").size(), 1u);
  EXPECT_EQ(s->at("profile b").at("x"), "1");
  EXPECT_EQ(parse_aws_ini("k = v\n", "f").error().message, "f: line 1: a key before the first [section]");
  EXPECT_EQ(parse_aws_ini("[a\n", "f").error().message, "f: line 1: a section header must end with ']'");
}

}  // namespace
}  // namespace zpmpi::source
