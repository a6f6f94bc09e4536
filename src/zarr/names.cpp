#include "zpmpi/zarr/names.hpp"

#include <string>

namespace zpmpi::zarr {

bool is_metadata_key(std::string_view name) {
  return name == ".zarray" || name == ".zattrs" || name == ".zgroup" || name == ".zmetadata";
}

namespace {

Status check_v3_name(std::string_view name) {
  if (name == kV3MetadataKey) return usage_error("is the Zarr v3 metadata key");
  if (name.find_first_not_of('.') == std::string_view::npos)
    return usage_error("is made only of periods, which Zarr v3 does not allow for a node name");
  if (name.starts_with("__")) return usage_error("starts with '__', which Zarr v3 reserves");
  return {};
}

}  // namespace

Status check_name(std::string_view name, ZarrFormat format) {
  if (name.empty()) return usage_error("is empty");
  if (name.find('\0') != std::string_view::npos) return usage_error("contains a NUL byte");
  if (name.find('/') != std::string_view::npos)
    return usage_error("contains '/', which Zarr reads as a group separator");
  if (name == "." || name == "..") return usage_error("is '" + std::string(name) + "', which names no directory of its own");
  if (is_metadata_key(name)) return usage_error("is a Zarr metadata key");
  if (is_own_name(name)) return usage_error("starts with .zpmpi, which is kept for zpmpi's own files");
  if (name.size() > kMaxNameBytes)
    return usage_error("is " + std::to_string(name.size()) + " bytes long; a file name holds at most " +
                       std::to_string(kMaxNameBytes));
  if (format == ZarrFormat::kV3) return check_v3_name(name);
  return {};
}

}  // namespace zpmpi::zarr
