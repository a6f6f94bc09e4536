// zpmpi verify: see verify.hpp.
#include "zpmpi/app/verify.hpp"

#include <cstring>
#include <fstream>
#include <iterator>

#include "zpmpi/model/same_value.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_resume.hpp"

namespace zpmpi::app {
namespace fs = std::filesystem;
namespace {

/// What `path` is when it exists but is not a regular file ("a directory"); empty otherwise.
std::string not_a_file(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(path, ec);
  if (!fs::exists(st) || fs::is_regular_file(st)) return "";
  if (fs::is_directory(st)) return "a directory";
  if (fs::is_symlink(st)) return "a symbolic link";
  return "not a regular file";
}

/// The whole file, or nullopt when it does not exist (or is not a regular file: see
/// not_a_file; a link is not followed).
std::optional<std::string> read_file(const fs::path& path, bool* unreadable = nullptr) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(path, ec))) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (unreadable) *unreadable = true;
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
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
  bool unreadable = false;
  const fs::path path = store_ / array.name / key;
  if (const std::string what = not_a_file(path); !what.empty()) {
    add("corrupt " + name + " (" + what + ", not a chunk file)");
    return {};
  }
  const auto file = read_file(path, &unreadable);
  if (unreadable) return runtime_error("cannot read " + path.string());
  if (!file) {
    add("missing " + name);
    return {};
  }
  std::vector<std::byte> decoded(raw.size());
  const std::span<const std::byte> encoded{reinterpret_cast<const std::byte*>(file->data()), file->size()};
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
  std::error_code ec;
  for (fs::recursive_directory_iterator it(expected, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const fs::path rel = fs::relative(it->path(), expected);
    const auto want = read_file(it->path());
    const auto got = read_file(store / rel);
    if (const std::string what = not_a_file(store / rel); !what.empty())
      problems.push_back("corrupt " + rel.string() + " (" + what + ", not a file)");
    else if (!got) problems.push_back("missing " + rel.string());
    else if (*got != *want) problems.push_back("differs " + rel.string());
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
    if (!fs::is_directory(st) || !fs::is_directory(fs::symlink_status(expected / name, ec))) {
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
