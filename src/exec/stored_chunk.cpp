#include "zpmpi/exec/stored_chunk.hpp"

#include "zpmpi/model/chunk_assembly.hpp"
#include "zpmpi/zarr/chunk_files.hpp"
#include "zpmpi/zarr/store_entry.hpp"

namespace zpmpi::exec {
namespace fs = std::filesystem;
namespace {

/// The chunk's stored bytes into `encoded`: false when it has none (see load_stored_chunk).
Result<bool> read_stored(const StoredChunks& from, const model::ArrayLayout& array, const model::Shape& index,
                         bool absent_is_fill, const std::string& what, std::vector<std::byte>& encoded) {
  fs::path rel = array.name;
  zarr::StoreFileRead file;
  if (array.shards.empty()) {
    rel /= zarr::chunk_file_key(from.format, index);
    file = zarr::read_store_file(from.store, rel);
    if (file.kind == zarr::EntryKind::kMissing && absent_is_fill) return false;
  } else {
    const model::Shape per_shard = zarr::chunks_per_shard(array.shards, array.chunks);
    rel /= zarr::chunk_file_key(from.format, zarr::shard_of_chunk(index, per_shard));
    ZPMPI_ASSIGN_OR_RETURN(const auto entries, zarr::read_shard_index(from.store, rel, model::num_elements(per_shard)));
    const zarr::ShardEntry e = entries ? (*entries)[zarr::shard_slot(index, per_shard)] : zarr::ShardEntry{};
    if (e.absent()) return false;
    file = zarr::read_store_file_range(from.store, rel, e.offset, e.nbytes);
  }
  if (file.kind != zarr::EntryKind::kFile) return runtime_error(what + ": cannot read " + (from.store / rel).string());
  encoded.assign(reinterpret_cast<const std::byte*>(file.bytes.data()),
                 reinterpret_cast<const std::byte*>(file.bytes.data()) + file.bytes.size());
  return true;
}

}  // namespace

Status load_stored_chunk(const StoredChunks& from, const codec::Codec& coder, const model::ArrayLayout& array,
                         const model::Shape& store_index, bool absent_is_fill, const std::string& what,
                         std::vector<std::byte>& encoded, std::vector<std::byte>& raw) {
  const std::uint64_t n = model::num_elements(array.chunks);
  raw.resize(n * model::dtype_size(array.dtype));
  ZPMPI_ASSIGN_OR_RETURN(const bool stored, read_stored(from, array, store_index, absent_is_fill, what, encoded));
  if (!stored) {  // a chunk of fill, as a reader of the store sees one absent
    model::fill_elements(raw.data(), n, array.dtype, array.fill_value);
  } else if (from.codec.id == codec::CodecId::kNone && encoded.size() == raw.size()) {
    raw = encoded;
  } else {
    const Status decoded = coder.decode(encoded, raw);
    if (!decoded.ok()) return decoded.error().with_context(what);
  }
  return {};
}

}  // namespace zpmpi::exec
