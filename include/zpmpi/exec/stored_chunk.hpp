// One chunk of a store read back and decoded: a resumed run's kept chunks (statistics_sink)
// and the old rows of an append's boundary chunk (boundary_sink). Opened without following
// links (zarr/store_entry.hpp); a sharded array's inner chunk through its shard's checked
// index.
#pragma once

#include <filesystem>
#include <vector>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::exec {

/// A store chunks are read back from: its path, format and codec.
struct StoredChunks {
  std::filesystem::path store;
  zarr::ZarrFormat format = zarr::ZarrFormat::kV2;
  codec::CodecSpec codec;
};

/// The chunk of `array` at `store_index` (the store's grid) decoded into `raw`, resized to
/// the whole chunk (array.chunks) of array.dtype; `encoded` is scratch and `coder` decodes
/// with from.codec. An inner chunk its shard does not store is the fill value, and so is
/// a chunk file that is absent when `absent_is_fill` (zarr leaves chunks of fill unwritten).
/// Errors name the file and `what` ("statistics: the kept chunk of t2m").
Status load_stored_chunk(const StoredChunks& from, const codec::Codec& coder, const model::ArrayLayout& array,
                         const model::Shape& store_index, bool absent_is_fill, const std::string& what,
                         std::vector<std::byte>& encoded, std::vector<std::byte>& raw);

}  // namespace zpmpi::exec
