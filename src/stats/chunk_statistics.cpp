#include "zpmpi/stats/chunk_statistics.hpp"

#include "row_tiles.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

namespace zpmpi::stats {
namespace {

/// The part of the chunk that counts: inside the array and the window.
struct ChunkPart {
  model::Shape start, count;  ///< in the array's index space
  bool empty = false;
};

/// Where chunk `index` starts along dim d in the index space of the selection: an appended
/// part's chunks (model::StorePlacement) after its origin among the job's new data.
model::Index chunk_start(const model::ArrayLayout& array, const model::Shape& index, std::size_t d) {
  const bool shifted = array.placement && array.placement->axis == d;
  return index[d] * array.chunks[d] + (shifted ? array.placement->origin : 0);
}

ChunkPart part_of(const model::ArrayLayout& array, const Selection& selection, const model::Shape& index) {
  ChunkPart part;
  for (std::size_t d = 0; d < index.size(); ++d) {
    const model::Index first = chunk_start(array, index, d), past = first - index[d] * array.chunks[d] + array.shape[d];
    const model::Index begin = std::max(first, selection.window[d].first);
    const model::Index end = std::min({first + array.chunks[d], past, selection.window[d].second});
    part.empty |= begin >= end;
    part.start.push_back(begin);
    part.count.push_back(begin < end ? end - begin : 0);
  }
  return part;
}

template <class T>
double decoded(T v, const ValueDecoding& d) {
  if (!d.scale_factor && !d.add_offset) return static_cast<double>(v);
  if (d.scaled_in_float32) {  // numpy: a float32 array times a Python float stays float32
    float x = static_cast<float>(v);
    if (d.scale_factor) x *= static_cast<float>(*d.scale_factor);
    if (d.add_offset) x += static_cast<float>(*d.add_offset);
    return x;
  }
  double x = static_cast<double>(v);
  if (d.scale_factor) x *= *d.scale_factor;
  if (d.add_offset) x += *d.add_offset;
  return x;
}

/// Which stored values are missing, as numpy compares them (xarray's _apply_mask): a
/// float32 array with its fill values in float32 (1e20 given as a double masks
/// float32(1e20)), integers exactly, float64 as they are; NaN always (isnan, so a NaN fill
/// needs no comparison). Prepared once per chunk.
template <class T>
class Mask {
 public:
  explicit Mask(const ValueDecoding& d) : plain_(!d.scale_factor && !d.add_offset) {
    for (const double m : d.missing) {
      if (std::isnan(m)) continue;
      if constexpr (std::is_same_v<T, float>) values_.push_back(to_float32(m));
      else values_.push_back(m);
    }
  }
  bool masked(T v) const {
    bool is = false;
    if constexpr (std::is_floating_point_v<T>) is = std::isnan(v);
    for (const auto m : values_) is |= (std::is_same_v<T, float> ? v == m : static_cast<double>(v) == m);
    return is;
  }
  /// A value that is not masked, decoded; nullopt when decoding makes it NaN.
  std::optional<double> value(T v, const ValueDecoding& d) const {
    if (plain_) return static_cast<double>(v);
    const double x = decoded(v, d);
    return std::isnan(x) ? std::nullopt : std::optional(x);
  }

