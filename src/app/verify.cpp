// zpmpi verify: see verify.hpp.
#include "zpmpi/app/verify.hpp"

#include <cstring>
#include <fstream>
#include <iterator>

#include "zpmpi/model/same_value.hpp"

namespace zpmpi::app {
namespace fs = std::filesystem;
namespace {

/// The whole file, or nullopt when it does not exist.
std::optional<std::string> read_file(const fs::path& path, bool* unreadable = nullptr) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
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
  const auto file = read_file(store_ / array.name / key, &unreadable);
  if (unreadable) return runtime_error("cannot read " + (store_ / array.name / key).string());
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
    if (!got) problems.push_back("missing " + rel.string());
    else if (*got != *want) problems.push_back("differs " + rel.string());
  }
  return problems;
}

}  // namespace zpmpi::app
