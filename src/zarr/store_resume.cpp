// Resume records: see store_resume.hpp.
#include "zpmpi/zarr/store_resume.hpp"

#include <cstdio>

#include <boost/json.hpp>

#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_entry.hpp"

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

Status write_resume_record(const fs::path& copy, const json::object& record) {
  const std::string text = json::serialize(record);
  return write_store_file(copy, fs::path(kMarkerName) / kResumeRecordName, std::as_bytes(std::span(text)),
                          std::string(kResumeRecordName) + ".tmp");
}

namespace {

/// The JSON object at `relative` below `store`; nullopt when absent, unreadable or not an
/// object; an error when a link stands on the way (nothing is read through it).
Result<std::optional<json::object>> read_record(const fs::path& store, const fs::path& relative) {
  const StoreFileRead file = read_store_file(store, relative);
  if (file.kind == EntryKind::kLink)
    return runtime_error("the record " + (store / relative).string() + " is not read: " +
                         link_in_store_message(file.failure.path, "read"));
  if (file.kind != EntryKind::kFile) return std::optional<json::object>{};
  boost::system::error_code ec;
  json::value v = json::parse(file.bytes, ec);
  if (ec || !v.is_object()) return std::optional<json::object>{};
  return std::optional<json::object>{v.get_object()};
}

}  // namespace

Result<std::optional<json::object>> read_resume_record(const fs::path& copy) {
  return read_record(copy, fs::path(kMarkerName) / kResumeRecordName);
}

Result<std::optional<json::object>> read_store_record(const fs::path& store) {
  ZPMPI_ASSIGN_OR_RETURN(std::optional<json::object> record, read_record(store, fs::path(kMarkerName) / kStoreRecordName));
  if (record) return record;
  return read_record(store, fs::path(kMarkerName) / kResumeRecordName);
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

}  // namespace zpmpi::zarr
