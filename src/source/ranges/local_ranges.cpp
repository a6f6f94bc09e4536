// pread on an LRU of descriptors; see local_ranges.hpp.
#include "ranges/local_ranges.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace zpmpi::source {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

std::string range_text(std::uint64_t offset, std::uint64_t length) {
  return "range " + std::to_string(offset) + "+" + std::to_string(length);
}

/// pread until `length` bytes or end of file, retrying EINTR; the bytes read, or -errno.
long long pread_fully(int fd, std::byte* out, std::uint64_t length, std::uint64_t offset) {
  std::uint64_t done = 0;
  while (done < length) {
    // One call moves at most ~2 GiB on Linux; ask for no more than 1 GiB at a time.
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(length - done, 1u << 30));
    const ssize_t got = ::pread(fd, out + done, want, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return -static_cast<long long>(errno);
    }
    if (got == 0) break;
    done += static_cast<std::uint64_t>(got);
  }
  return static_cast<long long>(done);
}

}  // namespace

LocalRanges::LocalRanges(int max_open_files)
    : max_open_(static_cast<std::size_t>(max_open_files < 1 ? 1 : max_open_files)) {}

LocalRanges::~LocalRanges() {
  for (auto& [path, open] : lru_) ::close(open.fd);
}

void LocalRanges::close_oldest() {
  ::close(lru_.back().second.fd);
  by_path_.erase(lru_.back().first);
  lru_.pop_back();
}

Result<LocalRanges::Open> LocalRanges::acquire(const std::string& path, const std::string& url) {
  if (auto it = by_path_.find(path); it != by_path_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);  // now the most recently used
    return it->second->second;
  }
  while (lru_.size() >= max_open_) close_oldest();
  int fd;
  for (;;) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) break;
    if (errno == EINTR) continue;
    // Out of descriptors because of someone else's: give back ours, oldest first.
    if ((errno == EMFILE || errno == ENFILE) && !lru_.empty()) {
      close_oldest();
      continue;
    }
    return runtime_error(url + ": cannot open: " + errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return runtime_error(url + ": cannot stat: " + errno_text(err));
  }
  const Open open{fd, static_cast<std::uint64_t>(st.st_size)};
  lru_.emplace_front(path, open);
  by_path_.emplace(path, lru_.begin());
  return open;
}

Status LocalRanges::read(const std::string& path, const RangeRequest& r) {
  if (r.length > 0 && r.out == nullptr) return runtime_error(r.url + ": " + range_text(r.offset, r.length) + ": no destination buffer");
  if (r.offset > UINT64_MAX - r.length) return runtime_error(r.url + ": " + range_text(r.offset, r.length) + " overflows");
  ZPMPI_ASSIGN_OR_RETURN(Open open, acquire(path, r.url));
  if (r.offset + r.length > open.size) {
    // The size is from when the file was opened: ask again before calling the range wrong.
    struct stat st {};
    if (::fstat(open.fd, &st) == 0) open.size = by_path_.at(path)->second.size = static_cast<std::uint64_t>(st.st_size);
  }
  if (r.offset + r.length > open.size) {
    return runtime_error(r.url + ": " + range_text(r.offset, r.length) + " ends past the end of the file (" +
                         std::to_string(open.size) + " bytes)");
  }
  const long long got = pread_fully(open.fd, r.out, r.length, r.offset);
  if (got < 0) {
    return runtime_error(r.url + ": " + range_text(r.offset, r.length) + ": cannot read: " +
                         errno_text(static_cast<int>(-got)));
  }
  if (static_cast<std::uint64_t>(got) < r.length) {
    struct stat st {};
    const std::string now = ::fstat(open.fd, &st) == 0 ? std::to_string(st.st_size) : std::string("?");
    return runtime_error(r.url + ": " + range_text(r.offset, r.length) + ": short read, got " + std::to_string(got) +
                         " bytes (the file has " + now + " bytes now, " + std::to_string(open.size) +
                         " when opened)");
  }
  return {};
}

Result<std::string> LocalRanges::read_whole(const std::string& path, const std::string& url, std::uint64_t max_bytes) {
  // Not through the LRU: a whole file is read once (a reference JSON), not range by range.
  int fd;
  do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return runtime_error(url + ": cannot open: " + errno_text(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return runtime_error(url + ": cannot stat: " + errno_text(errno));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (S_ISREG(st.st_mode) && size > max_bytes) {
    return runtime_error(url + ": " + std::to_string(size) + " bytes, more than the limit of " +
                         std::to_string(max_bytes) + " bytes");
  }
  const auto too_big = [&] {
    return runtime_error(url + ": more than the limit of " + std::to_string(max_bytes) + " bytes");
  };
  // The size is a hint (a pipe has none, a file may grow): read until end of file, probing
  // for it with a small step past the hint before growing by doubling.
  std::string data;
  data.resize(static_cast<std::size_t>(S_ISREG(st.st_mode) ? size : 0));
  std::uint64_t done = 0;
  for (;;) {
    if (done == data.size()) {
      if (done > max_bytes) return too_big();
      data.resize(data.size() + std::max<std::size_t>(done == size ? 0 : data.size(), 64 * 1024));
    }
    const ssize_t got = ::read(fd, data.data() + done, data.size() - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      return runtime_error(url + ": cannot read: " + errno_text(errno));
    }
    if (got == 0) break;
    done += static_cast<std::uint64_t>(got);
  }
  if (done > max_bytes) return too_big();
  data.resize(static_cast<std::size_t>(done));
  return data;
}

}  // namespace zpmpi::source
