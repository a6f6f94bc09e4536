// The directory store: its skeleton, atomic chunk and metadata writes.
#include "zpmpi/zarr/store.hpp"

#include "zpmpi/zarr/file_write.hpp"
#include "zpmpi/zarr/names.hpp"

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

namespace {

std::string errno_text(int err) { return std::strerror(err); }

/// write_file_atomically, with errors that name `path` (and `tmp` for the rename).
Status write_atomically(const fs::path& path, const fs::path& tmp, const void* bytes, std::size_t size,
                        bool durable = false) {
  const auto failure = write_file_atomically(path, tmp, {static_cast<const std::byte*>(bytes), size}, durable);
  if (!failure) return {};
  if (failure->step == FileWriteFailure::Step::kSync)
    return runtime_error("cannot sync the directory of " + path.string() + ": " + errno_text(failure->error));
  if (failure->step == FileWriteFailure::Step::kRename)
    return runtime_error("cannot rename " + tmp.string() + " to " + path.string() + ": " + errno_text(failure->error));
  return runtime_error("cannot write " + path.string() + ": " + errno_text(failure->error));
}

/// Metadata documents are written by one process (rank 0), so a fixed temporary name
/// (".zarray" -> ".zarray.tmp") cannot collide.
Status write_document(const fs::path& path, const boost::json::value& doc) {
  const std::string text = dump_json(doc);
  return write_atomically(path, path.parent_path() / (path.filename().string() + ".tmp"), text.data(),
                          text.size());
}

}  // namespace

Status check_array_name(const fs::path& store, const std::string& name) {
  if (auto st = check_name(name); !st.ok())
    return runtime_error("cannot create store " + store.string() + ": invalid array name '" + name + "'");
  return {};
}

Status create_store(const fs::path& path, const std::vector<std::string>& array_names) {
  for (const auto& name : array_names) ZPMPI_RETURN_IF_ERROR(check_array_name(path, name));
  std::error_code ec;
  // Missing parents are created too, so "cache/era5.zarr" works in a fresh directory.
  fs::create_directories(path, ec);
  if (ec) return runtime_error("cannot create store " + path.string() + ": " + ec.message());
  for (const auto& name : array_names) {
    fs::create_directory(path / name, ec);
    if (ec) return runtime_error("cannot create " + (path / name).string() + ": " + ec.message());
  }
  // .zgroup now: it proves the store is writable before any rank spends time reading.
  return write_document(path / ".zgroup", boost::json::object{{"zarr_format", 2}});
}

Status write_chunk(const fs::path& store, const std::string& array, const std::string& key,
                   std::span<const std::byte> bytes, int writer_id, bool durable) {
  // The temporary name is hidden (zarr-python lists only chunk keys) and unique per writer,
  // so two ranks that ever wrote the same chunk would not corrupt each other's file.
  const fs::path dir = store / array;
  return write_atomically(dir / key, dir / ("." + key + ".tmp" + std::to_string(writer_id)), bytes.data(),
                          bytes.size(), durable);
}

Status write_metadata(const fs::path& store, const boost::json::object& group_attrs,
                      const std::vector<ArrayMeta>& arrays, const boost::json::value& compressor) {
  ZPMPI_RETURN_IF_ERROR(write_document(store / ".zgroup", boost::json::object{{"zarr_format", 2}}));
  ZPMPI_RETURN_IF_ERROR(write_document(store / ".zattrs", group_attrs));
  for (const auto& a : arrays) {
    const fs::path dir = store / a.layout.name;
    ZPMPI_RETURN_IF_ERROR(write_document(dir / ".zarray", zarray_json(a.layout, compressor)));
    ZPMPI_RETURN_IF_ERROR(write_document(dir / ".zattrs", array_zattrs_json(a)));
  }
  // Last: a store with .zmetadata is complete.
  return write_document(store / ".zmetadata", zmetadata_json(group_attrs, arrays, compressor));
}

}  // namespace zpmpi::zarr
