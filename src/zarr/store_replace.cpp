// The run's copy of a store and the swap that puts it in place: see store_replace.hpp.
#include "zpmpi/zarr/store_replace.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc >= 2.28)
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_resume.hpp"

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace {

std::string copy_prefix(const StorePath& store, const char* kind) {
  std::string prefix = ".";  // built by appending: GCC 12 warns (-Wrestrict) on "." + string
  prefix += store.name();
  return prefix + ".zpmpi-" + kind + "-";
}

/// The file system cannot do this rename flag (Lustre, NFS, older kernels): use rename().
bool unsupported(int err) { return err == EINVAL || err == ENOSYS || err == ENOTSUP || err == EOPNOTSUPP; }

std::string text(int err) { return std::strerror(err); }

/// After the swap. The old store (at `old_store`; none for a new store) is removed next: it
/// must be marked, so that a removal that dies halfway leaves a copy the next run
/// recognises. It keeps the marker it has (a store zpmpi wrote keeps its stats and record
/// there) or gets an empty one; never a resume record, so --resume cannot adopt it. The new
/// store keeps of its marker the run's statistics (kStatsName) and its record, renamed from
/// the copy's resume record to kStoreRecordName (store_resume.hpp); with neither, no marker.
void settle_markers(const fs::path& store, const fs::path& old_store) {
  std::error_code ec;
  if (!old_store.empty()) {
    fs::create_directory(old_store / kMarkerName, ec);  // exists already: fine
    fs::remove(old_store / kMarkerName / kResumeRecordName, ec);  // a store swapped in by a killed run
  }
  const fs::path marker = store / kMarkerName;
  // Only a real directory is emptied: through a link planted in its place the loop below
  // would remove the entries of the link's target. The link itself is ours to drop.
  if (const auto st = fs::symlink_status(marker, ec); !ec && fs::is_symlink(st)) {
    fs::remove(marker, ec);
    return;
  }
  if (fs::is_regular_file(fs::symlink_status(marker / kResumeRecordName, ec)))
    fs::rename(marker / kResumeRecordName, marker / kStoreRecordName, ec);
  std::vector<fs::path> drop;
  for (fs::directory_iterator it(marker, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->path().filename() != kStatsName && it->path().filename() != kStoreRecordName) drop.push_back(it->path());
  for (const fs::path& p : drop) fs::remove_all(p, ec);
  if (fs::is_empty(marker, ec) && !ec) fs::remove(marker, ec);
}

}  // namespace

fs::path build_copy_path(const StorePath& store, const ProcessIdentity& who) {
  return store.parent() / (copy_prefix(store, "new") + who.host + "-" + std::to_string(who.pid));
}

fs::path aside_path(const StorePath& store, const ProcessIdentity& who) {
  return store.parent() / (copy_prefix(store, "old") + who.host + "-" + std::to_string(who.pid));
}

std::vector<Leftover> find_leftovers(const StorePath& store) {
  std::vector<Leftover> found;
  std::error_code ec;
  const std::string fresh = copy_prefix(store, "new"), aside = copy_prefix(store, "old");
  for (fs::directory_iterator it(store.parent(), ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(fresh, 0) != 0 && name.rfind(aside, 0) != 0) continue;
    std::error_code sec;
    if (!fs::is_directory(it->symlink_status(sec))) continue;
    found.push_back({it->path(), fs::is_directory(fs::symlink_status(it->path() / kMarkerName, sec))});
  }
  return found;
}

Result<Swapped> swap_into_place(const fs::path& built, const StorePath& store, const fs::path& aside,
                                bool store_exists, bool allow_exchange) {
  const fs::path& target = store.path;
  if (!store_exists) {
    int rc = ::renameat2(AT_FDCWD, built.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && unsupported(errno)) {
      std::error_code ec;  // under the store's lock only a foreign process could race here
      if (fs::exists(fs::symlink_status(target, ec))) errno = EEXIST;
      else rc = ::rename(built.c_str(), target.c_str());
    }
    if (rc != 0) {
      const int err = errno;
      return runtime_error(err == EEXIST || err == ENOTEMPTY
                               ? "store " + target.string() + " appeared while this run was writing; not replacing it"
                               : "cannot move the new store " + built.string() + " to " + target.string() + ": " +
                                     text(err));
    }
    settle_markers(target, {});
    return Swapped{};
  }
  // The new store takes the old one's permissions, as an in-place rewrite would keep them
  // (set once the marker has left it, in case they deny writing).
  struct stat old{};
  const bool keep_mode = ::lstat(target.c_str(), &old) == 0;
  const auto take_mode = [&] {
    if (keep_mode) ::chmod(target.c_str(), old.st_mode & 07777);
  };
  if (allow_exchange) {
    if (::renameat2(AT_FDCWD, built.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
      settle_markers(target, built);
      take_mode();
      return Swapped{built};
    }
    if (!unsupported(errno))
      return runtime_error("cannot swap the new store " + built.string() + " with " + target.string() + ": " +
                           text(errno));
  }
  if (::rename(target.c_str(), aside.c_str()) != 0)
    return runtime_error("cannot move the old store " + target.string() + " aside to " + aside.string() + ": " +
                         text(errno));
  if (::rename(built.c_str(), target.c_str()) != 0) {
    const int err = errno;
    const std::string why = "cannot move the new store " + built.string() + " to " + target.string() + ": " + text(err);
    if (::rename(aside.c_str(), target.c_str()) != 0)
      return runtime_error(why + "; the old store is at " + aside.string() + " (restore it: mv " +
                           shell_quote(aside.string()) + " " + shell_quote(target.string()) + ")");
    return runtime_error(why);
  }
  settle_markers(target, aside);
  take_mode();
  return Swapped{aside};
}

}  // namespace zpmpi::zarr
