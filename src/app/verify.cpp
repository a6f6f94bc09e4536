// zpmpi verify: see verify.hpp.
#include "zpmpi/app/verify.hpp"

#include <cstring>
#include <set>

#include "zpmpi/model/same_value.hpp"
#include "zpmpi/zarr/chunk_files.hpp"
#include "zpmpi/zarr/fill_chunk.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_entry.hpp"
#include "zpmpi/zarr/store_resume.hpp"

namespace zpmpi::app {
namespace fs = std::filesystem;
namespace {

/// The entry at fault is `path` itself, not a directory above it: a link or non-directory
/// on the way (an array directory) is reported once, by compare_files, for the whole of it.
bool at_entry(const zarr::StoreFileRead& file, const fs::path& path) { return file.failure.path == path; }

std::span<const std::byte> as_bytes(const std::string& s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

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

Status ChunkVerifier::check(const model::ArrayLayout& array, const model::Shape& part_index,
                            std::span<const std::byte> raw) {
  const model::Shape index = array.store_chunk_index(part_index);  // an appended part's, in the store's grid
  if (!array.shards.empty()) return check_inner(array, index, raw);
  const std::string key = zarr::chunk_file_key(format_, index);
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
  compare(array, name, as_bytes(file.bytes), raw);
  return {};
}

/// An inner chunk of a shard file: found through the shard's index (read once per shard and
/// checked: crc32c, offsets within the file, no overlaps), absent only when all fill.
Status ChunkVerifier::check_inner(const model::ArrayLayout& array, const model::Shape& index,
                                  std::span<const std::byte> raw) {
  const model::Shape per_shard = zarr::chunks_per_shard(array.shards, array.chunks);
  const fs::path rel = fs::path(array.name) / zarr::chunk_file_key(format_, zarr::shard_of_chunk(index, per_shard));
  const std::string name = rel.string() + " inner chunk " + model::to_string(index);
  const std::optional<zarr::ShardEntry> entry = shard_entry(rel, model::num_elements(per_shard),
                                                             zarr::shard_slot(index, per_shard));
  if (!entry) return {};  // the shard's index is reported (once) instead
  if (entry->absent()) {
    if (!zarr::is_fill_chunk(raw, array.dtype, array.fill_value)) add("missing " + name);
    return {};
  }
  const zarr::StoreFileRead file = zarr::read_store_file_range(store_, rel, entry->offset, entry->nbytes);
  if (file.kind == zarr::EntryKind::kFile) {
    compare(array, name, as_bytes(file.bytes), raw);
    return {};
  }
  if (file.kind == zarr::EntryKind::kUnreadable)
    return runtime_error("cannot read " + file.failure.path.string() + ": " + std::strerror(file.failure.error));
  add("corrupt " + name + " (" + zarr::entry_kind_text(file.kind) + ", read after its index)");
  return {};
}

/// The entry of `slot` in the index of the shard file `rel`: absent for a missing file (a
/// shard all of fill has none); nullopt when the index does not check (reported once).
std::optional<zarr::ShardEntry> ChunkVerifier::shard_entry(const fs::path& rel, std::uint64_t slots,
                                                           std::uint64_t slot) {
  std::lock_guard lock(index_mutex_);
  auto it = indexes_.find(rel);
  if (it == indexes_.end()) {
    if (indexes_.size() >= kCachedIndexes) indexes_.erase(indexes_.begin());
    auto read = zarr::read_shard_index(store_, rel, slots);
    std::optional<std::vector<zarr::ShardEntry>> entries;
    if (!read.ok() && bad_shards_.insert(rel).second) add("corrupt " + rel.string() + " (" + read.error().message + ")");
    if (read.ok()) entries = read->value_or(std::vector<zarr::ShardEntry>(slots));
    it = indexes_.emplace(rel, std::move(entries)).first;
  }
  if (!it->second) return std::nullopt;
  return (*it->second)[slot];
}

/// The chunk's stored bytes decoded and compared with what it must hold.
void ChunkVerifier::compare(const model::ArrayLayout& array, const std::string& name,
                            std::span<const std::byte> encoded, std::span<const std::byte> raw) {
  std::vector<std::byte> decoded(raw.size());
  if (codec_.id == codec::CodecId::kNone) {
    if (encoded.size() != raw.size()) {
      add("corrupt " + name + " (" + std::to_string(encoded.size()) + " bytes, expected " +
          std::to_string(raw.size()) + ")");
      return;
    }
    std::memcpy(decoded.data(), encoded.data(), raw.size());
  } else {
    const Status status = codec::make_codec(codec_)->decode(encoded, decoded);
    if (!status.ok()) {
      add("corrupt " + name + " (cannot decode: " + status.error().message + ")");
      return;
    }
  }
  if (const auto at = model::first_difference(array.dtype, decoded, raw))
    add("differs " + name + " (first at element " + std::to_string(*at) + ")");
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

namespace {

/// The entries below an array's "c" (v3) that are not file keys of `files`: `dir` is the
/// array's directory `array` / `key` ("c", "c/0", ...), `depth` levels below "c". A
/// directory where a file key ends (at the grid's rank) is one extra entry, not walked.
void extra_in_c_tree(const fs::path& dir, const std::string& array, const fs::path& key, std::size_t depth,
                     const zarr::ArrayFiles& files, std::vector<std::string>& problems) {
  for (const fs::directory_entry& e : entries_of(dir)) {
    const fs::path below = key / e.path().filename();
    std::error_code ec;
    const fs::file_status st = e.symlink_status(ec);
    if (fs::is_directory(st) && depth + 1 < files.grid.size()) {
      extra_in_c_tree(e.path(), array, below, depth + 1, files, problems);
    } else if (!fs::is_regular_file(st) || !zarr::chunk_file_index(files.format, below.string(), files.grid)) {
      problems.push_back("extra " + (fs::path(array) / below).string());
    }
  }
}

/// The entries below `rel`, a directory in both `store` and `expected` outside any grid of
/// the plan (a v3 text array's "c"), that are neither a file nor a directory `expected` has
/// at the same path; the directories both have are walked.
void extra_below(const fs::path& expected, const fs::path& store, const fs::path& rel,
                 std::vector<std::string>& problems) {
  for (const fs::directory_entry& e : entries_of(store / rel)) {
    const fs::path below = rel / e.path().filename();
    std::error_code ec;
    if (fs::is_regular_file(e.symlink_status(ec)) && is_file_of(expected, below)) continue;
    if (fs::is_directory(e.symlink_status(ec)) && fs::is_directory(fs::symlink_status(expected / below, ec)))
      extra_below(expected, store, below, problems);
    else
      problems.push_back("extra " + below.string());
  }
}

/// An entry of an array directory that is a chunk or shard file of `files` (or, in v3,
/// the "c" tree holding them, walked by extra_in_c_tree).
bool is_chunk_entry(const fs::directory_entry& e, const zarr::ArrayFiles& files) {
  const std::string name = e.path().filename().string();
  std::error_code ec;
  if (files.format == zarr::ZarrFormat::kV3 && name == "c" && fs::is_directory(e.symlink_status(ec)))
    return !files.grid.empty();
  // A chunk key of the grid that is not a file is reported by ChunkVerifier as corrupt.
  return zarr::chunk_file_index(files.format, name, files.grid).has_value();
}

}  // namespace

std::vector<std::string> extra_entries(const fs::path& expected, const fs::path& store,
                                       const std::map<std::string, zarr::ArrayFiles>& files) {
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
    const auto array = files.find(name);
    for (const fs::directory_entry& e : entries_of(top.path())) {
      const fs::path rel = fs::path(name) / e.path().filename();
      if (fs::is_regular_file(e.symlink_status(ec)) && is_file_of(expected, rel)) continue;
      if (array != files.end() && is_chunk_entry(e, array->second)) {
        if (e.path().filename() == "c" && fs::is_directory(e.symlink_status(ec)))
          extra_in_c_tree(e.path(), name, "c", 0, array->second, problems);
        continue;
      }
      if (fs::is_directory(e.symlink_status(ec)) && fs::is_directory(fs::symlink_status(expected / rel, ec))) {
        extra_below(expected, store, rel, problems);
        continue;
      }
      problems.push_back("extra " + rel.string());
    }
  }
  return problems;
}

}  // namespace zpmpi::app
