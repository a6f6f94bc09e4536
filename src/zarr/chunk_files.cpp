// Which chunk and shard files an array holds: see chunk_files.hpp.
#include "zpmpi/zarr/chunk_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_entry.hpp"

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace {

struct DirEntry {
  std::string name;
  unsigned char type = DT_UNKNOWN;
};

/// The entries of the open directory `fd` (at `at`), "." and ".." left out.
Result<std::vector<DirEntry>> read_dir(int fd, const fs::path& at) {
  DIR* d = ::fdopendir(::dup(fd));
  if (!d) return runtime_error("cannot list " + at.string() + ": " + std::strerror(errno));
  std::vector<DirEntry> entries;
  errno = 0;
  while (const struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) entries.push_back({e->d_name, e->d_type});
    errno = 0;
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) return runtime_error("cannot list " + at.string() + ": " + std::strerror(err));
  return entries;
}

/// True when the entry of `dir_fd` is a regular file (d_type when the file system gives it).
bool is_regular(int dir_fd, const DirEntry& e) {
  if (e.type != DT_UNKNOWN) return e.type == DT_REG;
  struct stat st {};
  return ::fstatat(dir_fd, e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/// A directory of the listing that could not be entered, as an error; nullopt: it is missing.
std::optional<Error> listing_error(const EntryFailure& failure) {
  if (failure.kind == EntryKind::kMissing) return std::nullopt;
  if (failure.kind == EntryKind::kLink) return runtime_error(link_in_store_message(failure.path, "read"));
  if (failure.error == ENOTDIR) return runtime_error(failure.path.string() + " is not a directory where the store has one");
  return runtime_error("cannot list " + failure.path.string() + ": " + std::strerror(failure.error));
}

/// Opens `relative` below `store` into `out`: true when it is there, false when missing.
Result<bool> open_listed(const fs::path& store, const fs::path& relative, UniqueFd& out) {
  const auto failure = open_store_dir(store, relative, out);
  if (!failure) return true;
  if (auto error = listing_error(*failure)) return *error;
  return false;
}

ChunkListing empty_listing(std::uint64_t files) {
  ChunkListing listing;
  listing.present.assign(files, false);
  return listing;
}

void mark(ChunkListing& listing, std::uint64_t n) {
  if (!listing.present[n]) ++listing.count;
  listing.present[n] = true;
}

/// The last `index_bytes` bytes of a shard file (fewer when the file is shorter) and its size.
struct ShardTail {
  std::vector<std::byte> bytes;
  std::uint64_t file_size = 0;
};

/// Reads the tail of the file `name` of `dir_fd` (at `path`) without following a link;
/// nullopt when there is no such file. Errors: a link, not a regular file, a failed read.
Result<std::optional<ShardTail>> read_shard_tail(int dir_fd, const std::string& name, const fs::path& path,
                                                 std::uint64_t index_bytes) {
  UniqueFd file{::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  struct stat st {};
  if (file.fd < 0 && errno == ENOENT) return std::optional<ShardTail>{};
  if (file.fd < 0 && errno == ELOOP) return runtime_error(link_in_store_message(path, "read"));
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0)
    return runtime_error("cannot read " + path.string() + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return runtime_error(path.string() + " is " + (S_ISDIR(st.st_mode) ? "a directory" : "not a regular file") +
                         " where a shard file should be");
  ShardTail tail;
  tail.file_size = static_cast<std::uint64_t>(st.st_size);
  tail.bytes.resize(std::min(index_bytes, tail.file_size));
  std::size_t done = 0;
  while (done < tail.bytes.size()) {
    const off_t at = static_cast<off_t>(tail.file_size - tail.bytes.size() + done);
    const ssize_t n = ::pread(file.fd, tail.bytes.data() + done, tail.bytes.size() - done, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return runtime_error("cannot read " + path.string() + ": " + std::strerror(n == 0 ? EIO : errno));
    done += static_cast<std::size_t>(n);
  }
  return std::optional<ShardTail>{std::move(tail)};
}

}  // namespace

std::optional<std::uint64_t> chunk_index(std::string_view name, const model::Shape& grid) {
  return chunk_file_index(ZarrFormat::kV2, name, grid);
}

Result<ChunkListing> list_chunks(const fs::path& store, const std::string& array, const model::Shape& grid) {
  ChunkListing listing = empty_listing(array_files(ZarrFormat::kV2, grid).file_count());
  UniqueFd fd;
  ZPMPI_ASSIGN_OR_RETURN(const bool found, open_listed(store, array, fd));
  if (!found) return listing;
  ZPMPI_ASSIGN_OR_RETURN(const std::vector<DirEntry> entries, read_dir(fd.fd, store / array));
  for (const DirEntry& e : entries) {
    // ".KEY.tmpN" of a chunk, ".zarray.tmp" of a document: never complete, never kept.
    if (e.name[0] == '.' && e.name.find(".tmp") != std::string::npos) {
      if (::unlinkat(fd.fd, e.name.c_str(), 0) == 0) ++listing.removed_temps;
    } else if (const auto n = chunk_index(e.name, grid); n && is_regular(fd.fd, e)) {
      mark(listing, *n);
    }
  }
  return listing;
}

namespace {

/// One listing of a v3 array's "c" tree (see list_chunk_files).
class V3Listing {
 public:
  V3Listing(const ArrayFiles& files, ChunkListing& listing) : files_(files), listing_(listing) {}

  /// The directory of dim `d` (at `at`, open as `fd`), below the coordinates giving `prefix`.
  Status level(int fd, const fs::path& at, std::size_t d, std::uint64_t prefix) {
    ZPMPI_ASSIGN_OR_RETURN(const std::vector<DirEntry> entries, read_dir(fd, at));
    const bool last = d + 1 == files_.grid.size();
    for (const DirEntry& e : entries) {
      if (key_coordinate(temporary_of(e.name), files_.grid[d])) {
        if (::unlinkat(fd, e.name.c_str(), 0) == 0) ++listing_.removed_temps;
        continue;
      }
      const auto i = key_coordinate(e.name, files_.grid[d]);
      if (!i) continue;  // not a key of this grid: left alone
      const std::uint64_t n = prefix * files_.grid[d] + *i;
      if (last) {
        ZPMPI_RETURN_IF_ERROR(leaf(fd, e, at / e.name, n));
        continue;
      }
      UniqueFd next;
      if (const auto failure = open_dir_at(fd, e.name, at / e.name, next)) {
        if (auto error = listing_error(*failure)) return *error;
        continue;  // removed since it was listed
      }
      ZPMPI_RETURN_IF_ERROR(level(next.fd, at / e.name, d + 1, n));
    }
    return {};
  }

  /// A 0-d array: its one file "c" and temporaries ".c.tmpN" in the array's directory.
  Status scalar(int fd, const fs::path& at) {
    ZPMPI_ASSIGN_OR_RETURN(const std::vector<DirEntry> entries, read_dir(fd, at));
    for (const DirEntry& e : entries) {
      if (temporary_of(e.name) == "c" && ::unlinkat(fd, e.name.c_str(), 0) == 0) ++listing_.removed_temps;
      if (e.name == "c") ZPMPI_RETURN_IF_ERROR(leaf(fd, e, at / e.name, 0));
    }
    return {};
  }

 private:
  /// A file with a key of the grid: present when regular and, for a shard, its index checks.
  Status leaf(int fd, const DirEntry& e, const fs::path& path, std::uint64_t n) {
    if (!is_regular(fd, e)) return {};  // a link or directory: the run replaces it (or fails naming it)
    if (!files_.sharded()) {
      mark(listing_, n);
      return {};
    }
    const std::uint64_t slots = files_.shard_slots();
    ZPMPI_ASSIGN_OR_RETURN(const std::optional<ShardTail> tail,
                           read_shard_tail(fd, e.name, path, shard_index_size(slots)));
    if (!tail) return {};
    const auto index = decode_shard_index(tail->bytes, slots, tail->file_size);
    if (index.ok()) {
      mark(listing_, n);
      return {};
    }
    // Complete by its rename, yet unusable: never kept, so the run writes it again.
    std::string line = path.string() + ": " + index.error().message;
    if (::unlinkat(fd, e.name.c_str(), 0) != 0)
      return runtime_error(line + "; cannot remove it: " + std::strerror(errno));
    listing_.rejected.push_back(std::move(line));
    return {};
  }

  const ArrayFiles& files_;
  ChunkListing& listing_;
};

}  // namespace

Result<ChunkListing> list_chunk_files(const fs::path& store, const std::string& array, const ArrayFiles& files) {
  if (files.format == ZarrFormat::kV2) return list_chunks(store, array, files.grid);
  ChunkListing listing = empty_listing(files.file_count());
  UniqueFd dir;
  ZPMPI_ASSIGN_OR_RETURN(const bool found, open_listed(store, array, dir));
  if (!found) return listing;
  V3Listing walk(files, listing);
  const fs::path at = store / array;
  if (files.grid.empty()) {
    ZPMPI_RETURN_IF_ERROR(walk.scalar(dir.fd, at));
    return listing;
  }
  UniqueFd c;
  if (const auto failure = open_dir_at(dir.fd, "c", at / "c", c)) {
    if (auto error = listing_error(*failure)) return *error;
    return listing;
  }
  ZPMPI_RETURN_IF_ERROR(walk.level(c.fd, at / "c", 0, 0));
  return listing;
}

Result<std::optional<std::vector<ShardEntry>>> read_shard_index(const fs::path& store, const fs::path& relative,
                                                                std::uint64_t slots) {
  using Entries = std::optional<std::vector<ShardEntry>>;
  const fs::path path = store / relative;
  UniqueFd dir;
  if (const auto failure = open_store_dir(store, relative.parent_path(), dir)) {
    if (failure->kind == EntryKind::kMissing) return Entries{};
    if (failure->kind == EntryKind::kLink) return runtime_error(link_in_store_message(failure->path, "read"));
    return runtime_error("cannot read " + path.string() + ": " + failure->path.string() + ": " +
                         std::strerror(failure->error));
  }
  ZPMPI_ASSIGN_OR_RETURN(const std::optional<ShardTail> tail,
                         read_shard_tail(dir.fd, relative.filename().string(), path, shard_index_size(slots)));
  if (!tail) return Entries{};
  auto index = decode_shard_index(tail->bytes, slots, tail->file_size);
  if (!index.ok()) return index.error().with_context(path.string());
  return Entries{std::move(*index)};
}

}  // namespace zpmpi::zarr
