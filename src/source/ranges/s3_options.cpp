// The job's storage_options / remote_options objects (s3fs spelling): parsed, sent to the
// other ranks, and written only without their secrets. See zpmpi/source/s3_options.hpp.
#include <array>

#include <boost/json.hpp>

#include "zpmpi/source/s3_options.hpp"

namespace zpmpi::source {
namespace json = boost::json;
namespace {

constexpr std::array<std::string_view, 3> kSecretNames = {"key", "secret", "token"};
constexpr std::string_view kKnown = "anon, key, secret, token, endpoint_url, client_kwargs.region_name, profile";

/// The field a top-level string option fills; null for a name that is not one.
template <class Options>
auto string_field(Options& o, std::string_view name) -> decltype(&o.key) {
  if (name == "key") return &o.key;
  if (name == "secret") return &o.secret;
  if (name == "token") return &o.token;
  if (name == "endpoint_url") return &o.endpoint_url;
  if (name == "profile") return &o.profile;
  return nullptr;
}

/// A value for a message: a secret option's value is never shown.
std::string shown(std::string_view name, const json::value& v) {
  if (is_s3_secret_option(name)) return "a " + std::string(v.is_string() ? "string" : "value") + " (not shown)";
  std::string s = json::serialize(v);
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

Status parse_client_kwargs(const json::value& v, const std::string& key, S3Options& o) {
  if (!v.is_object()) return usage_error(key + ": must be an object {\"region_name\": ...}, got " + shown("", v));
  for (const auto& [k, value] : v.get_object()) {
    if (k != "region_name")
      return usage_error(key + ": unknown key '" + std::string(k) + "' (known: region_name)");
    if (!value.is_string() || value.get_string().empty())
      return usage_error(key + ".region_name: must be a region name, got " + shown("", value));
    o.region = std::string(value.get_string());
  }
  return {};
}

}  // namespace

bool is_s3_secret_option(std::string_view name) {
  for (std::string_view s : kSecretNames)
    if (name == s) return true;
  return false;
}

Result<S3Options> parse_s3_options(const json::value& value, const std::string& key) {
  if (!value.is_object()) return usage_error(key + ": must be an object of s3fs options, got " + shown("", value));
  S3Options o;
  for (const auto& [k, v] : value.get_object()) {
    const std::string name(k);
    const std::string sub = key + "." + name;
    if (name == "anon") {
      if (!v.is_bool()) return usage_error(sub + ": must be true or false, got " + shown(name, v));
      o.anon = v.get_bool();
    } else if (name == "client_kwargs") {
      ZPMPI_RETURN_IF_ERROR(parse_client_kwargs(v, sub, o));
    } else if (auto* field = string_field(o, name)) {
      if (!v.is_string() || v.get_string().empty()) return usage_error(sub + ": must be a non-empty string, got " + shown(name, v));
      *field = std::string(v.get_string());
    } else {
      return usage_error(key + ": unknown key '" + name + "' (known: " + std::string(kKnown) + ")");
    }
  }
  if (o.key.has_value() != o.secret.has_value())
    return usage_error(key + ": give both key and secret, or neither");
  if (o.token && !o.key) return usage_error(key + ": a token goes with a key and a secret");
  if (o.anon.value_or(false) && (o.key || o.profile))
    return usage_error(key + ": anon is true: credentials (key, secret, token, profile) would not be used");
  if (o.endpoint_url && !(o.endpoint_url->starts_with("http://") || o.endpoint_url->starts_with("https://")))
    return usage_error(key + ".endpoint_url: must start with http:// or https://, got " + shown("", value.at("endpoint_url")));
  return o;
}

json::value s3_options_json(const S3Options& o) {
  json::object out;
  if (o.anon) out["anon"] = *o.anon;
  for (const char* name : {"key", "secret", "token", "endpoint_url", "profile"}) {
    const auto& field = *string_field(o, name);
    if (field) out[name] = *field;
  }
  if (o.region) out["client_kwargs"] = json::object{{"region_name", *o.region}};
  return out;
}

Result<S3Options> s3_options_from_json(const json::value& value) {
  auto o = parse_s3_options(value, "s3 options");
  if (!o.ok()) return runtime_error(o.error().message);
  return o;
}

json::value without_s3_secrets(const json::value& source) {
  json::value out = source;
  json::object* o = out.if_object();
  if (!o) return out;
  for (const char* options : {"storage_options", "remote_options"}) {
    json::object* opts = o->contains(options) ? o->at(options).if_object() : nullptr;
    if (!opts) continue;
    for (auto& [k, v] : *opts)
      if (is_s3_secret_option(k)) v = "***";
  }
  return out;
}

}  // namespace zpmpi::source
