// s3:// urls mapped to https, and S3 error answers told apart; see s3_urls.hpp.
#include "ranges/s3_urls.hpp"

#include <cctype>

namespace zpmpi::source {
namespace {

bool unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

std::string encode_key(std::string_view key) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || c == '/') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string quoted_key(const S3Location& at) { return "key '" + at.key + "' of bucket '" + at.bucket + "'"; }

/// Why a 403 happened, as far as its Code tells.
std::string denied_because(std::string_view code, const S3Options& o) {
  if (code == "SignatureDoesNotMatch") return "the secret does not match the access key id";
  if (code == "InvalidAccessKeyId") return "the server does not know the access key id";
  if (code == "ExpiredToken" || code == "TokenRefreshRequired") return "the session token has expired";
  if (code == "InvalidToken") return "the session token is not valid";
  if (o.anon.value_or(false)) return "the bucket does not allow anonymous reads (anon is true)";
  return "the credentials are not allowed to read it";
}

}  // namespace

Result<S3Location> parse_s3_url(std::string_view url) {
  const std::string u(url);
  if (url.size() < 5 || url.substr(0, 5) != "s3://") return usage_error(u + ": not an s3:// url");
  const std::string_view rest = url.substr(5);
  const auto slash = rest.find('/');
  S3Location at;
  at.bucket = std::string(rest.substr(0, slash));
  if (at.bucket.empty()) return usage_error(u + ": no bucket (s3://bucket/key)");
  for (const char c : at.bucket)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
      return usage_error(u + ": the bucket name '" + at.bucket + "' has a character S3 does not allow");
  if (slash == std::string_view::npos || slash + 1 == rest.size()) return usage_error(u + ": no key (s3://bucket/key)");
  at.key = std::string(rest.substr(slash + 1));
  return at;
}

Result<std::string> s3_object_url(const S3Location& at, const S3Options& o) {
  const std::string key = encode_key(at.key);
  if (o.endpoint_url) {
    const std::string& e = *o.endpoint_url;
    if (!(e.starts_with("http://") || e.starts_with("https://")) || e.find_first_of("?#") != std::string::npos)
      return usage_error("endpoint_url '" + e + "' is not an http(s) url");
    const std::string base = e.ends_with("/") ? e : e + "/";
    return base + at.bucket + "/" + key;
  }
  const std::string region = o.region.value_or("us-east-1");
  const std::string host = "s3." + region + ".amazonaws.com";
  if (at.bucket.find('.') != std::string::npos) return "https://" + host + "/" + at.bucket + "/" + key;
  return "https://" + at.bucket + "." + host + "/" + key;
}

std::string s3_error_code(std::string_view body) {
  const auto open = body.find("<Code>");
  if (open == std::string_view::npos) return {};
  std::string code;
  for (std::size_t i = open + 6; i < body.size() && code.size() < 64; ++i) {
    if (!std::isalnum(static_cast<unsigned char>(body[i]))) break;
    code += body[i];
  }
  if (body.substr(open + 6 + code.size(), 7) != "</Code>") return {};
  return code;
}

std::string s3_failure(const S3Location& at, long status, std::string_view reason, std::string_view code,
                       std::string_view bucket_region, const S3Options& o) {
  const std::string what = code.empty() ? std::string(reason) : std::string(code);
  const std::string http = "HTTP " + std::to_string(status) + (what.empty() ? "" : " " + what);
  if (code == "NoSuchKey" || (status == 404 && code.empty())) return "no " + quoted_key(at) + " (" + http + ")";
  if (code == "NoSuchBucket") return "no bucket '" + at.bucket + "' (" + http + ")";
  if (status == 403) return "reading " + quoted_key(at) + " was refused (" + http + "): " + denied_because(code, o);
  if (!bucket_region.empty() && bucket_region != o.region.value_or(""))
    return "bucket '" + at.bucket + "' is in region " + std::string(bucket_region) + ", not " + o.region.value_or("us-east-1") +
           " (" + http + "): set client_kwargs.region_name or AWS_REGION";
  return "HTTP " + std::to_string(status) + (reason.empty() ? "" : " " + std::string(reason)) +
         (code.empty() ? "" : " (" + std::string(code) + ")");
}

}  // namespace zpmpi::source
