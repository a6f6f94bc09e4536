// The directory store: safe creation and replacement, atomic chunk and metadata writes.
#include "zpmpi/zarr/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/json.hpp>

namespace zpmpi::zarr {
namespace fs = std::filesystem;

std::string chunk_key(const model::Shape& chunk_index) {
  if (chunk_index.empty()) return "0";
  std::string key;
  for (std::size_t d = 0; d < chunk_index.size(); ++d) {
    if (d) key += '.';
    key += std::to_string(chunk_index[d]);
  }
  return key;
}

bool is_zarr_store(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return false;
  for (const char* name : {".zgroup", ".zarray", ".zmetadata"})
    if (fs::exists(path / name, ec)) return true;
  return false;
}

namespace {

std::string errno_text(int err) { return std::strerror(err); }

/// Writes `bytes` to `path` through `tmp` and a rename, so `path` is never seen half-written.
Status write_atomically(const fs::path& path, const fs::path& tmp, const void* bytes, std::size_t size) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return runtime_error("cannot write " + tmp.string() + ": " + errno_text(errno));
  const auto* p = static_cast<const char*>(bytes);
  std::size_t left = size;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return runtime_error("cannot write " + path.string() + ": " + errno_text(err));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return runtime_error("cannot write " + path.string() + ": " + errno_text(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return runtime_error("cannot rename " + tmp.string() + " to " + path.string() + ": " + errno_text(err));
  }
  return {};
}

Status write_document(const fs::path& path, const boost::json::value& doc) {
  const std::string text = dump_json(doc);
  return write_atomically(path, path.parent_path() / (path.filename().string() + ".tmp"), text.data(),
                          text.size());
}

}  // namespace

Status prepare_store(const fs::path& path, bool overwrite, const std::vector<std::string>& array_names) {
  std::error_code ec;
  const auto status = fs::symlink_status(path, ec);
  if (fs::exists(status)) {
    if (!overwrite)
      return runtime_error("store " + path.string() +
                           " exists; pass --overwrite (or \"overwrite\": true) to replace it");
    if (fs::is_symlink(status) || !is_zarr_store(path))
      return runtime_error("refusing to overwrite " + path.string() + ": not a zarr store");
    fs::remove_all(path, ec);
    if (ec) return runtime_error("cannot remove old store " + path.string() + ": " + ec.message());
  }
  fs::create_directories(path, ec);
  if (ec) return runtime_error("cannot create store " + path.string() + ": " + ec.message());
  for (const auto& name : array_names) {
    fs::create_directory(path / name, ec);
    if (ec) return runtime_error("cannot create " + (path / name).string() + ": " + ec.message());
  }
  // .zgroup now: it proves the store is writable before any rank spends time reading, and
  // marks the directory as a zarr store that a later --overwrite may replace if this run dies.
  return write_document(path / ".zgroup", boost::json::object{{"zarr_format", 2}});
}

Status write_chunk(const fs::path& store, const std::string& array, const std::string& key,
                   std::span<const std::byte> bytes, int writer_id) {
  const fs::path dir = store / array;
  return write_atomically(dir / key, dir / ("." + key + ".tmp" + std::to_string(writer_id)), bytes.data(),
                          bytes.size());
}

Status write_metadata(const fs::path& store, const boost::json::object& group_attrs,
                      const std::vector<ArrayMeta>& arrays) {
  ZPMPI_RETURN_IF_ERROR(write_document(store / ".zgroup", boost::json::object{{"zarr_format", 2}}));
  ZPMPI_RETURN_IF_ERROR(write_document(store / ".zattrs", group_attrs));
  for (const auto& a : arrays) {
    ZPMPI_RETURN_IF_ERROR(write_document(store / a.name / ".zarray", zarray_json(a)));
    ZPMPI_RETURN_IF_ERROR(write_document(store / a.name / ".zattrs", array_zattrs_json(a)));
  }
  // Last: a store with .zmetadata is complete.
  return write_document(store / ".zmetadata", zmetadata_json(group_attrs, arrays));
}

Status remove_store(const fs::path& store) {
  std::error_code ec;
  fs::remove_all(store, ec);
  if (ec) return runtime_error("cannot remove " + store.string() + ": " + ec.message());
  return {};
}

}  // namespace zpmpi::zarr
