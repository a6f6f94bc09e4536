// Byte ranges of local files with pread, on at most `max_open_files` descriptors (the least
// recently used one is closed to open another), so a reference set pointing into 10 000
// files never exhausts the process's descriptors. Private to src/source.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

#include "zpmpi/model/result.hpp"
#include "zpmpi/source/byte_ranges.hpp"

namespace zpmpi::source {

class LocalRanges {
 public:
  explicit LocalRanges(int max_open_files);
  ~LocalRanges();
  LocalRanges(const LocalRanges&) = delete;
  LocalRanges& operator=(const LocalRanges&) = delete;

  /// Reads `r.length` bytes at `r.offset` of the file `path` into `r.out`. Errors name
  /// `r.url` (as the caller wrote it): a range past the end of the file names the range and
  /// the file's size; a read that ends early (the file shrank) says how many bytes came.
  Status read(const std::string& path, const RangeRequest& r);
  /// The whole file; an error if it holds more than `max_bytes`.
  Result<std::string> read_whole(const std::string& path, const std::string& url, std::uint64_t max_bytes);

 private:
  struct Open {
    int fd;
    std::uint64_t size;  ///< at open, asked again when a range seems to end past it
  };
  using Lru = std::list<std::pair<std::string, Open>>;  ///< most recently used first

  Result<Open> acquire(const std::string& path, const std::string& url);
  void close_oldest();

  std::size_t max_open_;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> by_path_;
};

}  // namespace zpmpi::source
