// The hot part of the statistics (private to src/stats): a tile of up to kTile stored values
// of one row decoded as xarray decodes them (chunk_statistics.hpp's ValueDecoding), four at
// a time with no branch per value (vector extensions: AVX2 where the CPU has it, SSE2
// otherwise, clones.hpp), and sorted as ChunkAccumulator wants them:
// the finite values in their order, the infinities and the missing values counted.
// decode_tile gives exactly what masking and decoding each value alone gives (the
// per-value path, kept for the groups along the last dim).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "zpmpi/model/dtype.hpp"
#include "zpmpi/stats/chunk_statistics.hpp"

namespace zpmpi::stats {

constexpr std::size_t kTile = 256;

/// `m` rounded to float32 as numpy rounds it: beyond the largest float (by half an ulp or
/// more) infinity, where a plain cast would be undefined.
float to_float32(double m);

/// A ValueDecoding prepared once per chunk.
struct TileDecoding {
  enum class Scaling { none, in_float32, in_float64 } scaling = Scaling::none;
  bool has_scale = false, has_offset = false;
  float scale32 = 1, offset32 = 0;
  double scale64 = 1, offset64 = 0;
  /// The fill and missing values as a stored value converted to double equals them: a
  /// float32 array's rounded to float32 first (numpy compares in float32); NaN left out
  /// (a NaN is missing anyway).
  std::vector<double> missing;
};

TileDecoding tile_decoding(const ValueDecoding& d);

struct TileCounts {
  std::size_t finite = 0;  ///< values at the start of `out`
  std::uint64_t missing = 0, positive_infinities = 0, negative_infinities = 0;
};

/// Decodes the `n` (<= kTile) values of type `dtype` at `p` (any alignment) into `out`,
/// keeping the finite ones, in order (f2: none).
TileCounts decode_tile(model::DType dtype, const std::byte* p, std::size_t n, const TileDecoding& d, double* out);

}  // namespace zpmpi::stats
