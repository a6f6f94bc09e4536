#include "zpmpi/zarr/file_write.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace zpmpi::zarr {

int write_all(int fd, std::span<const std::byte> bytes) {
  const std::byte* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {  // write() may be partial on parallel file systems and after signals
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return 0;
}

std::optional<FileWriteFailure> write_file_atomically(const std::filesystem::path& path,
                                                      const std::filesystem::path& tmp,
                                                      std::span<const std::byte> bytes) {
  using Step = FileWriteFailure::Step;
  const auto fail = [&](Step step, int err) {
    ::unlink(tmp.c_str());
    return FileWriteFailure{step, err};
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return FileWriteFailure{Step::kCreate, errno};
  if (const int err = write_all(fd, bytes)) {
    ::close(fd);
    return fail(Step::kWrite, err);
  }
  if (::close(fd) != 0) return fail(Step::kWrite, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(Step::kRename, errno);
  return std::nullopt;
}

}  // namespace zpmpi::zarr
