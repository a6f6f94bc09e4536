// Byte ranges of http(s) urls with libcurl's multi interface: ranges of one url merged into
// few requests, up to max_in_flight requests at once, transient failures retried with
// exponential back-off. The rules (which answers are accepted, which retried) are in
// include/zpmpi/source/byte_ranges.hpp. Private to src/source.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "zpmpi/model/result.hpp"
#include "zpmpi/source/byte_ranges.hpp"

namespace zpmpi::source {

class HttpRanges {
 public:
  /// Initialises libcurl once per process (std::call_once); an error if that fails. With
  /// `s3`, every url read is s3:// and is fetched from its https url (s3_urls.hpp) with
  /// options.s3 (resolved): signed with SigV4, or anonymous; errors then name bucket and key.
  static Result<std::unique_ptr<HttpRanges>> create(const RangeReaderOptions& options, bool s3 = false);
  ~HttpRanges();

  /// Every request's url is http(s) (s3:// with `s3`); zero-length requests are skipped.
  Status read(std::span<const RangeRequest* const> requests);
  /// GET without Range; an error once more than `max_bytes` arrive (or are announced).
  Result<std::string> read_whole(const std::string& url, std::uint64_t max_bytes);

 private:
  struct Impl;
  explicit HttpRanges(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The url as messages show it: "https://***@h/x.nc" for "https://user:secret@h/x.nc".
std::string redact_url(std::string_view url);

}  // namespace zpmpi::source
