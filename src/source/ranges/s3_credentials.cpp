// resolve_s3_options: the job's options completed from the environment and the AWS shared
// files, in boto3's order (zpmpi/source/s3_options.hpp says which place wins).
#include <string>

#include "ranges/aws_ini.hpp"
#include "zpmpi/source/s3_options.hpp"

namespace zpmpi::source {
namespace {

std::optional<std::string> env_value(const EnvLookup& env, const char* name) {
  const char* v = env ? env(name) : nullptr;
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

/// The first of `names` that is set.
std::optional<std::string> first_env(const EnvLookup& env, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (auto v = env_value(env, n)) return v;
  return std::nullopt;
}

std::string shared_file(const EnvLookup& env, const char* variable, const char* name) {
  if (auto p = env_value(env, variable)) return *p;
  return env_value(env, "HOME").value_or("") + "/.aws/" + name;
}

/// One profile's keys from both files: the credentials file's [name] over the config file's
/// [profile name] ([default] in both for "default").
struct Profile {
  std::map<std::string, std::string> keys;
  bool found = false;

  std::optional<std::string> get(const char* key) const {
    const auto it = keys.find(key);
    if (it == keys.end() || it->second.empty()) return std::nullopt;
    return it->second;
  }
};

Result<Profile> read_profile(const EnvLookup& env, const std::string& name) {
  Profile p;
  const std::string config = shared_file(env, "AWS_CONFIG_FILE", "config");
  ZPMPI_ASSIGN_OR_RETURN(auto config_ini, read_aws_ini(config));
  if (config_ini) {
    const auto it = config_ini->find(name == "default" ? name : "profile " + name);
    if (it != config_ini->end()) p.keys = it->second, p.found = true;
  }
  const std::string credentials = shared_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  ZPMPI_ASSIGN_OR_RETURN(auto credentials_ini, read_aws_ini(credentials));
  if (credentials_ini) {
    const auto it = credentials_ini->find(name);
    if (it != credentials_ini->end()) {
      for (const auto& [k, v] : it->second) p.keys[k] = v;
      p.found = true;
    }
  }
  if (p.get("aws_access_key_id").has_value() != p.get("aws_secret_access_key").has_value())
    return usage_error(credentials + ": profile '" + name + "': aws_access_key_id and aws_secret_access_key go together");
  return p;
}

/// Credentials from the first place that has them (see the header); `profile` is read already.
void fill_credentials(const S3Options& given, const EnvLookup& env, const Profile& profile, S3Options& out) {
  if (given.key) return;  // given whole in the options
  const auto env_key = env_value(env, "AWS_ACCESS_KEY_ID");
  const auto env_secret = env_value(env, "AWS_SECRET_ACCESS_KEY");
  if (!given.profile && env_key && env_secret) {
    out.key = env_key, out.secret = env_secret, out.token = env_value(env, "AWS_SESSION_TOKEN");
    return;
  }
  if (auto key = profile.get("aws_access_key_id")) {
    out.key = key, out.secret = profile.get("aws_secret_access_key"), out.token = profile.get("aws_session_token");
  }
}

}  // namespace

Status check_s3_credentials(const std::string& url, const S3Options& o) {
  if (o.anon.value_or(false) || o.key) return {};
  return usage_error(url + ": no S3 credentials: give key and secret (or anon: true for a public bucket) in the "
                           "options, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials");
}

Result<S3Options> resolve_s3_options(const S3Options& given, const EnvLookup& env) {
  S3Options out = given;
  out.anon = given.anon.value_or(false);
  const std::string name = given.profile ? *given.profile : env_value(env, "AWS_PROFILE").value_or("default");
  if (!*out.anon) out.profile = name;  // anonymous: no credentials, nor where they came from
  ZPMPI_ASSIGN_OR_RETURN(const Profile profile, read_profile(env, name));
  if (!profile.found && name != "default")
    return usage_error("AWS profile '" + name + "' (from " + (given.profile ? "the options" : "AWS_PROFILE") +
                       ") is in neither " + shared_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials") + " nor " +
                       shared_file(env, "AWS_CONFIG_FILE", "config"));
  if (!out.endpoint_url) out.endpoint_url = first_env(env, {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"});
  if (!out.endpoint_url) out.endpoint_url = profile.get("endpoint_url");
  if (!out.region) out.region = first_env(env, {"AWS_REGION", "AWS_DEFAULT_REGION"});
  if (!out.region) out.region = profile.get("region");
  if (!out.region) out.region = "us-east-1";
  if (!*out.anon) fill_credentials(given, env, profile, out);
  return out;
}

}  // namespace zpmpi::source
