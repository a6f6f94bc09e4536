// What zpmpi may delete: see store_contents.hpp.
#include "zpmpi/zarr/store_contents.hpp"

#include "zpmpi/zarr/names.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace {

enum class Kind { kGroup, kArray, kChunkDir };

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// "0", "3.0.12": decimal digits joined by '.'.
bool is_chunk_key(std::string_view s) {
  while (true) {
    const auto dot = s.find('.');
    if (!all_digits(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

/// ".zarray.tmp": write_document's temporary.
bool is_metadata_tmp(std::string_view s) {
  return s.size() > 4 && s.substr(s.size() - 4) == ".tmp" && is_metadata_key(s.substr(0, s.size() - 4));
}

/// ".0.3.tmp12": write_chunk's temporary.
bool is_chunk_tmp(std::string_view s) {
  if (s.size() < 2 || s[0] != '.') return false;
  const auto at = s.rfind(".tmp");
  return at != std::string_view::npos && at > 1 && is_chunk_key(s.substr(1, at - 1)) &&
         all_digits(s.substr(at + 4));
}

bool exists_here(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

Kind kind_of_subdir(const fs::path& dir) {
  if (exists_here(dir / ".zarray")) return Kind::kArray;
  if (exists_here(dir / ".zgroup")) return Kind::kGroup;
  return Kind::kArray;  // an array a run has not finished (.zarray comes last)
}

/// One walk for both the check and the removal. `visit_foreign` sees each foreign entry;
/// with `remove`, accepted files are unlinked and accepted directories removed once empty.
class Walker {
 public:
  explicit Walker(bool remove) : remove_(remove) {}

  void walk(const fs::path& dir, Kind kind, bool root) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return foreign(dir);
    std::vector<fs::directory_entry> entries;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) return foreign(dir);
      entries.push_back(*it);
    }
    if (root)  // the marker goes last, so a removal that stops halfway leaves a marked copy
      std::stable_partition(entries.begin(), entries.end(),
                            [](const fs::directory_entry& e) { return e.path().filename() != kMarkerName; });
    for (const auto& e : entries) entry(e, kind, root);
  }

  void entry(const fs::directory_entry& e, Kind kind, bool root) {
    const std::string name = e.path().filename().string();
    std::error_code ec;
    const fs::file_status st = e.symlink_status(ec);
    if (ec) return foreign(e.path());
    if (fs::is_directory(st)) {
      if (root && is_own_name(name)) return remove_all_own(e.path());
      if (kind == Kind::kGroup && !name.empty() && name[0] != '.') {
        walk(e.path(), kind_of_subdir(e.path()), false);
        return rmdir(e.path());
      }
      if (kind != Kind::kGroup && all_digits(name)) {
        walk(e.path(), Kind::kChunkDir, false);
        return rmdir(e.path());
      }
      return foreign(e.path());
    }
    if (!fs::is_regular_file(st)) return foreign(e.path());  // links, fifos, devices
    const bool ok = kind == Kind::kChunkDir
                        ? all_digits(name) || is_chunk_tmp(name)
                        : is_metadata_key(name) || is_metadata_tmp(name) ||
                              (kind == Kind::kArray && (is_chunk_key(name) || is_chunk_tmp(name))) ||
                              (root && is_own_name(name));
    if (!ok) return foreign(e.path());
    if (remove_ && !fs::remove(e.path(), ec) && ec) failed(e.path(), ec);
  }

  ForeignEntries found;
  fs::path failed_path;
  std::string failed_reason;

 private:
  void foreign(const fs::path& p) {
    if (found.count++ == 0) found.first = p;
  }
  void failed(const fs::path& p, const std::error_code& ec) {
    if (failed_path.empty()) failed_path = p, failed_reason = ec.message();
  }
  void rmdir(const fs::path& p) {
    std::error_code ec;
    if (remove_ && !fs::remove(p, ec) && ec && ec != std::errc::directory_not_empty) failed(p, ec);
  }
  /// zpmpi's own marker: whatever it holds is zpmpi's.
  void remove_all_own(const fs::path& p) {
    std::error_code ec;
    if (remove_) fs::remove_all(p, ec);
    if (ec) failed(p, ec);
  }

  bool remove_;
};

}  // namespace

bool is_zarr_store(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(path, ec))) return false;
  for (const char* name : {".zgroup", ".zarray", ".zmetadata"})
    if (exists_here(path / name)) return true;
  return false;
}

ForeignEntries find_foreign_entries(const fs::path& store) {
  Walker w(false);
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(store, ec))) {
    w.found = {1, store};
    return w.found;
  }
  w.walk(store, exists_here(store / ".zarray") ? Kind::kArray : Kind::kGroup, true);
  return w.found;
}

Status remove_zarr_tree(const fs::path& store) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(store, ec);
  if (!fs::exists(st)) return {};
  if (!fs::is_directory(st)) return runtime_error("not removing " + store.string() + ": not a directory");
  Walker w(true);
  w.walk(store, exists_here(store / ".zarray") ? Kind::kArray : Kind::kGroup, true);
  if (w.found.count > 0)
    return runtime_error("left " + store.string() + " in place: it holds " + w.found.first.string() +
                         ", which is not part of a Zarr store" +
                         (w.found.count > 1 ? " (and " + std::to_string(w.found.count - 1) + " other such entries)"
                                            : std::string()));
  if (!w.failed_path.empty())
    return runtime_error("cannot remove " + w.failed_path.string() + ": " + w.failed_reason);
  if (!fs::remove(store, ec) && ec) return runtime_error("cannot remove " + store.string() + ": " + ec.message());
  return {};
}

}  // namespace zpmpi::zarr
