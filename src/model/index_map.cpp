#include "zpmpi/model/index_map.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace zpmpi::model {
namespace {

/// floor(a / b) and ceil(a / b) for b > 0 with a of any sign.
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return -floor_div(-a, b); }

}  // namespace

DimMap DimMap::identity(Index length) {
  DimMap m;
  if (length > 0) m.segments.push_back({0, length, 0, 1});
  return m;
}

DimMap DimMap::at(Index index) {
  DimMap m;
  m.fixed = index;
  return m;
}

Index DimMap::length() const {
  Index n = 0;
  for (const auto& s : segments) n += s.length;
  return n;
}

std::int64_t DimMap::source_index(Index i) const {
  for (const auto& s : segments)
    if (i >= s.out_start && i < s.out_start + s.length)
      return s.src_start + s.stride * static_cast<std::int64_t>(i - s.out_start);
  assert(false && "index outside the map");
  return 0;
}

DimMap DimMap::after(const std::vector<Segment>& outer) const {
  DimMap result;
  for (const Segment& o : outer) {
    // o maps j in [o.out_start, +o.length) to cur = o.src_start + o.stride * (j - o.out_start).
    for (const Segment& s : segments) {
      // The j whose cur falls in [s.out_start, s.out_start + s.length).
      const auto lo = static_cast<std::int64_t>(s.out_start) - o.src_start;
      const auto hi = static_cast<std::int64_t>(s.out_start + s.length) - 1 - o.src_start;
      std::int64_t k0, k1;  // offsets j - o.out_start
      if (o.stride > 0) {
        k0 = ceil_div(lo, o.stride);
        k1 = floor_div(hi, o.stride);
      } else {
        k0 = ceil_div(-hi, -o.stride);
        k1 = floor_div(-lo, -o.stride);
      }
      k0 = std::max<std::int64_t>(k0, 0);
      k1 = std::min<std::int64_t>(k1, static_cast<std::int64_t>(o.length) - 1);
      if (k0 > k1) continue;
      const std::int64_t cur = o.src_start + o.stride * k0;
      result.segments.push_back({o.out_start + static_cast<Index>(k0), static_cast<Index>(k1 - k0 + 1),
                                 s.src_start + s.stride * (cur - static_cast<std::int64_t>(s.out_start)),
                                 s.stride * o.stride});
    }
  }
  std::sort(result.segments.begin(), result.segments.end(),
            [](const Segment& a, const Segment& b) { return a.out_start < b.out_start; });
  // Neighbours that continue each other become one segment.
  std::vector<Segment> merged;
  for (const Segment& s : result.segments) {
    if (!merged.empty()) {
      Segment& last = merged.back();
      if (last.stride == s.stride && last.out_start + last.length == s.out_start &&
          last.src_start + last.stride * static_cast<std::int64_t>(last.length) == s.src_start) {
        last.length += s.length;
        continue;
      }
    }
    merged.push_back(s);
  }
  result.segments = std::move(merged);
  return result;
}

namespace {

/// The reads that fill box `out` of the per-dim maps' output (no tile stage).
std::vector<ReadPiece> per_dim_pieces(const std::vector<DimMap>& dims, const model::Box& out) {
  // Per source dim, the parts of the output range each segment serves.
  struct Part {
    Index out_offset, count;
    std::int64_t src_first;
    std::int64_t stride;
  };
  std::vector<std::vector<Part>> parts(dims.size());
  std::size_t od = 0;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    const DimMap& m = dims[d];
    if (m.fixed) {
      parts[d].push_back({0, 1, static_cast<std::int64_t>(*m.fixed), 1});
      continue;
    }
    const Index a = out.start[od], b = out.start[od] + out.count[od];
    for (const Segment& s : m.segments) {
      const Index lo = std::max(a, s.out_start), hi = std::min(b, s.out_start + s.length);
      if (lo >= hi) continue;
      parts[d].push_back({lo - a, hi - lo, s.src_start + s.stride * static_cast<std::int64_t>(lo - s.out_start), s.stride});
    }
    ++od;
  }
  std::vector<ReadPiece> result;
  std::vector<std::size_t> pick(dims.size(), 0);
  for (const auto& p : parts)
    if (p.empty()) return result;
  for (;;) {
    ReadPiece piece;
    for (std::size_t d = 0; d < dims.size(); ++d) {
      const Part& p = parts[d][pick[d]];
      const std::int64_t last = p.src_first + p.stride * static_cast<std::int64_t>(p.count - 1);
      piece.source.start.push_back(static_cast<Index>(std::min(p.src_first, last)));
      piece.source.count.push_back(p.count);
      piece.stride.push_back(static_cast<Index>(p.stride > 0 ? p.stride : -p.stride));
      if (!dims[d].fixed) {
        piece.output.start.push_back(p.out_offset);
        piece.output.count.push_back(p.count);
        piece.reversed.push_back(p.stride < 0);
      }
    }
    result.push_back(std::move(piece));
    std::size_t d = dims.size();
    while (d > 0) {
      --d;
      if (++pick[d] < parts[d].size()) break;
      pick[d] = 0;
      if (d == 0) return result;
    }
    if (dims.empty()) return result;
  }
}


}  // namespace

