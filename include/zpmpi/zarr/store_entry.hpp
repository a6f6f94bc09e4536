// Reaching an entry of a store without following a link: `store` itself and each directory
// below it are opened with O_NOFOLLOW, each relative to the one above (openat), and so is
// the entry. Writes (store.hpp) and reads (resume records, the chunk listing of --resume,
// verify) of a store go through here, so that a link planted in a killed run's copy, or in
// a store, never sends zpmpi's reads or writes elsewhere. (The store's own parents are
// resolved: store_path.hpp.)
//
// Example: with "s.zarr/t2m" a link to "/elsewhere", reading "t2m/0.0" of "s.zarr" gives
// kLink at "s.zarr/t2m" and opens nothing in /elsewhere.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

namespace zpmpi::zarr {

/// An open descriptor, closed on every way out.
struct UniqueFd {
  int fd = -1;
  UniqueFd() = default;
  explicit UniqueFd(int f) : fd(f) {}
  UniqueFd(UniqueFd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
};

/// What a store entry turned out to be.
enum class EntryKind {
  kFile,        ///< a regular file (read)
  kMissing,     ///< no such entry (ENOENT), at any level
  kLink,        ///< a symbolic link, at any level: nothing was opened through it
  kDirectory,   ///< a directory where a file was expected
  kNotAFile,    ///< a fifo, device, socket; or a file where a directory was expected
  kUnreadable,  ///< it exists but cannot be opened or read (`error` says why)
};

/// "a symbolic link", "a directory", "not a regular file" (kNotAFile); "" for the others.
const char* entry_kind_text(EntryKind kind);

/// Where reaching an entry stopped: the level at fault ("s.zarr/t2m" when t2m is a link).
struct EntryFailure {
  EntryKind kind = EntryKind::kMissing;
  std::filesystem::path path;
  int error = 0;  ///< the errno of the failed open or read
};

/// Opens the directory `relative` below `store` ("" for `store` itself) as above into
/// `out`; nullopt on success, else where and why it stopped.
std::optional<EntryFailure> open_store_dir(const std::filesystem::path& store, const std::filesystem::path& relative, UniqueFd& out);

/// Opens the directory `name` of the open directory `parent_fd` with O_NOFOLLOW into `out`,
/// one level of open_store_dir; `path` is where it is, for the failure.
std::optional<EntryFailure> open_dir_at(int parent_fd, const std::string& name, const std::filesystem::path& path,
                                        UniqueFd& out);

/// Opens `existing` below `store` as open_store_dir does, then each level of `made` below
/// it, creating the levels that are missing (0755): the chunk directories of a Zarr v3 array
/// ("c/3/0" below "t2m"). Each level is opened with O_NOFOLLOW like the others, also one
/// that another rank or thread created first (EEXIST is fine when it is a real directory),
/// so a link planted at a level is kLink and nothing is created through it; a file there is
/// kNotAFile (ENOTDIR). A level "." or ".." is refused (kNotAFile, EINVAL): `made` stays
/// below `existing`. `durable`: the directory holding each created level is synced, so the
/// new level survives a crash of the node (as file_write.hpp's `durable` does for a file).
/// A level that cannot be created is kUnreadable with the errno of mkdir (EACCES, ENOSPC).
std::optional<EntryFailure> open_or_make_store_dir(const std::filesystem::path& store,
                                                   const std::filesystem::path& existing,
                                                   const std::filesystem::path& made, UniqueFd& out,
                                                   bool durable = false);

/// The content of the regular file `relative` below `store`, opened as above (a fifo is
/// never waited on). `kind` is kFile with `bytes` set, or what was found instead (with the
/// level at fault in `failure.path`).
struct StoreFileRead {
  EntryKind kind = EntryKind::kMissing;
  std::string bytes;
  EntryFailure failure;
};
StoreFileRead read_store_file(const std::filesystem::path& store, const std::filesystem::path& relative);

/// The same for the `length` bytes at `offset` only (an inner chunk of a shard file): a
/// file that ends before the range does is kUnreadable with EIO.
StoreFileRead read_store_file_range(const std::filesystem::path& store, const std::filesystem::path& relative,
                                    std::uint64_t offset, std::uint64_t length);

/// One line for a link met where a store entry should be, for `doing` ("write", "read"):
/// "S/t2m is a symbolic link where a store entry should be; zpmpi reads nothing in a store
/// through a link: remove the link".
std::string link_in_store_message(const std::filesystem::path& link, const std::string& doing);

}  // namespace zpmpi::zarr
