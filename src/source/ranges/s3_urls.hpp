// s3:// urls: the https url an object is fetched from, and the one-line message for an
// S3 error answer. Pure (no I/O). Private to src/source.
//
//   s3://era5/t2m/2000.nc with endpoint_url https://o.s3-ext.jc.rl.ac.uk
//       -> https://o.s3-ext.jc.rl.ac.uk/era5/t2m/2000.nc          (path style: JASMIN,
//                                                                   MinIO, Ceph, moto)
//   s3://era5/t2m/2000.nc without one, region eu-west-2
//       -> https://era5.s3.eu-west-2.amazonaws.com/t2m/2000.nc    (virtual host: AWS)
//   a bucket name with a dot (no valid TLS name as a host) is path style on AWS too:
//       -> https://s3.eu-west-2.amazonaws.com/my.bucket/t2m/2000.nc
// The key is percent-encoded byte by byte except A-Z a-z 0-9 - . _ ~ and '/', which is
// also the form SigV4 signs.
#pragma once

#include <string>
#include <string_view>

#include "zpmpi/model/result.hpp"
#include "zpmpi/source/s3_options.hpp"

namespace zpmpi::source {

struct S3Location {
  std::string bucket;
  std::string key;
};

/// "s3://bucket/key" split; errors (kUsage) name the url: no bucket, no key, a bucket name
/// with a character other than A-Z a-z 0-9 . _ - (older Ceph and MinIO buckets may have
/// capitals and '_', so they are let through; the server judges the rest).
Result<S3Location> parse_s3_url(std::string_view url);

/// The https (or the endpoint's http) url of the object; `options` resolved. An endpoint
/// that is not an http(s) url is an error naming it.
Result<std::string> s3_object_url(const S3Location& at, const S3Options& options);

/// The <Code> of an S3 XML error body ("NoSuchKey"), letters and digits only, at most 64;
/// empty when there is none. Nothing else of the body is ever shown.
std::string s3_error_code(std::string_view body);

/// What an S3 error answer means, in one line after the url ("s3://b/k: ..."):
///   404 NoSuchKey      "no key 'k' in bucket 'b' (HTTP 404 NoSuchKey)"
///   404 NoSuchBucket   "no bucket 'b' (HTTP 404 NoSuchBucket)"
///   403                "access to key 'k' of bucket 'b' refused (HTTP 403 <Code>): <why>"
///   301 with the bucket's region: "bucket 'b' is in region R, not X: set client_kwargs.region_name"
/// Others: "HTTP <status> <reason> (<Code>)". `bucket_region` is the x-amz-bucket-region
/// header ("" when absent).
std::string s3_failure(const S3Location& at, long status, std::string_view reason, std::string_view code,
                       std::string_view bucket_region, const S3Options& options);

}  // namespace zpmpi::source