Index TileStage::batch_length() const {
  Index n = 1;
  for (Index g : grid) n *= g;
  return n;
}

Shape TileStage::grid_index(Index b) const {
  Shape index(grid.size());
  for (std::size_t a = grid.size(); a-- > 0;) {
    index[a] = b % grid[a];
    b /= grid[a];
  }
  return index;
}

IndexMap IndexMap::identity(const model::Shape& source_shape) {
  IndexMap m;
  for (Index n : source_shape) m.dims.push_back(DimMap::identity(n));
  return m;
}

bool IndexMap::is_identity() const {
  return !tile && std::all_of(dims.begin(), dims.end(), [](const DimMap& d) {
    return !d.fixed && d.segments.size() <= 1 &&
           (d.segments.empty() || (d.segments[0].src_start == 0 && d.segments[0].stride == 1));
  });
}

std::size_t IndexMap::read_rank() const {
  return static_cast<std::size_t>(std::count_if(dims.begin(), dims.end(), [](const DimMap& d) { return !d.fixed; }));
}

std::size_t IndexMap::output_rank() const { return read_rank() + new_dims.size() + (tile ? 1 : 0); }

namespace {

/// The output shape of the per-dim maps (before a tile stage).
model::Shape pre_tile_shape(const std::vector<DimMap>& dims) {
  model::Shape shape;
  for (const auto& d : dims)
    if (!d.fixed) shape.push_back(d.length());
  return shape;
}

/// The pre-tile box of tile `b` that output box `out` covers, clipped to the pre-tile
/// shape; nullopt when it is all padding.
std::optional<Box> tile_box(const TileStage& tile, const model::Shape& pre, const Box& out, Index b) {
  const Shape g = tile.grid_index(b);
  Box box{Shape(pre.size()), Shape(pre.size())};
  for (std::size_t d = 0; d < pre.size(); ++d) {
    Index first = out.start[d + 1];
    if (tile.axis[d] >= 0) first += g[static_cast<std::size_t>(tile.axis[d])] * tile.tile[d];
    const Index end = std::min(first + out.count[d + 1], pre[d]);
    if (first >= end) return std::nullopt;
    box.start[d] = first;
    box.count[d] = end - first;
  }
  return box;
}

/// Advances `index` (over dims offset, offset + 1, ... of `count`) in C order; false once
/// it wraps around to all zeros.
bool next_index(Shape& index, const Shape& count, std::size_t offset) {
  for (std::size_t d = index.size(); d-- > 0;) {
    if (++index[d] < count[d + offset]) return true;
    index[d] = 0;
  }
  return false;
}

}  // namespace

bool IndexMap::transposed() const {
  if (!new_dims.empty()) return true;
  for (std::size_t k = 0; k < order.size(); ++k)
    if (order[k] != k) return true;
  return false;
}

bool IndexMap::keeps_layout() const {
  if (!transposed()) return true;
  const std::size_t read = read_rank();
  std::size_t next = 0;
  for (std::size_t s : order) {
    if (s >= read) {
      if (new_dims[s - read] != 1) return false;
    } else if (s != next++) {
      return false;
    }
  }
  return true;
}

