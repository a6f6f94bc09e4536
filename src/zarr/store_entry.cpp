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

std::optional<EntryFailure> open_dir_at(int parent_fd, const std::string& name, const fs::path& path, UniqueFd& out) {
  UniqueFd dir{::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (dir.fd < 0) return failure_at(parent_fd, path, errno);
  out = std::move(dir);
  return std::nullopt;
}

std::optional<EntryFailure> open_store_dir(const fs::path& store, const fs::path& relative, UniqueFd& out) {
  UniqueFd dir{::open(store.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (dir.fd < 0) return failure_at(-1, store, errno);
  fs::path at = store;
  for (const fs::path& part : relative) {
    if (part.empty()) continue;
    at /= part;
    if (auto failure = open_dir_at(dir.fd, part.string(), at, dir)) return failure;
  }
  out = std::move(dir);
  return std::nullopt;
}

namespace {

/// Enters `part` of `dir` (a level named `at`), creating it when missing; see
/// open_or_make_store_dir.
std::optional<EntryFailure> enter_or_make(UniqueFd& dir, const fs::path& part, const fs::path& at, bool durable) {
  auto failure = open_dir_at(dir.fd, part.string(), at, dir);
  if (!failure || failure->kind != EntryKind::kMissing) return failure;
  // Several ranks and threads may create the same level at once: EEXIST means one did,
  // and the open below judges what it made (a link or file there fails as above).
  if (::mkdirat(dir.fd, part.c_str(), 0755) == 0) {
    if (durable && ::fsync(dir.fd) != 0) return EntryFailure{EntryKind::kUnreadable, at, errno};
  } else if (errno != EEXIST) {
    return EntryFailure{EntryKind::kUnreadable, at, errno};
  }
  return open_dir_at(dir.fd, part.string(), at, dir);
}

}  // namespace

std::optional<EntryFailure> open_or_make_store_dir(const fs::path& store, const fs::path& existing,
                                                   const fs::path& made, UniqueFd& out, bool durable) {
  fs::path at = store / existing;
  for (const fs::path& part : made)  // checked before anything is made
    if (part == "." || part == "..") return EntryFailure{EntryKind::kNotAFile, at / made, EINVAL};
  UniqueFd dir;
  if (auto failure = open_store_dir(store, existing, dir)) return failure;
  for (const fs::path& part : made) {
    if (part.empty()) continue;
    at /= part;
    if (auto failure = enter_or_make(dir, part, at, durable)) return failure;
  }
  out = std::move(dir);
  return std::nullopt;
}

namespace {

/// Opens the regular file `relative` below `store` (see read_store_file); on failure, sets
/// `result` (kind and failure) and returns a closed descriptor.
UniqueFd open_store_file(const fs::path& store, const fs::path& relative, StoreFileRead& result) {
  UniqueFd dir;
  if (const auto walk = open_store_dir(store, relative.parent_path(), dir)) {
    result.kind = walk->kind;
    result.failure = *walk;
    return UniqueFd();
  }
  const fs::path path = store / relative;
  UniqueFd file{::openat(dir.fd, relative.filename().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (file.fd < 0) result.failure = failure_at(dir.fd, path, errno);
  struct stat st {};
  if (file.fd >= 0 && ::fstat(file.fd, &st) != 0) result.failure = {EntryKind::kUnreadable, path, errno};
  else if (file.fd >= 0 && S_ISDIR(st.st_mode)) result.failure = {EntryKind::kDirectory, path, EISDIR};
  else if (file.fd >= 0 && !S_ISREG(st.st_mode)) result.failure = {EntryKind::kNotAFile, path, 0};
  if (result.failure.path.empty()) return file;
  result.kind = result.failure.kind;
  return UniqueFd();
}

}  // namespace

StoreFileRead read_store_file(const fs::path& store, const fs::path& relative) {
  StoreFileRead result;
  const UniqueFd file = open_store_file(store, relative, result);
  if (file.fd < 0) return result;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.failure = {EntryKind::kUnreadable, store / relative, errno};
      result.kind = EntryKind::kUnreadable;
      return result;
    }
    if (n == 0) break;
    result.bytes.append(buffer, static_cast<std::size_t>(n));
  }
  result.kind = EntryKind::kFile;
  return result;
}

StoreFileRead read_store_file_range(const fs::path& store, const fs::path& relative, std::uint64_t offset,
                                    std::uint64_t length) {
  StoreFileRead result;
  const UniqueFd file = open_store_file(store, relative, result);
  if (file.fd < 0) return result;
  result.bytes.resize(length);
  std::uint64_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(file.fd, result.bytes.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // 0: the file ends before the range does
      result.failure = {EntryKind::kUnreadable, store / relative, n < 0 ? errno : EIO};
      result.kind = EntryKind::kUnreadable;
      return result;
    }
    done += static_cast<std::uint64_t>(n);
  }
  result.kind = EntryKind::kFile;
  return result;
}

}  // namespace zpmpi::zarr
