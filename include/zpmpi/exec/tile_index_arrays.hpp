// Writing the "{dim}_coarse" coordinates of a tiled dataset (transform/tiling.hpp): rank 0
// computes each (int64, the batch's grid index along its axis, e.g. latitude_coarse =
// 0 0 0 0 0 1 1 ... for 4 x 5 tiles), encodes it as one chunk with the job's compressor and
// writes it. One int64 per tile: 8 MB for a million tiles.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/transform/tiling.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::exec {

/// The values of one coarse index array: grid_index(b)[axis] for every batch b.
std::vector<std::int64_t> coarse_index_values(const transform::CoarseIndexArray& array);

/// Writes the one chunk of each array into `store` (creating its directory if needed).
/// Returns the bytes written. Errors name the array.
Result<std::size_t> write_coarse_index_arrays(const std::vector<transform::CoarseIndexArray>& arrays,
                                              const std::filesystem::path& store, const codec::CodecSpec& codec,
                                              zarr::ZarrFormat format, int writer_id);

}  // namespace zpmpi::exec
