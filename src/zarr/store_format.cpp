// What each store format names on disk: see store_format.hpp.
#include "zpmpi/zarr/store_format.hpp"

#include <cstdint>

#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/v3_metadata.hpp"

namespace zpmpi::zarr {

std::optional<ZarrFormat> zarr_format_from(std::int64_t value) {
  if (value == 2) return ZarrFormat::kV2;
  if (value == 3) return ZarrFormat::kV3;
  return std::nullopt;
}

const MetadataNames& metadata_names(ZarrFormat format) {
  static const MetadataNames v2{{".zgroup", ".zattrs"}, {".zarray", ".zattrs"}, ".zmetadata"};
  static const MetadataNames v3{{"zarr.json"}, {"zarr.json"}, "zarr.json"};
  return format == ZarrFormat::kV3 ? v3 : v2;
}

std::string chunk_file_key(ZarrFormat format, const model::Shape& index) {
  return format == ZarrFormat::kV3 ? v3_chunk_key(index) : chunk_key(index);
}

std::optional<std::uint64_t> key_coordinate(std::string_view part, model::Index extent) {
  if (part.empty() || part.size() > 20 || (part.size() > 1 && part[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : part) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (value >= extent) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> chunk_file_index(ZarrFormat format, std::string_view key, const model::Shape& grid) {
  const bool v3 = format == ZarrFormat::kV3;
  if (grid.empty()) return key == (v3 ? "c" : "0") ? std::optional<std::uint64_t>(0) : std::nullopt;
  if (v3 && !key.starts_with("c/")) return std::nullopt;
  if (v3) key.remove_prefix(2);
  const char separator = v3 ? '/' : '.';
  std::uint64_t linear = 0;
  for (std::size_t d = 0; d < grid.size(); ++d) {
    const auto end = key.find(separator);
    if ((end == std::string_view::npos) != (d + 1 == grid.size())) return std::nullopt;  // too few or many parts
    const auto i = key_coordinate(key.substr(0, end), grid[d]);
    if (!i) return std::nullopt;
    linear = linear * grid[d] + *i;
    if (end != std::string_view::npos) key.remove_prefix(end + 1);
  }
  return linear;
}

std::uint64_t ArrayFiles::file_count() const {
  std::uint64_t n = 1;
  for (model::Index g : grid) n *= g;
  return n;
}

std::uint64_t ArrayFiles::shard_slots() const {
  std::uint64_t n = 1;
  for (model::Index p : per_shard) n *= p;
  return n;
}

ArrayFiles array_files(ZarrFormat format, const model::Shape& chunk_grid, const model::Shape& per_shard) {
  ArrayFiles files{format, chunk_grid, per_shard};
  for (std::size_t d = 0; d < per_shard.size() && d < chunk_grid.size(); ++d)
    files.grid[d] = per_shard[d] == 0 ? 0 : (chunk_grid[d] + per_shard[d] - 1) / per_shard[d];
  return files;
}

}  // namespace zpmpi::zarr
