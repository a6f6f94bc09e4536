#include "zpmpi/exec/tile_index_arrays.hpp"

#include <cstring>

#include "zpmpi/zarr/store.hpp"

namespace zpmpi::exec {

std::vector<std::int64_t> coarse_index_values(const transform::CoarseIndexArray& array) {
  const model::TileStage& tile = *array.array.map.tile;
  std::vector<std::int64_t> values(tile.batch_length());
  // C order: the index along `axis` advances every `inner` batches and wraps at grid[axis].
  model::Index inner = 1;
  for (std::size_t a = array.axis + 1; a < tile.grid.size(); ++a) inner *= tile.grid[a];
  for (model::Index b = 0; b < values.size(); ++b)
    values[b] = static_cast<std::int64_t>(b / inner % tile.grid[array.axis]);
  return values;
}

Result<std::size_t> write_coarse_index_arrays(const std::vector<transform::CoarseIndexArray>& arrays,
                                              const std::filesystem::path& store, const codec::CodecSpec& codec,
                                              zarr::ZarrFormat format, int writer_id) {
  const auto coder = codec::make_codec(codec);
  std::size_t written = 0;
  for (const auto& c : arrays) {
    const std::string& name = c.array.name;
    std::error_code ec;
    std::filesystem::create_directories(store / name, ec);
    if (ec) return runtime_error("cannot create " + (store / name).string() + ": " + ec.message());
    std::vector<std::byte> raw;
    if (!c.array.given_values.empty()) {  // an expand_dims coordinate: its values, in its dtype
      const std::size_t esize = model::dtype_size(c.array.dtype);
      raw.resize(c.array.given_values.size() * esize);
      for (std::size_t i = 0; i < c.array.given_values.size(); ++i)
        model::store_scalar(c.array.dtype, c.array.given_values[i], raw.data() + i * esize);
    } else {
      const std::vector<std::int64_t> values = coarse_index_values(c);
      raw.resize(values.size() * sizeof(std::int64_t));
      std::memcpy(raw.data(), values.data(), raw.size());  // little-endian hosts: "<i8"
    }
    std::span<const std::byte> bytes = raw;
    std::vector<std::byte> encoded;
    if (codec.id != codec::CodecId::kNone) {
      encoded.resize(coder->max_encoded_size(raw.size()));
      auto size = coder->encode(raw, encoded, model::dtype_size(c.array.dtype));
      if (!size.ok()) return size.error().with_context("array " + name);
      bytes = {encoded.data(), *size};
    }
    ZPMPI_RETURN_IF_ERROR(zarr::write_chunk(store, name, zarr::chunk_file_key(format, {0}), bytes, writer_id));
    written += bytes.size();
  }
  return written;
}

}  // namespace zpmpi::exec
