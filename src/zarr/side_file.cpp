// A file written outside the store: see side_file.hpp.
#include "zpmpi/zarr/side_file.hpp"

#include <sys/stat.h>

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace {

/// Both exist and are one file (any spelling, a link to it, a hard link).
bool same_file(const fs::path& a, const fs::path& b) {
  struct stat x{}, y{};
  return ::stat(a.c_str(), &x) == 0 && ::stat(b.c_str(), &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/// The entry of `parent` that `path` lies in ("" when it is not below `parent`).
std::string entry_below(const fs::path& path, const fs::path& parent) {
  if (!is_within(path, parent) || path.lexically_normal() == parent.lexically_normal()) return "";
  return path.lexically_relative(parent).begin()->string();
}

/// Where, of the store and its zpmpi siblings, `path` lies; empty when outside them all.
std::string inside_store(const fs::path& path, const StorePath& store) {
  if (is_within(path, store.path)) return "inside the store " + store.path.string();
  const std::string entry = entry_below(path, store.parent());
  std::string prefix = ".";  // built by appending: GCC 12 warns (-Wrestrict) on "." + string
  prefix += store.name();
  prefix += ".zpmpi-";
  if (entry.rfind(prefix, 0) == 0)
    return "inside " + (store.parent() / entry).string() + ", a copy or the lock zpmpi keeps beside the store " +
           store.path.string();
  return "";
}

}  // namespace

Status check_side_file(const std::string& key, const std::string& file, const std::string& store,
                       const std::vector<ProtectedPath>& protect, fs::path cwd) {
  std::error_code ec;
  if (cwd.empty()) cwd = fs::current_path(ec);
  const auto refuse = [&](const std::string& why) {
    return usage_error(key + " " + file + ": refusing to write the run's summary " + why);
  };
  const fs::path lexical = (fs::path(file).is_absolute() ? fs::path(file) : cwd / file).lexically_normal();
  const fs::path real = real_path(file, cwd);
  for (const ProtectedPath& p : protect) {
    if (p.path.empty()) continue;
    const fs::path other = p.path.is_absolute() ? p.path : cwd / p.path;
    if (same_file(lexical, other) || lexical == other.lexically_normal() || real == real_path(p.path, cwd))
      return refuse("over " + p.what + " " + p.path.string());
  }
  const auto resolved = resolve_store_path(store, cwd);
  if (!resolved.ok()) return {};  // the store's own check reports it
  for (const fs::path& p : {lexical, real})
    if (const std::string where = inside_store(p, *resolved); !where.empty()) return refuse(where);
  return {};
}

}  // namespace zpmpi::zarr
