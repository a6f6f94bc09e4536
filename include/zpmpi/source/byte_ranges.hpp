// Reading byte ranges of files and urls: what a chunked source needs to fetch its stored
// chunks. Local paths (plain or file://) are read with pread on a bounded set of open
// descriptors; http://, https:// and s3:// with HTTP range requests (libcurl), several in
// flight, retried with back-off on transient failures (5xx, 429, timeouts, connection
// resets, short bodies); adjacent ranges of one url are merged into one request when that
// saves requests without reading much more. Other schemes (gs://) are a clear "not
// supported" error.
//
// Urls, by example:
//   /data/era5/t2m_2000.nc            a plain path (a relative one resolves against the cwd;
//                                     the kerchunk source resolves them before asking)
//   file:///data/era5/t2m%202000.nc   a file url: percent-decoded, host empty or localhost
//   https://h/era5/t2m_2000.nc        Range: bytes=<offset>-<offset+length-1>
//   s3://bucket/key                   the same request to the object's https url, signed
//                                     (see "S3" below)
//   gs://bucket/key                   "gs://bucket/key: gs:// urls are not supported (use a
//                                     local path, http(s):// or s3://)"
//
// S3 (RangeReaderOptions::s3, resolved by resolve_s3_options: s3_options.hpp):
//   * s3://bucket/key is fetched from endpoint_url/bucket/key (path style: JASMIN, MinIO,
//     Ceph, moto) when an endpoint is given, else https://bucket.s3.REGION.amazonaws.com/key
//     (virtual host, AWS); the key percent-encoded (src/source/ranges/s3_urls.hpp).
//   * Signed with SigV4 by libcurl (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3", the key and
//     secret as user and password), with x-amz-content-sha256: UNSIGNED-PAYLOAD (curl 7.88
//     does not add it) and x-amz-security-token for a session token. Anonymous (anon: true):
//     no signature, no credentials, at all. Neither anonymous nor credentials: refused before
//     any request, naming the url and where credentials come from.
//   * s3:// urls have their own connections: credentials never go to a plain http(s) url;
//     a signed request follows no redirect (curl would pass the session token on), an
//     anonymous one does.
//   * An error answer is named by bucket and key, and by its XML <Code> alone (the body is
//     never quoted): "s3://b/k: no key 'k' of bucket 'b' (HTTP 404 NoSuchKey)", "... no
//     bucket 'b' (HTTP 404 NoSuchBucket)", "s3://b/k: reading key 'k' of bucket 'b' was
//     refused (HTTP 403 SignatureDoesNotMatch): the secret does not match the access key
//     id". 503 SlowDown and the other 5xx are retried as below.
//
// HTTP, precisely:
//   * 206 Partial Content is the expected answer; its Content-Range must start at the asked
//     offset. A range that ends past the end of the resource (416, or a 206 whose total is
//     smaller than the range's end) is a permanent error naming the resource's size.
//   * 200 OK means the server ignored Range and sends the whole body. It is accepted when
//     the range ends within the first `max_unranged_bytes` of the body: the wanted bytes are
//     sliced out and the transfer stops there. Past that bound it is a permanent error
//     (reading gigabytes for a 64 KiB chunk would be a silent disaster).
//   * Transient, retried after first_backoff_seconds * 2^(attempt-1) (+ up to 25 % jitter, or
//     the server's Retry-After if longer, capped at 60 s): HTTP 5xx, 408, 429; no data for
//     timeout_seconds, refused or reset connections, name resolution failures; a body
//     shorter than asked. After max_attempts such failures the error names the last cause:
//     "https://h/x.nc: HTTP 503 Service Unavailable (gave up after 5 attempts)".
//   * Permanent at once: any other 4xx ("https://h/x.nc: HTTP 404 Not Found"), TLS
//     certificate problems, malformed urls, too many redirects.
//   * Redirects are followed (at most 10, to http(s) only). Proxies come from the usual
//     environment (http_proxy, https_proxy, no_proxy), as libcurl reads them; nothing else.
//   * Messages are one line: server bodies are never quoted, and user:password@ in a url
//     is shown as ***@.
//
// A RangeReader is used by one thread at a time (the rank's reading thread); several
// readers may live in one process (libcurl is initialised once, thread-safely).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "zpmpi/model/result.hpp"
#include "zpmpi/source/s3_options.hpp"

namespace zpmpi::source {

/// One range to read: `length` bytes at `offset` of `url`, into `out`. A request of length
/// 0 reads nothing (for a local file, the offset must still lie within the file; for a url,
/// no request is sent).
struct RangeRequest {
  std::string url;          ///< absolute path, file://..., http(s)://...
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::byte* out = nullptr;  ///< destination of exactly `length` bytes
};

struct RangeReaderOptions {
  int max_open_files = 64;       ///< local descriptors kept open at once (LRU), at least 1
  int max_in_flight = 16;        ///< HTTP requests in flight at once, at least 1
  int max_attempts = 5;          ///< per request, counting the first, at least 1
  double first_backoff_seconds = 0.2;  ///< doubled after each failed attempt
  /// Per attempt: connecting, or a pause with no byte received, longer than this fails it
  /// (a stall, not a total time: a large range on a slow link is not cut off).
  double timeout_seconds = 60;
  /// Ranges of one url less than this many bytes apart (0 = adjacent or overlapping) are
  /// fetched as one request, and split back into their buffers; 0 turns merging off.
  std::uint64_t merge_gap_bytes = 64 * 1024;
  /// A merged request grows no larger than this (more requests in flight beat one huge one);
  /// a single range larger than this is fetched as it is.
  std::uint64_t max_merged_bytes = 16u << 20;
  /// A server that ignores Range (answers 200 with the whole body) is tolerated only for
  /// ranges ending within this many bytes of the start (see the header comment).
  std::uint64_t max_unranged_bytes = 8u << 20;
  /// How s3:// urls are read: resolved options (resolve_s3_options); as given, nothing is
  /// taken from the environment or ~/.aws.
  S3Options s3;
};

class RangeReader {
 public:
  virtual ~RangeReader() = default;
  /// Reads every request; returns when all are done or one failed for good. An error names
  /// the url and what failed: "https://h/x.nc: HTTP 404 Not Found",
  /// "/data/a.nc: range 100+4096 ends past the end of the file (2048 bytes)".
  /// Every url is checked for a supported scheme before anything is read. On error the
  /// contents of the `out` buffers are unspecified.
  virtual Status read(std::span<const RangeRequest> requests) = 0;
  /// Reads a whole file or url (a reference JSON, a chunk given as [url]); `max_bytes`
  /// bounds it (an error past that, naming the bound).
  virtual Result<std::string> read_whole(const std::string& url, std::uint64_t max_bytes) = 0;
};

std::unique_ptr<RangeReader> make_range_reader(const RangeReaderOptions& options = {});

/// True for http:// and https:// urls (the scheme in any case).
bool is_http_url(std::string_view url);

}  // namespace zpmpi::source
