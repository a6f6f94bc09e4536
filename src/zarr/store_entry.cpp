// Store entries reached without following links: see store_entry.hpp.
#include "zpmpi/zarr/store_entry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace zpmpi::zarr {
namespace fs = std::filesystem;

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd >= 0) ::close(fd);
    fd = std::exchange(o.fd, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd >= 0) ::close(fd);
}

const char* entry_kind_text(EntryKind kind) {
  switch (kind) {
    case EntryKind::kLink: return "a symbolic link";
    case EntryKind::kDirectory: return "a directory";
    case EntryKind::kNotAFile: return "not a regular file";
    default: return "";
  }
}

std::string link_in_store_message(const fs::path& link, const std::string& doing) {
  return link.string() + " is a symbolic link where a store entry should be; zpmpi " + doing +
         "s nothing in a store through a link: remove the link";
}

namespace {

/// Why opening `name` in `parent_fd` (or `path` itself when parent_fd < 0) failed with `err`.
EntryFailure failure_at(int parent_fd, const fs::path& path, int err) {
  struct stat st {};
  const int r = parent_fd >= 0 ? ::fstatat(parent_fd, path.filename().c_str(), &st, AT_SYMLINK_NOFOLLOW)
                               : ::lstat(path.c_str(), &st);
  EntryKind kind = EntryKind::kUnreadable;
  if (r == 0 && S_ISLNK(st.st_mode)) kind = EntryKind::kLink;
  else if (err == ENOENT) kind = EntryKind::kMissing;
  else if (err == ENOTDIR) kind = EntryKind::kNotAFile;
  return {kind, path, err};
}

}  // namespace

std::optional<EntryFailure> open_store_dir(const fs::path& store, const fs::path& relative, UniqueFd& out) {
  UniqueFd dir{::open(store.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (dir.fd < 0) return failure_at(-1, store, errno);
  fs::path at = store;
  for (const fs::path& part : relative) {
    if (part.empty()) continue;
    at /= part;
    UniqueFd next{::openat(dir.fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (next.fd < 0) return failure_at(dir.fd, at, errno);
    dir = std::move(next);
  }
  out = std::move(dir);
  return std::nullopt;
}

StoreFileRead read_store_file(const fs::path& store, const fs::path& relative) {
  StoreFileRead result;
  UniqueFd dir;
  if (const auto walk = open_store_dir(store, relative.parent_path(), dir)) {
    result.kind = walk->kind;
    result.failure = *walk;
    return result;
  }
  const fs::path path = store / relative;
  UniqueFd file{::openat(dir.fd, relative.filename().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (file.fd < 0) result.failure = failure_at(dir.fd, path, errno);
  struct stat st {};
  if (file.fd >= 0 && ::fstat(file.fd, &st) != 0) result.failure = {EntryKind::kUnreadable, path, errno};
  else if (file.fd >= 0 && S_ISDIR(st.st_mode)) result.failure = {EntryKind::kDirectory, path, EISDIR};
  else if (file.fd >= 0 && !S_ISREG(st.st_mode)) result.failure = {EntryKind::kNotAFile, path, 0};
  if (!result.failure.path.empty()) {
    result.kind = result.failure.kind;
    return result;
  }
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.failure = {EntryKind::kUnreadable, path, errno};
      result.kind = EntryKind::kUnreadable;
      return result;
    }
    if (n == 0) break;
    result.bytes.append(buffer, static_cast<std::size_t>(n));
  }
  result.kind = EntryKind::kFile;
  return result;
}

}  // namespace zpmpi::zarr
