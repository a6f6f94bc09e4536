#include "zpmpi/zarr/linked_copy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "zpmpi/zarr/names.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace {

struct Linker {
  const fs::path& store;
  const fs::path& copy;
  const std::set<fs::path>& rewritten;
  std::uint64_t linked = 0;

  Error failure(const fs::path& rel, const std::string& why) const {
    return runtime_error("append: cannot link " + (store / rel).string() + " into " + copy.string() + ": " + why);
  }

  /// The entries of directory `rel` (relative to the store), recursively.
  Status walk(const fs::path& rel) {
    DIR* dir = ::opendir((store / rel).c_str());
    if (!dir) return failure(rel, std::strerror(errno));
    Status status;
    while (status.ok()) {
      errno = 0;
      const dirent* e = ::readdir(dir);
      if (!e) {
        if (errno) status = failure(rel, std::strerror(errno));
        break;
      }
      const std::string name = e->d_name;
      if (name == "." || name == ".." || (rel.empty() && name == kMarkerName)) continue;
      status = entry(rel.empty() ? fs::path(name) : rel / name);
    }
    ::closedir(dir);
    return status;
  }

  Status entry(const fs::path& rel) {
    struct stat st{};
    if (::lstat((store / rel).c_str(), &st) != 0) return failure(rel, std::strerror(errno));
    if (S_ISDIR(st.st_mode)) {
      if (::mkdir((copy / rel).c_str(), 0777) != 0 && errno != EEXIST) return failure(rel, std::strerror(errno));
      return walk(rel);
    }
    if (!S_ISREG(st.st_mode))
      return failure(rel, "it is not a regular file (zpmpi never reads or writes through a link in a store)");
    const std::string name = rel.filename().string();
    if (is_metadata_key(name) || name == kV3MetadataKey || rewritten.count(rel)) return {};
    if (::link((store / rel).c_str(), (copy / rel).c_str()) != 0) {
      if (errno == EEXIST) return {};  // a resumed copy's
      return failure(rel, std::strerror(errno) + std::string(errno == EXDEV || errno == EPERM
                                                                  ? " (the file system must allow hard links)"
                                                                  : ""));
    }
    ++linked;
    return {};
  }
};

}  // namespace

Result<std::uint64_t> link_store_files(const fs::path& store, const fs::path& copy,
                                       const std::set<fs::path>& rewritten) {
  Linker linker{store, copy, rewritten};
  ZPMPI_RETURN_IF_ERROR(linker.walk({}));
  return linker.linked;
}

}  // namespace zpmpi::zarr
