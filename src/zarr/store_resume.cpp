// Resume records and chunk listings: see store_resume.hpp.
#include "zpmpi/zarr/store_resume.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <boost/json.hpp>

#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_entry.hpp"

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

std::string shorten(std::string text) {
  constexpr std::size_t kMax = 120;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

}  // namespace

std::optional<std::uint64_t> chunk_index(std::string_view name, const model::Shape& grid) {
  if (grid.empty()) return name == "0" ? std::optional<std::uint64_t>(0) : std::nullopt;
  std::uint64_t linear = 0;
  std::size_t d = 0;
  while (true) {
    const auto dot = name.find('.');
    const std::string_view part = name.substr(0, dot);
    std::uint64_t i = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), i);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() || d >= grid.size() ||
        i >= static_cast<std::uint64_t>(grid[d]))
      return std::nullopt;
    linear = linear * static_cast<std::uint64_t>(grid[d]) + i;
    ++d;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return d == grid.size() ? std::optional<std::uint64_t>(linear) : std::nullopt;
}

Status write_resume_record(const fs::path& copy, const json::object& record) {
  const std::string text = json::serialize(record);
  return write_store_file(copy, fs::path(kMarkerName) / kResumeRecordName, std::as_bytes(std::span(text)),
                          std::string(kResumeRecordName) + ".tmp");
}

namespace {

/// The JSON object at `relative` below `store`; nullopt when absent, unreadable or not an
/// object; an error when a link stands on the way (nothing is read through it).
Result<std::optional<json::object>> read_record(const fs::path& store, const fs::path& relative) {
  const StoreFileRead file = read_store_file(store, relative);
  if (file.kind == EntryKind::kLink)
    return runtime_error("the record " + (store / relative).string() + " is not read: " +
                         link_in_store_message(file.failure.path, "read"));
  if (file.kind != EntryKind::kFile) return std::optional<json::object>{};
  boost::system::error_code ec;
  json::value v = json::parse(file.bytes, ec);
  if (ec || !v.is_object()) return std::optional<json::object>{};
  return std::optional<json::object>{v.get_object()};
}

}  // namespace

Result<std::optional<json::object>> read_resume_record(const fs::path& copy) {
  return read_record(copy, fs::path(kMarkerName) / kResumeRecordName);
}

Result<std::optional<json::object>> read_store_record(const fs::path& store) {
  ZPMPI_ASSIGN_OR_RETURN(std::optional<json::object> record, read_record(store, fs::path(kMarkerName) / kStoreRecordName));
  if (record) return record;
  return read_record(store, fs::path(kMarkerName) / kResumeRecordName);
}

std::vector<std::string> record_differences(const json::object& was, const json::object& now, std::string_view who) {
  std::vector<std::string> out;
  for (const auto& [key, value] : now) {
    const json::value* old = was.if_contains(key);
    if (!old) out.push_back(std::string(key) + " (not recorded by " + std::string(who) + ")");
    else if (*old != value)
      out.push_back(std::string(key) + " (was " + shorten(json::serialize(*old)) + ", now " +
                    shorten(json::serialize(value)) + ")");
  }
  for (const auto& [key, value] : was)
    if (!now.contains(key)) out.push_back(std::string(key) + " (recorded by " + std::string(who) + " only)");
  return out;
}

std::string digest(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

namespace {

/// True when `name` in `dir_fd` is a regular file (d_type when the file system gives it).
bool is_regular(int dir_fd, const struct dirent& e) {
  if (e.d_type != DT_UNKNOWN) return e.d_type == DT_REG;
  struct stat st {};
  return ::fstatat(dir_fd, e.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

Result<ChunkListing> list_chunks(const fs::path& store, const std::string& array, const model::Shape& grid) {
  ChunkListing listing;
  std::uint64_t cells = 1;
  for (auto g : grid) cells *= static_cast<std::uint64_t>(g);
  listing.present.assign(cells, false);
  const fs::path dir = store / array;
  UniqueFd fd;
  if (const auto failure = open_store_dir(store, array, fd)) {
    if (failure->kind == EntryKind::kMissing) return listing;
    if (failure->kind == EntryKind::kLink) return runtime_error(link_in_store_message(failure->path, "read"));
    return runtime_error("cannot list " + dir.string() + ": " + std::strerror(failure->error));
  }
  DIR* d = ::fdopendir(::dup(fd.fd));
  if (!d) return runtime_error("cannot list " + dir.string() + ": " + std::strerror(errno));
  errno = 0;
  while (const struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    // ".KEY.tmpN" of a chunk, ".zarray.tmp" of a document: never complete, never kept.
    if (name.size() > 1 && name[0] == '.' && name != ".." && name.find(".tmp") != std::string::npos) {
      if (::unlinkat(fd.fd, e->d_name, 0) == 0) ++listing.removed_temps;
    } else if (const auto n = chunk_index(name, grid); n && is_regular(fd.fd, *e)) {
      if (!listing.present[*n]) ++listing.count;
      listing.present[*n] = true;
    }
    errno = 0;
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) return runtime_error("cannot list " + dir.string() + ": " + std::strerror(err));
  return listing;
}

}  // namespace zpmpi::zarr
