// What zpmpi may delete: see store_contents.hpp.
#include "zpmpi/zarr/store_contents.hpp"

#include "zpmpi/zarr/names.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_entry.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

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

/// A v3 chunk key in the array's own directory: "c" (0-d), or "c.0.12" (separator ".").
bool is_v3_flat_key(std::string_view s) {
  return s == "c" || (s.starts_with("c.") && is_chunk_key(s.substr(2)));
}

bool is_document(std::string_view s) { return is_metadata_key(s) || s == kV3MetadataKey; }

/// ".zarray.tmp", "zarr.json.tmp": write_document's temporary.
bool is_metadata_tmp(std::string_view s) {
  return s.size() > 4 && s.substr(s.size() - 4) == ".tmp" && is_document(s.substr(0, s.size() - 4));
}

/// ".0.3.tmp12": write_chunk's temporary of a v2 key (or of a v3 key's last level, "1").
bool is_chunk_tmp(std::string_view s) { return is_chunk_key(temporary_of(s)); }

bool exists_here(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

/// The Zarr v3 document ("zarr_format": 3) in `dir`, read without following a link;
/// nullopt when there is none, or it is something else.
std::optional<boost::json::object> v3_document(const fs::path& dir) {
  const StoreFileRead doc = read_store_file(dir, std::string(kV3MetadataKey));
  if (doc.kind != EntryKind::kFile) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(doc.bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const boost::json::value* format = v.get_object().if_contains("zarr_format");
  if (!format || *format != 3) return std::nullopt;
  return std::move(v.get_object());
}

/// The kind its v3 document's "node_type" gives `dir`; nullopt without one.
std::optional<Kind> v3_node_kind(const fs::path& dir) {
  const auto doc = v3_document(dir);
  const boost::json::value* type = doc ? doc->if_contains("node_type") : nullptr;
  if (type && *type == "group") return Kind::kGroup;
  if (type && *type == "array") return Kind::kArray;
  return std::nullopt;
}

Kind kind_of_dir(const fs::path& dir, bool root) {
  if (exists_here(dir / ".zarray")) return Kind::kArray;
  if (exists_here(dir / ".zgroup")) return Kind::kGroup;
  if (const auto kind = v3_node_kind(dir)) return *kind;
  // The root of a copy is a group from its first moment; any other directory without a
  // document is an array a run has not finished (.zarray, zarr.json come last).
  return root ? Kind::kGroup : Kind::kArray;
}

/// A chunk file, or its temporary, in an array's own directory (v2 "0.3", v3 "c", "c.0.3").
bool is_array_file(std::string_view name) {
  return is_chunk_key(name) || is_v3_flat_key(name) || is_chunk_key(temporary_of(name)) ||
         is_v3_flat_key(temporary_of(name));
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
        walk(e.path(), kind_of_dir(e.path(), false), false);
        return rmdir(e.path());
      }
      // Chunk directories: v2 "3/0/12" (dimension_separator "/"), v3 "c/3/0/12".
      if ((kind != Kind::kGroup && all_digits(name)) || (kind == Kind::kArray && name == "c")) {
        walk(e.path(), Kind::kChunkDir, false);
        return rmdir(e.path());
      }
      return foreign(e.path());
    }
    if (!fs::is_regular_file(st)) return foreign(e.path());  // links, fifos, devices
    const bool ok = kind == Kind::kChunkDir ? all_digits(name) || is_chunk_tmp(name)
                                            : is_document(name) || is_metadata_tmp(name) ||
                                                  (kind == Kind::kArray && is_array_file(name)) ||
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
  return v3_node_kind(path).has_value();
}

std::optional<ZarrFormat> complete_store_format(const fs::path& store) {
  UniqueFd dir;
  if (open_store_dir(store, "", dir)) return std::nullopt;
  struct stat st {};
  if (::fstatat(dir.fd, ".zmetadata", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) return ZarrFormat::kV2;
  // v3: the root's document with the consolidated metadata (write_v3_metadata's last).
  const auto root = v3_document(store);
  const boost::json::value* consolidated = root ? root->if_contains("consolidated_metadata") : nullptr;
  if (consolidated && consolidated->is_object()) return ZarrFormat::kV3;
  return std::nullopt;
}

ForeignEntries find_foreign_entries(const fs::path& store) {
  Walker w(false);
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(store, ec))) {
    w.found = {1, store};
    return w.found;
  }
  w.walk(store, kind_of_dir(store, true), true);
  return w.found;
}

Status remove_zarr_tree(const fs::path& store) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(store, ec);
  if (!fs::exists(st)) return {};
  if (!fs::is_directory(st)) return runtime_error("not removing " + store.string() + ": not a directory");
  Walker w(true);
  w.walk(store, kind_of_dir(store, true), true);
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
