// The directory store: its skeleton, atomic chunk and metadata writes.
#include "zpmpi/zarr/store.hpp"

#include "zpmpi/zarr/file_write.hpp"
#include "zpmpi/zarr/names.hpp"
#include "zpmpi/zarr/store_entry.hpp"
#include "write_errors.hpp"

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

// Metadata documents are written by one process (rank 0), so a fixed temporary name
// (".zarray" -> ".zarray.tmp") cannot collide.
Status write_document(const fs::path& store, const fs::path& relative, const boost::json::value& doc) {
  const std::string text = dump_json(doc);
  return write_store_file(store, relative, std::as_bytes(std::span(text)), relative.filename().string() + ".tmp");
}

namespace {

/// Writes the file `below` of the directory `existing` of `store` (see write_store_file),
/// creating the levels of `below` that are missing (write_chunk's "c/3/0" of a v3 key).
Status write_below(const fs::path& store, const fs::path& existing, const fs::path& below,
                   std::span<const std::byte> bytes, const std::string& tmp, bool durable, WriteFault* fault) {
  const fs::path path = store / existing / below;
  UniqueFd dir;
  if (const auto failure = open_or_make_store_dir(store, existing, below.parent_path(), dir, durable))
    return not_entered(*failure, path);
  const auto failure = write_file_atomically_at(dir.fd, below.filename().string(), tmp, bytes, durable, fault);
  if (!failure) return {};
  return write_failed(*failure, path, tmp);
}

}  // namespace

Status write_store_file(const fs::path& store, const fs::path& relative, std::span<const std::byte> bytes,
                        const std::string& tmp, bool durable, WriteFault* fault) {
  return write_below(store, relative.parent_path(), relative.filename(), bytes, tmp, durable, fault);
}

std::string temporary_name(std::string_view file_name, int writer_id) {
  std::string name = ".";
  name.append(file_name).append(".tmp").append(std::to_string(writer_id));
  return name;
}

std::string_view temporary_of(std::string_view name) {
  const auto at = name.rfind(".tmp");
  if (name.size() < 2 || name[0] != '.' || at == std::string_view::npos || at <= 1) return {};
  const std::string_view writer = name.substr(at + 4);
  if (writer.empty() || writer.find_first_not_of("0123456789") != std::string_view::npos) return {};
  return name.substr(1, at - 1);
}

Status check_array_name(const fs::path& store, const std::string& name, ZarrFormat format) {
  if (auto st = check_name(name, format); !st.ok())
    return runtime_error("cannot create store " + store.string() + ": invalid array name '" + name + "'");
  return {};
}

Status create_store(const fs::path& path, const std::vector<std::string>& array_names, ZarrFormat format) {
  for (const auto& name : array_names) ZPMPI_RETURN_IF_ERROR(check_array_name(path, name, format));
  std::error_code ec;
  // Missing parents are created too, so "cache/era5.zarr" works in a fresh directory.
  fs::create_directories(path, ec);
  if (ec) return runtime_error("cannot create store " + path.string() + ": " + ec.message());
  for (const auto& name : array_names) {
    fs::create_directory(path / name, ec);
    if (ec) return runtime_error("cannot create " + (path / name).string() + ": " + ec.message());
    if (fs::is_symlink(fs::symlink_status(path / name, ec)))
      return not_entered({EntryKind::kLink, path / name, ELOOP}, path / name);
    if (!fs::is_directory(fs::symlink_status(path / name, ec)))
      return not_entered({EntryKind::kNotAFile, path / name, ENOTDIR}, path / name);
  }
  // v2: .zgroup now: it proves the store is writable before any rank spends time reading.
  // v3 has no such document: the root zarr.json is the one written last (store_format.hpp).
  if (format == ZarrFormat::kV3) return {};
  return write_document(path, ".zgroup", boost::json::object{{"zarr_format", 2}});
}

Status write_chunk(const fs::path& store, const std::string& array, const std::string& key,
                   std::span<const std::byte> bytes, int writer_id, bool durable, WriteFault* fault) {
  // The temporary name is hidden (zarr-python lists only chunk keys) and unique per writer,
  // so two ranks that ever wrote the same chunk would not corrupt each other's file.
  const fs::path below(key);
  return write_below(store, array, below, bytes, temporary_name(below.filename().string(), writer_id), durable, fault);
}

Status write_metadata(const fs::path& store, const boost::json::object& group_attrs,
                      const std::vector<ArrayMeta>& arrays, const boost::json::value& compressor) {
  ZPMPI_RETURN_IF_ERROR(write_document(store, ".zgroup", boost::json::object{{"zarr_format", 2}}));
  ZPMPI_RETURN_IF_ERROR(write_document(store, ".zattrs", group_attrs));
  for (const auto& a : arrays) {
    const fs::path dir = a.layout.name;
    ZPMPI_RETURN_IF_ERROR(write_document(store, dir / ".zarray", zarray_json(a.layout, compressor)));
    ZPMPI_RETURN_IF_ERROR(write_document(store, dir / ".zattrs", array_zattrs_json(a)));
  }
  // Last: a store with .zmetadata is complete.
  return write_document(store, ".zmetadata", zmetadata_json(group_attrs, arrays, compressor));
}

Status write_v3_metadata(const fs::path& store, const boost::json::object& group_attrs,
                         const std::vector<V3ArrayMeta>& arrays) {
  ZPMPI_ASSIGN_OR_RETURN(const auto documents, v3_metadata_documents(group_attrs, arrays));
  for (const auto& [relative, doc] : documents) ZPMPI_RETURN_IF_ERROR(write_document(store, relative, doc));
  return {};
}

}  // namespace zpmpi::zarr
