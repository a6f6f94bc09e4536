// zpmpi verify: see verify.hpp.
#include "zpmpi/app/verify.hpp"

#include <cstring>
#include <set>

#include "zpmpi/model/same_value.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_entry.hpp"
#include "zpmpi/zarr/store_resume.hpp"

namespace zpmpi::app {
namespace fs = std::filesystem;
namespace {

/// The entry at fault is `path` itself, not a directory above it: a link or non-directory
/// on the way (an array directory) is reported once, by compare_files, for the whole of it.
bool at_entry(const zarr::StoreFileRead& file, const fs::path& path) { return file.failure.path == path; }

/// "a directory, " for a message "corrupt KEY (a directory, not a file)"; "unreadable, ".
std::string what_it_is(zarr::EntryKind kind) {
  if (kind == zarr::EntryKind::kUnreadable) return "unreadable, ";
  if (kind == zarr::EntryKind::kNotAFile) return "";
  return std::string(zarr::entry_kind_text(kind)) + ", ";
}

}  // namespace

void ChunkVerifier::add(std::string problem) {
  std::lock_guard lock(mutex_);
  problems_.push_back(std::move(problem));
}

std::vector<std::string> ChunkVerifier::problems() const {
  std::lock_guard lock(mutex_);
  return problems_;
}

Status ChunkVerifier::check(const model::ArrayLayout& array, const std::string& key, std::span<const std::byte> raw) {
  const std::string name = array.name + "/" + key;
  // Opened without following links (store_entry.hpp): nothing behind a link is compared.
  const zarr::StoreFileRead file = zarr::read_store_file(store_, fs::path(array.name) / key);
  const fs::path path = store_ / array.name / key;
  switch (file.kind) {
    case zarr::EntryKind::kFile: break;
    case zarr::EntryKind::kMissing: add("missing " + name); return {};
    case zarr::EntryKind::kUnreadable:
      return runtime_error("cannot read " + file.failure.path.string() + ": " + std::strerror(file.failure.error));
    default:
      if (at_entry(file, path)) add("corrupt " + name + " (" + zarr::entry_kind_text(file.kind) + ", not a chunk file)");
      return {};
  }
  std::vector<std::byte> decoded(raw.size());
  const std::span<const std::byte> encoded{reinterpret_cast<const std::byte*>(file.bytes.data()), file.bytes.size()};
  if (codec_.id == codec::CodecId::kNone) {
    if (encoded.size() != raw.size()) {
      add("corrupt " + name + " (" + std::to_string(encoded.size()) + " bytes, expected " +
          std::to_string(raw.size()) + ")");
      return {};
    }
    std::memcpy(decoded.data(), encoded.data(), raw.size());
  } else {
    const Status status = codec::make_codec(codec_)->decode(encoded, decoded);
    if (!status.ok()) {
      add("corrupt " + name + " (cannot decode: " + status.error().message + ")");
      return {};
    }
  }
  if (const auto at = model::first_difference(array.dtype, decoded, raw))
    add("differs " + name + " (first at element " + std::to_string(*at) + ")");
  return {};
}

std::vector<std::string> compare_files(const fs::path& expected, const fs::path& store) {
  std::vector<std::string> problems;
  std::set<fs::path> reported;  // a link or file where a directory should be, once
  std::error_code ec;
  for (fs::recursive_directory_iterator it(expected, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const fs::path rel = fs::relative(it->path(), expected);
    const zarr::StoreFileRead got = zarr::read_store_file(store, rel);
    if (got.kind == zarr::EntryKind::kFile) {
      const zarr::StoreFileRead want = zarr::read_store_file(expected, rel);
      if (got.bytes != want.bytes) problems.push_back("differs " + rel.string());
    } else if (got.kind == zarr::EntryKind::kMissing) {
      problems.push_back("missing " + rel.string());
    } else if (at_entry(got, store / rel)) {
      problems.push_back("corrupt " + rel.string() + " (" + what_it_is(got.kind) + "not a file)");
    } else if (reported.insert(got.failure.path).second) {
      problems.push_back("corrupt " + got.failure.path.lexically_relative(store).string() + " (" +
                         (got.kind == zarr::EntryKind::kLink ? "a symbolic link, " : "") + "not a directory)");
    }
  }
  return problems;
}

namespace {

/// The entries of `dir` (not following links), or none when it cannot be listed.
std::vector<fs::directory_entry> entries_of(const fs::path& dir) {
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    entries.push_back(*it);
  return entries;
}

bool is_file_of(const fs::path& expected, const fs::path& rel) {
  std::error_code ec;
  return fs::is_regular_file(fs::symlink_status(expected / rel, ec));
}

}  // namespace

std::vector<std::string> extra_entries(const fs::path& expected, const fs::path& store,
                                       const std::map<std::string, model::Shape>& grids) {
  std::vector<std::string> problems;
  for (const fs::directory_entry& top : entries_of(store)) {
    const std::string name = top.path().filename().string();
    std::error_code ec;
    const fs::file_status st = top.symlink_status(ec);
    if (name == zarr::kMarkerName && fs::is_directory(st)) continue;  // the run's statistics
    if (fs::is_regular_file(st) && is_file_of(expected, name)) continue;
    const bool expected_dir = fs::is_directory(fs::symlink_status(expected / name, ec));
    if (expected_dir && !fs::is_directory(st)) continue;  // a link or file there: compare_files reports it
    if (!fs::is_directory(st) || !expected_dir) {
      problems.push_back("extra " + name);
      continue;
    }
    const auto grid = grids.find(name);
    for (const fs::directory_entry& e : entries_of(top.path())) {
      const fs::path rel = fs::path(name) / e.path().filename();
      const bool file = fs::is_regular_file(e.symlink_status(ec));
      if (file && is_file_of(expected, rel)) continue;
      // A chunk key of the grid that is not a file is reported by ChunkVerifier as corrupt.
      if (grid != grids.end() && zarr::chunk_index(e.path().filename().string(), grid->second)) continue;
      problems.push_back("extra " + rel.string());
    }
  }
  return problems;
}

}  // namespace zpmpi::app