model::Box IndexMap::stored_box(const model::Box& out) const {
  if (!transposed()) return out;
  const std::size_t read = read_rank();
  model::Box box{Shape(read), Shape(read)};
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (order[k] >= read) continue;  // a new dim: nothing to read along it
    box.start[order[k]] = out.start[k];
    box.count[order[k]] = out.count[k];
  }
  return box;
}

model::Shape IndexMap::output_shape() const {
  model::Shape shape = pre_tile_shape(dims);
  shape.insert(shape.end(), new_dims.begin(), new_dims.end());
  if (transposed()) {
    model::Shape stored = shape;
    for (std::size_t k = 0; k < order.size(); ++k) shape[k] = stored[order[k]];
  }
  if (!tile) return shape;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (tile->axis[d] >= 0) shape[d] = tile->tile[d];
  shape.insert(shape.begin(), tile->batch_length());
  return shape;
}

std::vector<ReadPiece> IndexMap::pieces(const model::Box& out) const {
  if (!tile) return per_dim_pieces(dims, out);
  const model::Shape pre = pre_tile_shape(dims);
  std::vector<ReadPiece> result;
  for (Index b = out.start[0]; b < out.start[0] + out.count[0]; ++b) {
    const std::optional<Box> box = tile_box(*tile, pre, out, b);
    if (!box) continue;
    for (ReadPiece& p : per_dim_pieces(dims, *box)) {
      // Offsets inside the tile's box are offsets inside `out` along the fine dims.
      p.output.start.insert(p.output.start.begin(), b - out.start[0]);
      p.output.count.insert(p.output.count.begin(), 1);
      p.reversed.insert(p.reversed.begin(), false);
      result.push_back(std::move(p));
    }
  }
  return result;
}

bool IndexMap::pads(const model::Box& out) const {
  if (!tile || out.num_elements() == 0) return false;
  const model::Shape pre = pre_tile_shape(dims);
  for (Index b = out.start[0]; b < out.start[0] + out.count[0]; ++b) {
    const std::optional<Box> box = tile_box(*tile, pre, out, b);
    if (!box || box->count != Shape(out.count.begin() + 1, out.count.end())) return true;
  }
  return false;
}

std::vector<std::pair<Index, Index>> IndexMap::pad_runs(const model::Box& out, const model::Shape& buffer_shape) const {
  std::vector<std::pair<Index, Index>> runs;
  if (!tile || out.num_elements() == 0) return runs;
  const model::Shape pre = pre_tile_shape(dims);
  const std::size_t last = out.rank() - 1;  // the fine dims are 1..last
  std::vector<Index> stride(out.rank(), 1);
  for (std::size_t d = out.rank(); d-- > 1;) stride[d - 1] = stride[d] * buffer_shape[d];
  for (Index b = 0; b < out.count[0]; ++b) {
    // The tile's source part starts at the tile's origin: what lies past it is padding.
    const std::optional<Box> box = tile_box(*tile, pre, out, out.start[0] + b);
    Shape row(last - 1, 0);  // odometer over the fine dims but the last
    do {
      Index at = b * stride[0];
      bool inside = box.has_value();
      for (std::size_t d = 1; d < last; ++d) {
        at += row[d - 1] * stride[d];
        inside = inside && row[d - 1] < box->count[d - 1];
      }
      const Index valid = inside ? box->count[last - 1] : 0;
      if (valid < out.count[last]) runs.emplace_back(at + valid, out.count[last] - valid);
    } while (next_index(row, out.count, 1));
  }
  return runs;
}

void gather_transposed(const std::byte* src, const Shape& src_shape, const Shape& src_start, std::byte* dst,
                       const Shape& dst_shape, const Shape& dst_start, const Shape& count,
                       const std::vector<std::size_t>& order, std::size_t esize) {
  for_each_row(src_shape, src_start, dst_shape, dst_start, count, order, [&](Index s, Index step, Index t, Index n) {
    if (step == 1) {
      std::memcpy(dst + t * esize, src + s * esize, n * esize);
      return;
    }
    for (Index i = 0; i < n; ++i) std::memcpy(dst + (t + i) * esize, src + (s + i * step) * esize, esize);
  });
}

}  // namespace zpmpi::model
