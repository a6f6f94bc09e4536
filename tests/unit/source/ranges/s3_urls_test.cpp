// s3:// urls mapped to https (path style with an endpoint, virtual host on AWS), and S3
// error answers told apart by their Code alone.
#include "ranges/s3_urls.hpp"

#include <gtest/gtest.h>

namespace zpmpi::source {
namespace {

S3Location at(std::string_view url) {
  auto r = parse_s3_url(url);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : S3Location{};
}

std::string url_of(std::string_view s3_url, const S3Options& o) {
  auto u = s3_object_url(at(s3_url), o);
  EXPECT_TRUE(u.ok()) << u.error().message;
  return u.ok() ? *u : "";
}

TEST(S3Urls, SplitBucketAndKey) {
  EXPECT_EQ(at("s3://era5/t2m/2000.nc").bucket, "era5");
  EXPECT_EQ(at("s3://era5/t2m/2000.nc").key, "t2m/2000.nc");
  EXPECT_EQ(parse_s3_url("s3://era5").error().message, "s3://era5: no key (s3://bucket/key)");
  EXPECT_EQ(parse_s3_url("s3://era5/").error().message, "s3://era5/: no key (s3://bucket/key)");
  EXPECT_EQ(parse_s3_url("s3:///k").error().message, "s3:///k: no bucket (s3://bucket/key)");
  EXPECT_EQ(parse_s3_url("s3://a@b/k").error().message, "s3://a@b/k: the bucket name 'a@b' has a character S3 does not allow");
}

TEST(S3Urls, PathStyleUnderAnEndpoint) {
  S3Options o;
  o.endpoint_url = "https://tenancy-o.s3-ext.jc.rl.ac.uk";
  EXPECT_EQ(url_of("s3://era5/t2m/2000.nc", o), "https://tenancy-o.s3-ext.jc.rl.ac.uk/era5/t2m/2000.nc");
  o.endpoint_url = "http://127.0.0.1:9000/";
  EXPECT_EQ(url_of("s3://b/k", o), "http://127.0.0.1:9000/b/k");
  o.endpoint_url = "http://gw/s3";
  EXPECT_EQ(url_of("s3://b/k", o), "http://gw/s3/b/k");
  o.endpoint_url = "ftp://x";
  EXPECT_EQ(s3_object_url(at("s3://b/k"), o).error().message, "endpoint_url 'ftp://x' is not an http(s) url");
}

TEST(S3Urls, VirtualHostOnAwsAndPathStyleForADottedBucket) {
  S3Options o;
  o.region = "eu-west-2";
  EXPECT_EQ(url_of("s3://era5/t2m/2000.nc", o), "https://era5.s3.eu-west-2.amazonaws.com/t2m/2000.nc");
  EXPECT_EQ(url_of("s3://my.bucket/k", o), "https://s3.eu-west-2.amazonaws.com/my.bucket/k");
  EXPECT_EQ(url_of("s3://era5/k", S3Options{}), "https://era5.s3.us-east-1.amazonaws.com/k");
}

TEST(S3Urls, KeysArePercentEncodedAsSigV4SignsThem) {
  S3Options o;
  o.endpoint_url = "http://e";
  EXPECT_EQ(url_of("s3://b/a b+c=d/x~y_z-1.nc", o), "http://e/b/a%20b%2Bc%3Dd/x~y_z-1.nc");
  EXPECT_EQ(url_of("s3://b/t\xc3\xa9/%41?#", o), "http://e/b/t%C3%A9/%2541%3F%23");
}

TEST(S3Errors, TheCodeAloneIsTakenFromTheBody) {
  EXPECT_EQ(s3_error_code("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>secret stuff</Message></Error>"),
            "NoSuchKey");
  EXPECT_EQ(s3_error_code("<Error><Code>No Such</Code></Error>"), "");
  EXPECT_EQ(s3_error_code("<html>503</html>"), "");
  EXPECT_EQ(s3_error_code("<Code>Truncated"), "");
}

TEST(S3Errors, OneLineNamingBucketAndKey) {
  const S3Location k = at("s3://era5/t2m.nc");
  S3Options o;
  o.region = "us-east-1";
  EXPECT_EQ(s3_failure(k, 404, "Not Found", "NoSuchKey", "", o), "no key 't2m.nc' of bucket 'era5' (HTTP 404 NoSuchKey)");
  EXPECT_EQ(s3_failure(k, 404, "Not Found", "NoSuchBucket", "", o), "no bucket 'era5' (HTTP 404 NoSuchBucket)");
  EXPECT_EQ(s3_failure(k, 404, "Not Found", "", "", o), "no key 't2m.nc' of bucket 'era5' (HTTP 404 Not Found)");
  EXPECT_EQ(s3_failure(k, 403, "Forbidden", "SignatureDoesNotMatch", "", o),
            "reading key 't2m.nc' of bucket 'era5' was refused (HTTP 403 SignatureDoesNotMatch): the secret does not "
            "match the access key id");
  EXPECT_EQ(s3_failure(k, 403, "Forbidden", "InvalidAccessKeyId", "", o),
            "reading key 't2m.nc' of bucket 'era5' was refused (HTTP 403 InvalidAccessKeyId): the server does not know "
            "the access key id");
  EXPECT_EQ(s3_failure(k, 403, "Forbidden", "AccessDenied", "", o),
            "reading key 't2m.nc' of bucket 'era5' was refused (HTTP 403 AccessDenied): the credentials are not allowed "
            "to read it");
  S3Options anon = o;
  anon.anon = true;
  EXPECT_EQ(s3_failure(k, 403, "Forbidden", "", "", anon),
            "reading key 't2m.nc' of bucket 'era5' was refused (HTTP 403 Forbidden): the bucket does not allow "
            "anonymous reads (anon is true)");
  EXPECT_EQ(s3_failure(k, 301, "Moved Permanently", "PermanentRedirect", "eu-west-2", o),
            "bucket 'era5' is in region eu-west-2, not us-east-1 (HTTP 301 PermanentRedirect): set "
            "client_kwargs.region_name or AWS_REGION");
  EXPECT_EQ(s3_failure(k, 503, "Service Unavailable", "SlowDown", "", o), "HTTP 503 Service Unavailable (SlowDown)");
}

}  // namespace
}  // namespace zpmpi::source
