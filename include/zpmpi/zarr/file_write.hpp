// Writing a whole small file so that no reader ever sees it half-written: the bytes go to a
// temporary name beside it (same file system), then rename() puts it in place. Chunk
// files, metadata documents and the --stats summary are all written this way.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace zpmpi::zarr {

/// Test hook (the run makes one from ZPMPI_TEST_FAIL_WRITE=RANK:N on rank RANK and hands
/// it to the chunk writes, app/environment.hpp): the `nth` write given it (1 = the next)
/// writes half of its bytes and then fails with ENOSPC, as a disk that fills up mid-file
/// does. Shared by the writing threads of a rank; 0 never fails.
class WriteFault {
 public:
  explicit WriteFault(std::uint64_t nth) : writes_left_(nth) {}
  /// Counts one write; true for the one that fails.
  bool fails_now();

 private:
  std::atomic<std::uint64_t> writes_left_;
};

/// Where writing a file failed, and the errno, so that each caller words its own message.
struct FileWriteFailure {
  enum class Step { kCreate, kWrite, kRename, kSync } step;
  int error = 0;
};

/// Writes `bytes` to `tmp` (created or truncated, 0644), then renames it to `path`; both
/// are in one directory (opened once, links in its own path followed: the caller named it).
/// Partial writes and EINTR are retried; close() errors count (NFS and Lustre report
/// deferred write errors there). On failure `tmp` is removed. `durable`: fsync the file
/// before the rename and its directory after it, so that the file, once it exists, is
/// complete after a crash of the node too (the config's "fsync").
/// `tmp` is opened with O_NOFOLLOW: a link planted at its name fails (ELOOP) instead of
/// being written through; the rename replaces a link at `path` itself, never its target.
/// `fault` (a test hook, below) may make the write fail.
std::optional<FileWriteFailure> write_file_atomically(const std::filesystem::path& path,
                                                      const std::filesystem::path& tmp,
                                                      std::span<const std::byte> bytes, bool durable = false,
                                                      WriteFault* fault = nullptr);

/// The same, inside the open directory `dir_fd` (openat/renameat): `name` and `tmp` are
/// entry names in it, without '/'. The caller decides how the directory was reached (a
/// store opens each level with O_NOFOLLOW, store.hpp).
std::optional<FileWriteFailure> write_file_atomically_at(int dir_fd, const std::string& name, const std::string& tmp,
                                                         std::span<const std::byte> bytes, bool durable = false,
                                                         WriteFault* fault = nullptr);

/// The steps of write_file_atomically_at, for a file written in pieces (streamed_file.hpp):
/// creates `tmp` in `dir_fd` as above (O_NOFOLLOW, truncated, 0644); the descriptor, or
/// -errno (-ELOOP: a link at `tmp`).
int create_temporary_at(int dir_fd, const std::string& tmp);
/// Writes one piece of the file: write_all, or the failure `fault` orders (see WriteFault).
/// Returns 0 or the errno.
int write_piece(int fd, std::span<const std::byte> bytes, WriteFault* fault);
/// Syncs `fd` (durable), closes it (in every case) and renames `tmp` to `name` in `dir_fd`,
/// then syncs the directory (durable). On failure before the rename `tmp` is removed.
std::optional<FileWriteFailure> finish_temporary_at(int dir_fd, int fd, const std::string& tmp,
                                                    const std::string& name, bool durable);

/// Writes all of `bytes` to the open descriptor `fd`, retrying partial writes and EINTR.
/// Returns 0 or the errno (ENOSPC, EDQUOT, EIO...; a write() that returns 0 counts as ENOSPC).
int write_all(int fd, std::span<const std::byte> bytes);

}  // namespace zpmpi::zarr
