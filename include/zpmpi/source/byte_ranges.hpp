// Reading byte ranges of files and urls: what a chunked source needs to fetch its stored
// chunks. Local paths (plain or file://) are read with pread on a bounded set of open
// descriptors; http:// and https:// with HTTP range requests (libcurl), several in flight,
// retried with back-off on transient failures (5xx, timeouts, connection resets);
// adjacent ranges of one url are merged into one request when that saves requests
// without reading much more. Other schemes (s3://, gs://) are a clear "not supported" error.
//
// A RangeReader is used by one thread at a time (the rank's reading thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "zpmpi/model/result.hpp"

namespace zpmpi::source {

/// One range to read: `length` bytes at `offset` of `url`, into `out`.
struct RangeRequest {
  std::string url;          ///< absolute path, file://..., http(s)://...
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::byte* out = nullptr;  ///< destination of exactly `length` bytes
};

struct RangeReaderOptions {
  int max_open_files = 64;       ///< local descriptors kept open at once (LRU)
  int max_in_flight = 16;        ///< HTTP requests in flight at once
  int max_attempts = 5;          ///< per request, counting the first
  double first_backoff_seconds = 0.2;  ///< doubled after each failed attempt
  double timeout_seconds = 60;   ///< per attempt
  /// Two ranges of one url closer than this are fetched as one request.
  std::uint64_t merge_gap_bytes = 64 * 1024;
};

class RangeReader {
 public:
  virtual ~RangeReader() = default;
  /// Reads every request; returns when all are done or one failed for good. An error names
  /// the url and what failed: "https://h/x.nc: HTTP 404 Not Found",
  /// "/data/a.nc: range 100+4096 ends past the end of the file (2048 bytes)".
  virtual Status read(std::span<const RangeRequest> requests) = 0;
  /// Reads a whole file or url (a reference JSON, a chunk given as [url]); `max_bytes`
  /// bounds it (an error past that).
  virtual Result<std::string> read_whole(const std::string& url, std::uint64_t max_bytes) = 0;
};

std::unique_ptr<RangeReader> make_range_reader(const RangeReaderOptions& options = {});

/// True for http:// and https:// urls.
bool is_http_url(std::string_view url);

}  // namespace zpmpi::source
