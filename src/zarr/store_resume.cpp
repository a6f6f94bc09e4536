// Resume records and chunk listings: see store_resume.hpp.
#include "zpmpi/zarr/store_resume.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_contents.hpp"

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

std::string shorten(std::string text) {
  constexpr std::size_t kMax = 120;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

}  // namespace

std::optional<std::uint64_t> chunk_index(std::string_view name, const model::Shape& grid) {
  if (grid.empty()) return name == "0" ? std::optional<std::uint64_t>(0) : std::nullopt;
  std::uint64_t linear = 0;
  std::size_t d = 0;
  while (true) {
    const auto dot = name.find('.');
    const std::string_view part = name.substr(0, dot);
    std::uint64_t i = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), i);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() || d >= grid.size() ||
        i >= static_cast<std::uint64_t>(grid[d]))
      return std::nullopt;
    linear = linear * static_cast<std::uint64_t>(grid[d]) + i;
    ++d;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return d == grid.size() ? std::optional<std::uint64_t>(linear) : std::nullopt;
}

Status write_resume_record(const fs::path& copy, const json::object& record) {
  const std::string text = json::serialize(record);
  return write_store_file(copy, fs::path(kMarkerName) / kResumeRecordName, std::as_bytes(std::span(text)),
                          std::string(kResumeRecordName) + ".tmp");
}

namespace {

/// The JSON object in `path`; nullopt when absent, unreadable or not an object.
std::optional<json::object> read_record(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(text.str(), ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.get_object();
}

}  // namespace

std::optional<json::object> read_resume_record(const fs::path& copy) {
  return read_record(copy / kMarkerName / kResumeRecordName);
}

std::optional<json::object> read_store_record(const fs::path& store) {
  if (auto record = read_record(store / kMarkerName / kStoreRecordName)) return record;
  return read_record(store / kMarkerName / kResumeRecordName);
}

std::vector<std::string> record_differences(const json::object& was, const json::object& now, std::string_view who) {
  std::vector<std::string> out;
  for (const auto& [key, value] : now) {
    const json::value* old = was.if_contains(key);
    if (!old) out.push_back(std::string(key) + " (not recorded by " + std::string(who) + ")");
    else if (*old != value)
      out.push_back(std::string(key) + " (was " + shorten(json::serialize(*old)) + ", now " +
                    shorten(json::serialize(value)) + ")");
  }
  for (const auto& [key, value] : was)
    if (!now.contains(key)) out.push_back(std::string(key) + " (recorded by " + std::string(who) + " only)");
  return out;
}

std::string digest(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

Result<ChunkListing> list_chunks(const fs::path& dir, const model::Shape& grid) {
  ChunkListing listing;
  std::uint64_t cells = 1;
  for (auto g : grid) cells *= static_cast<std::uint64_t>(g);
  listing.present.assign(cells, false);
  std::error_code ec;
  if (!fs::exists(dir, ec)) return listing;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // ".KEY.tmpN" of a chunk, ".zarray.tmp" of a document: never complete, never kept.
    if (name.size() > 1 && name[0] == '.' && name.find(".tmp") != std::string::npos) {
      std::error_code rec;
      if (fs::remove(it->path(), rec)) ++listing.removed_temps;
      continue;
    }
    if (const auto n = chunk_index(name, grid)) {
      if (!listing.present[*n]) ++listing.count;
      listing.present[*n] = true;
    }
  }
  if (ec) return runtime_error("cannot list " + dir.string() + ": " + ec.message());
  return listing;
}

}  // namespace zpmpi::zarr
