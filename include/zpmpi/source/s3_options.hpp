// How s3:// urls are reached: the job's source.storage_options (the uri itself) and
// source.remote_options (the chunk urls of a kerchunk reference set), spelled as s3fs takes
// them so that fsspec users' jobs port unchanged:
//   {"anon": true}                                         a public bucket, no signature
//   {"key": "AKIA...", "secret": "...", "token": "...",    explicit credentials (token:
//    "endpoint_url": "https://tenancy-o.s3-ext.jc.rl.ac.uk",  a session token), an
//    "client_kwargs": {"region_name": "eu-west-2"},          S3-compatible endpoint,
//    "profile": "jasmin"}                                    a region, a named profile
// Any other key is refused, naming it. What the options leave open comes from the
// environment, as boto3 reads it: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION or
// AWS_DEFAULT_REGION, AWS_PROFILE; then the shared files ~/.aws/credentials and
// ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE move them) for the profile
// (options' "profile", else AWS_PROFILE, else "default"). Credentials come whole from one
// place: options (key and secret), else a profile named in the options, else the
// environment's key pair, else the profile's files. No credentials anywhere and no
// "anon" is an error at the first s3:// request, naming the url and these places.
//
// Rank 0 resolves the options once (resolve_s3_options, with the process environment as
// app reads it) and every rank uses the resolved options it is sent: the ranks need not
// share a home directory. Secrets (key, secret, token) are never part of a message, a log
// line, the plan, the stats, the resume record or the store: see is_s3_secret_option.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "zpmpi/model/result.hpp"

namespace zpmpi::source {

/// Options as given (unset = not given), or resolved (resolve_s3_options: every field that
/// matters is set).
struct S3Options {
  std::optional<bool> anon;
  std::optional<std::string> key;           ///< access key id
  std::optional<std::string> secret;        ///< secret access key
  std::optional<std::string> token;         ///< session token
  std::optional<std::string> endpoint_url;  ///< "https://host[:port][/prefix]": path-style urls
  std::optional<std::string> region;        ///< client_kwargs.region_name
  std::optional<std::string> profile;
  bool operator==(const S3Options&) const = default;
};

/// Parses a job's options object; errors are kUsage and start with `key`
/// ("source.remote_options.anon: must be true or false, got 1").
Result<S3Options> parse_s3_options(const boost::json::value& value, const std::string& key);

/// The options as JSON in the job file's spelling (secrets included: for the message that
/// rank 0 sends the other ranks, nothing that is written or logged), and back.
boost::json::value s3_options_json(const S3Options& options);
Result<S3Options> s3_options_from_json(const boost::json::value& value);

/// True for the option names whose values are secret: "key", "secret", "token".
bool is_s3_secret_option(std::string_view name);

/// A job's "source" object with the secret values of its storage_options and
/// remote_options replaced by "***": what may be written (the resume record, provenance).
boost::json::value without_s3_secrets(const boost::json::value& source);

/// Ok when resolved `options` can read `url` (an s3:// url): anonymously, or with a key;
/// else the usage error every s3:// request would meet, naming the url and where
/// credentials come from (so that a source refuses it when opened, not at its first read).
Status check_s3_credentials(const std::string& url, const S3Options& options);

/// An environment variable's value, or null (getenv, or a test's table).
using EnvLookup = std::function<const char*(const char*)>;

/// `given` completed from the environment and the shared files as the header says: the
/// result has `anon` set, and when not anonymous the credentials found (key and secret,
/// perhaps token; none when nothing was found) and the region ("us-east-1" when none
/// is given anywhere) and endpoint_url when one is given. Errors (kUsage) name the
/// place: a named profile that neither file has, a profile with a key but no secret, a
/// shared file that cannot be read.
Result<S3Options> resolve_s3_options(const S3Options& given, const EnvLookup& env);

}  // namespace zpmpi::source