 private:
  std::vector<std::conditional_t<std::is_same_v<T, float>, float, double>> values_;
  bool plain_;  ///< no scale_factor or add_offset: the stored value as a double
};

/// The groups' accumulators of one chunk, indexed like `groups` restricted to the chunk.
struct ChunkGroups {
  std::vector<ChunkAccumulator> values;
  std::vector<std::uint64_t> missing;
  std::vector<std::uint64_t> global;  ///< each local group's index in the array's groups
};

ChunkGroups groups_of(const Selection& s, const model::ArrayLayout& array, const ChunkPart& part) {
  model::Shape local, by_shape;
  for (const std::size_t d : s.by) {
    local.push_back(part.count[d]);
    by_shape.push_back(array.shape[d]);
  }
  const std::uint64_t n = model::num_elements(local);
  ChunkGroups g{std::vector<ChunkAccumulator>(n), std::vector<std::uint64_t>(n, 0), std::vector<std::uint64_t>(n)};
  const model::Box box{model::Shape(local.size(), 0), local};
  for (std::uint64_t i = 0; i < n; ++i) {
    model::Shape at = model::nth_index(box, i);
    for (std::size_t k = 0; k < at.size(); ++k) at[k] += part.start[s.by[k]];
    g.global[i] = model::linear_index(at, by_shape);
  }
  return g;
}

template <class T>
void add_value(const std::byte* at, const Mask<T>& mask, const ValueDecoding& decoding, std::uint64_t group,
               ChunkGroups& g) {
  T v;
  std::memcpy(&v, at, sizeof(T));
  const std::optional<double> x = mask.masked(v) ? std::nullopt : mask.value(v, decoding);
  if (x) g.values[group].add(*x);
  else ++g.missing[group];
}

/// A row of values that all go to one group, in tiles (row_tiles.hpp): the clean values
/// of a tile go to add_finite together, its infinities to add, as add_value would.
void add_row(model::DType dtype, const std::byte* p, model::Index n, const TileDecoding& tile, ChunkAccumulator& acc,
             std::uint64_t& missing) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::size_t size = model::dtype_size(dtype);
  double xs[kTile];
  for (model::Index j = 0; j < n; j += kTile) {
    const std::size_t m = static_cast<std::size_t>(std::min<model::Index>(kTile, n - j));
    const TileCounts t = decode_tile(dtype, p + j * size, m, tile, xs);
    acc.add_finite(xs, t.finite);
    for (std::uint64_t k = 0; k < t.positive_infinities; ++k) acc.add(kInf);
    for (std::uint64_t k = 0; k < t.negative_infinities; ++k) acc.add(-kInf);
    missing += t.missing;
  }
}

template <class T>
void accumulate(const model::ArrayLayout& array, const ValueDecoding& decoding, const Selection& s,
                const model::Shape& index, const ChunkPart& part, const std::byte* raw, ChunkGroups& g) {
  const std::size_t rank = part.count.size();
  const Mask<T> mask(decoding);
  const TileDecoding tile = tile_decoding(decoding);
  if (rank == 0) return add_value<T>(raw, mask, decoding, 0, g);  // 0-d: its one element
  model::Shape local_by(s.by.size());
  for (std::size_t k = 0; k < s.by.size(); ++k) local_by[k] = part.count[s.by[k]];
  const bool last_is_by = !s.by.empty() && s.by.back() == rank - 1;
  const model::Index row = part.count[rank - 1];
  const model::Box rows{model::Shape(rank - 1, 0), model::Shape(part.count.begin(), part.count.end() - 1)};
  for (model::Index r = 0; r < rows.num_elements(); ++r) {
    model::Shape at = model::nth_index(rows, r);
    at.push_back(0);
    model::Index offset = 0;  // the row's first element in the chunk (C order of the chunk shape)
    for (std::size_t d = 0; d < rank; ++d) offset = offset * array.chunks[d] + (part.start[d] - chunk_start(array, index, d) + at[d]);
    model::Shape by_at(s.by.size());
    for (std::size_t k = 0; k < s.by.size(); ++k) by_at[k] = at[s.by[k]];
    std::uint64_t group = model::linear_index(by_at, local_by);
    if (!last_is_by) {
      add_row(decoding.dtype, raw + offset * sizeof(T), row, tile, g.values[group], g.missing[group]);
      continue;
    }
    for (model::Index j = 0; j < row; ++j)
      add_value<T>(raw + (offset + j) * sizeof(T), mask, decoding, group + j, g);
  }
}

}  // namespace

std::uint64_t group_count(const Selection& selection, const model::Shape& shape) {
  std::uint64_t n = 1;
  for (const std::size_t d : selection.by) n *= shape[d];
  return n;
}

void add_chunk(const model::ArrayLayout& array, const ValueDecoding& decoding, const Selection& selection,
               const model::Shape& index, std::span<const std::byte> raw, std::vector<Moments>& groups) {
  const ChunkPart part = part_of(array, selection, index);
  if (part.empty) return;
  ChunkGroups g = groups_of(selection, array, part);
  using model::DType;
  switch (decoding.dtype) {
    case DType::i1: accumulate<std::int8_t>(array, decoding, selection, index, part, raw.data(), g); break;
    case DType::u1: accumulate<std::uint8_t>(array, decoding, selection, index, part, raw.data(), g); break;
    case DType::i2: accumulate<std::int16_t>(array, decoding, selection, index, part, raw.data(), g); break;
    case DType::u2: accumulate<std::uint16_t>(array, decoding, selection, index, part, raw.data(), g); break;
    case DType::i4: accumulate<std::int32_t>(array, decoding, selection, index, part, raw.data(), g); break;
    case DType::u4: accumulate<std::uint32_t>(array, decoding, selection, index, part, raw.data(), g); break;
    case DType::i8: accumulate<std::int64_t>(array, decoding, selection, index, part, raw.data(), g); break;
    case DType::u8: accumulate<std::uint64_t>(array, decoding, selection, index, part, raw.data(), g); break;
    case DType::f4: accumulate<float>(array, decoding, selection, index, part, raw.data(), g); break;
    case DType::f8: accumulate<double>(array, decoding, selection, index, part, raw.data(), g); break;
    case DType::f2: return;  // refused before the run (no arithmetic type here)
  }
  for (std::size_t i = 0; i < g.values.size(); ++i) {
    groups[g.global[i]].add(g.values[i].moments());
    groups[g.global[i]].add_missing(g.missing[i]);
  }
}

}  // namespace zpmpi::stats
