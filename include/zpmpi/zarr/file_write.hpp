// Writing a whole small file so that no reader ever sees it half-written: the bytes go to a
// temporary name beside it (same file system), then rename() puts it in place. Chunk
// files, metadata documents and the --stats summary are all written this way.
#pragma once

#include <filesystem>
#include <optional>
#include <span>

namespace zpmpi::zarr {

/// Where writing a file failed, and the errno, so that each caller words its own message.
struct FileWriteFailure {
  enum class Step { kCreate, kWrite, kRename } step;
  int error = 0;
};

/// Writes `bytes` to `tmp` (created or truncated, 0644), then renames it to `path`.
/// Partial writes and EINTR are retried; close() errors count (NFS and Lustre report
/// deferred write errors there). On failure `tmp` is removed.
std::optional<FileWriteFailure> write_file_atomically(const std::filesystem::path& path,
                                                      const std::filesystem::path& tmp,
                                                      std::span<const std::byte> bytes);

/// Writes all of `bytes` to the open descriptor `fd`, retrying partial writes and EINTR.
/// Returns 0 or the errno.
int write_all(int fd, std::span<const std::byte> bytes);

}  // namespace zpmpi::zarr
