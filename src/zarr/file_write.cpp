#include "zpmpi/zarr/file_write.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>

namespace zpmpi::zarr {

bool WriteFault::fails_now() {
  std::uint64_t left = writes_left_.load(std::memory_order_relaxed);
  while (left != 0 && !writes_left_.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) {
  }
  return left == 1;
}

namespace {

/// The short write a filling disk gives, then ENOSPC.
int fail_half_way(int fd, std::span<const std::byte> bytes) {
  (void)!::write(fd, bytes.data(), bytes.size() / 2);
  return ENOSPC;
}

}  // namespace

int write_all(int fd, std::span<const std::byte> bytes) {
  const std::byte* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {  // write() may be partial on parallel file systems and after signals
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return ENOSPC;  // no progress and no errno: treat as a full device
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return 0;
}

int create_temporary_at(int dir_fd, const std::string& tmp) {
  const int fd = ::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  return fd >= 0 ? fd : -errno;
}

std::optional<FileWriteFailure> finish_temporary_at(int dir_fd, int fd, const std::string& tmp,
                                                    const std::string& name, bool durable) {
  using Step = FileWriteFailure::Step;
  const auto fail = [&](Step step, int err) {
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return FileWriteFailure{step, err};
  };
  if (durable && ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(Step::kWrite, err);
  }
  if (::close(fd) != 0) return fail(Step::kWrite, errno);
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) return fail(Step::kRename, errno);
  // The rename itself is durable only once the directory is synced.
  if (durable && ::fsync(dir_fd) != 0) return FileWriteFailure{Step::kSync, errno};
  return std::nullopt;
}

int write_piece(int fd, std::span<const std::byte> bytes, WriteFault* fault) {
  return fault && fault->fails_now() ? fail_half_way(fd, bytes) : write_all(fd, bytes);
}

std::optional<FileWriteFailure> write_file_atomically_at(int dir_fd, const std::string& name, const std::string& tmp,
                                                         std::span<const std::byte> bytes, bool durable,
                                                         WriteFault* fault) {
  const int fd = create_temporary_at(dir_fd, tmp);
  if (fd < 0) return FileWriteFailure{FileWriteFailure::Step::kCreate, -fd};
  if (const int err = write_piece(fd, bytes, fault)) {
    ::close(fd);
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return FileWriteFailure{FileWriteFailure::Step::kWrite, err};
  }
  return finish_temporary_at(dir_fd, fd, tmp, name, durable);
}

std::optional<FileWriteFailure> write_file_atomically(const std::filesystem::path& path,
                                                      const std::filesystem::path& tmp,
                                                      std::span<const std::byte> bytes, bool durable,
                                                      WriteFault* fault) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return FileWriteFailure{FileWriteFailure::Step::kCreate, errno};
  const auto failure =
      write_file_atomically_at(dir_fd, path.filename().string(), tmp.filename().string(), bytes, durable, fault);
  ::close(dir_fd);
  return failure;
}

}  // namespace zpmpi::zarr
