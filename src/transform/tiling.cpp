// The `tiled` preprocessor applied to the output arrays (see tiling.hpp).
#include "zpmpi/transform/tiling.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "zpmpi/model/number_text.hpp"

namespace zpmpi::transform {
namespace {

std::string fmt(double v) { return model::number_text(v); }

/// One tiled dim of the dataset, in the dataset's dim order (= grid axis order).
struct GridDim {
  const DimState* state;
  Index length;  ///< after the per-dim steps
  Index tile;
  Index tiles;   ///< along this dim: the grid extent
};

std::string list_text(const std::vector<Index>& v, std::size_t most) {
  std::string s;
  for (std::size_t i = 0; i < v.size() && i < most; ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  if (v.size() > most) s += ", ...";
  return s;
}

Status check_axis_order(const std::string& key, const GridDim& g) {
  const DimState& s = *g.state;
  if (s.coords.empty() || g.length < 2) return {};
  for (Index i = 1; i < g.length; ++i) {
    if (s.coord(i) > s.coord(i - 1)) continue;
    return usage_error(key + "." + s.name + ": coordinate " + s.name + " is not strictly ascending (" +
                       fmt(s.coord(0)) + " .. " + fmt(s.coord(g.length - 1)) + "); reverse it first ({\"type\": " +
                       "\"reverse_axis\", \"dim\": \"" + s.name + "\"}) or set validate_axis_order to false");
  }
  return {};
}

Status check_discontinuity(const std::string& key, const GridDim& g, double period) {
  const DimState& s = *g.state;
  if (s.coords.empty()) return {};
  std::vector<Index> bad;
  for (Index c = 0; c < g.tiles; ++c) {
    const Index first = c * g.tile, end = std::min(first + g.tile, g.length);
    for (Index i = first + 1; i < end; ++i) {
      if (std::fabs(s.coord(i) - s.coord(i - 1)) > period / 2) {
        bad.push_back(c);
        break;
      }
    }
  }
  if (bad.empty()) return {};
  return usage_error(key + "." + s.name + ": tile" + (bad.size() > 1 ? "s " : " ") + list_text(bad, 10) + " (of " +
                     std::to_string(g.tiles) + " along " + s.name + ") cross" + (bad.size() > 1 ? "" : "es") +
                     " a discontinuity of " + s.name + " (a jump of more than " + fmt(period / 2) +
                     " inside a tile, period " + fmt(period) + "); roll or select " + s.name +
                     " so that no tile spans it");
}

bool is_integer(model::DType t) { return t != model::DType::f4 && t != model::DType::f8; }

/// A value of `t` that none of `values` equals: the type's minimum (signed) or maximum
/// (unsigned), else the next one inwards.
std::optional<model::Scalar> unused_value(model::DType t, const std::vector<double>& values) {
  const std::set<double> used(values.begin(), values.end());
  const bool is_unsigned = t == model::DType::u1 || t == model::DType::u2 || t == model::DType::u4 || t == model::DType::u8;
  const int bits = static_cast<int>(model::dtype_size(t)) * 8;
  for (int k = 0; k < 1000; ++k) {
    if (is_unsigned) {
      const std::uint64_t v = (bits == 64 ? std::numeric_limits<std::uint64_t>::max() : (std::uint64_t{1} << bits) - 1) - k;
      if (!used.count(static_cast<double>(v))) return model::Scalar{v};
    } else {
      const std::int64_t v = (bits == 64 ? std::numeric_limits<std::int64_t>::min() : -(std::int64_t{1} << (bits - 1))) + k;
      if (!used.count(static_cast<double>(v))) return model::Scalar{v};
    }
  }
  return std::nullopt;
}

/// How many consecutive tiles the planner keeps in one unit: the tiles along the innermost
/// grid axes whose tiles share source chunks (a chunk larger than the tile, or a tile that
/// is not a multiple of the chunk), so that a batch reads them together and decodes each
/// chunk once (exec reads the union of a batch's tiles). ERA5-like chunks of a whole day
/// (24, 721, 1440) under tiles (24, 200, 400): latitude and longitude share, time does
/// not: the 4 x 4 tiles of a day. 1 for an unchunked source (any read is as cheap).
Index tiles_sharing_chunks(const OutputArray& a, const model::TileStage& stage) {
  if (!a.source.chunked) return 1;
  Index group = 1;
  for (std::size_t axis = stage.grid.size(); axis-- > 0;) {
    std::optional<std::pair<std::size_t, std::size_t>> dim;  // (source dim, pre-tile dim) along `axis`
    for (std::size_t s = 0, pre = 0; s < a.map.dims.size(); ++s) {
      if (a.map.dims[s].fixed) continue;
      if (stage.axis[pre] == static_cast<std::int64_t>(axis)) dim = {s, pre};
      ++pre;
    }
    if (!dim) break;  // broadcast along this axis: stop grouping
    const Index k = a.source.chunks[dim->first], tile = stage.tile[dim->second];
    if (k <= tile && tile % k == 0) break;  // tiles hold whole chunks along it
    group *= stage.grid[axis];
  }
  return group;
}

model::Attribute text_list(std::string name, std::vector<std::string> values) {
  return {std::move(name), model::AttrValue{std::move(values), std::nullopt}};
}
model::Attribute int_list(std::string name, std::vector<std::int64_t> values) {
  return {std::move(name), model::AttrValue{std::move(values), model::DType::i8}};
}

/// Tiles along `g` under the boundary rule; an error names `where` (KEY.DIM).
Status count_tiles(const std::string& where, TileBoundary boundary, GridDim& g) {
  switch (boundary) {
    case TileBoundary::kPad: g.tiles = (g.length + g.tile - 1) / g.tile; break;
    case TileBoundary::kTrim:
      g.tiles = g.length / g.tile;
      if (g.tiles == 0)
        return usage_error(where + ": boundary \"trim\" leaves no tile: length " + std::to_string(g.length) +
                           " is less than the tile " + std::to_string(g.tile));
      break;
    case TileBoundary::kExact:
      if (g.length % g.tile != 0)
        return usage_error(where + ": length " + std::to_string(g.length) + " is not a multiple of the tile " +
                           std::to_string(g.tile) + " (boundary \"exact\")");
      g.tiles = g.length / g.tile;
      break;
  }
  return {};
}

/// The grid: tiled dims in the dataset's dim order (xarray stacks them in that order),
/// each checked as the tiler checks it.
Result<std::vector<GridDim>> tile_grid(const std::string& key, const Tiled& op, const std::vector<OutputArray>& arrays,
                                       const DimStates& states) {
  std::vector<GridDim> grid;
  for (const DimState& s : states.dims) {
    auto it = std::find_if(op.sizes.begin(), op.sizes.end(), [&](const auto& p) { return p.first == s.name; });
    if (it == op.sizes.end()) continue;
    GridDim g{&s, s.map.length(), static_cast<Index>(it->second), 0};
    const std::string where = key + "." + s.name;
    ZPMPI_RETURN_IF_ERROR(count_tiles(where, op.boundary, g));
    // xarray's coarsen refuses a dim the (chosen part of the) dataset does not have.
    if (std::none_of(arrays.begin(), arrays.end(), [&](const OutputArray& a) {
          return std::find(a.dims.begin(), a.dims.end(), s.name) != a.dims.end();
        }))
      return usage_error(where + ": no array to write has the dim " + s.name);
    if (op.validate_axis_order) ZPMPI_RETURN_IF_ERROR(check_axis_order(key, g));
    for (const auto& [dim, period] : op.discontinuity_periods)
      if (dim == s.name) ZPMPI_RETURN_IF_ERROR(check_discontinuity(key, g, period));
    grid.push_back(g);
  }
  return grid;
}

/// The grid axis of `dim`, or -1 when it is not tiled.
std::int64_t grid_axis(const std::vector<GridDim>& grid, const std::string& dim) {
  for (std::size_t a = 0; a < grid.size(); ++a)
    if (grid[a].state->name == dim) return static_cast<std::int64_t>(a);
  return -1;
}

/// No text array along a tiled dim, and the names the tiled dataset adds are free.
Status check_tiled_names(const std::string& key, const std::vector<GridDim>& grid,
                         const std::vector<OutputArray>& arrays, const std::vector<OutputArray>& text_arrays) {
  for (const OutputArray& t : text_arrays)
    for (const auto& d : t.dims)
      if (grid_axis(grid, d) >= 0)
        return usage_error(key + ": tiling text array '" + t.name + "' (along " + d +
                           ") is not supported; leave it out with \"variables\"");
  std::set<std::string> taken;
  for (const auto& a : arrays) {
    taken.insert(a.name);
    taken.insert(a.dims.begin(), a.dims.end());
  }
  for (const auto& t : text_arrays) taken.insert(t.name);
  std::vector<std::string> added{kBatchDim};
  for (const GridDim& g : grid) added.insert(added.end(), {g.state->name + "_coarse", g.state->name + "_fine"});
  for (const auto& n : added)
    if (taken.count(n)) return usage_error(key + ": tiling adds '" + n + "', which the dataset already has");
  return {};
}

/// The tiler_* attributes every tiled data variable gets.
std::vector<model::Attribute> tiler_attributes(const std::vector<GridDim>& grid, TileBoundary boundary) {
  std::vector<std::string> tiler_dims, coarse_dims, fine_dims;
  std::vector<std::int64_t> tile_sizes, original_sizes;
  for (const GridDim& g : grid) {
    tiler_dims.push_back(g.state->name);
    coarse_dims.push_back(g.state->name + "_coarse");
    fine_dims.push_back(g.state->name + "_fine");
    tile_sizes.push_back(static_cast<std::int64_t>(g.tile));
    original_sizes.push_back(static_cast<std::int64_t>(g.length));
  }
  const char* name = boundary == TileBoundary::kPad ? "pad" : boundary == TileBoundary::kTrim ? "trim" : "exact";
  return {{"tiler_boundary", model::AttrValue{std::string(name), std::nullopt}},
          text_list("tiler_dims", tiler_dims),
          int_list("tiler_tile_sizes", tile_sizes),
          int_list("tiler_original_sizes", original_sizes),
          text_list("tiler_coarse_dims", coarse_dims),
          text_list("tiler_fine_dims", fine_dims),
          text_list("tiler_batch_dims", coarse_dims)};
}

/// What padding fills `a` with (it pads along `padded`): its fill value; NaN for floats; for
/// an integer coordinate a value it does not hold; else an error naming the remedies.
Status choose_padding(const std::string& key, const std::string& padded, const DimStates& states, OutputArray& a) {
  if (padded.empty() || a.fill_value) return {};
  if (!is_integer(a.dtype)) {
    a.fill_value = model::Scalar{std::numeric_limits<double>::quiet_NaN()};
    return {};
  }
  const DimState* own = a.source.dims.size() == 1 ? states.find(a.source.dims[0]) : nullptr;
  if (a.is_coordinate && own && own->name == a.source.name && !own->coords.empty())
    a.fill_value = unused_value(a.dtype, own->coords);
  if (a.fill_value) return {};
  return usage_error(key + ": tiling pads " + padded + ", and " + a.name +
                     " is an integer variable without _FillValue (xarray would turn it into floats with NaN " +
                     "padding); use tile sizes that divide the dims, boundary \"trim\", floats ({\"type\": \"astype\", " +
                     "\"dtype\": \"float32\"} under variables." + a.source.name + "), or leave " + a.name + " out");
}

/// `a` (with at least one tiled dim) as tiles: its tile stage, batch dim first, fine dims.
Status tile_array(const std::string& key, const std::vector<GridDim>& grid, const model::Shape& grid_shape,
                  const DimStates& states, OutputArray& a) {
  model::TileStage stage{grid_shape, {}, {}};
  std::vector<std::string> dims{kBatchDim};
  model::Shape alignment{1};
  std::string padded;  // a dim this array pads along, for messages
  for (std::size_t d = 0; d < a.dims.size(); ++d) {
    const std::int64_t axis = grid_axis(grid, a.dims[d]);
    stage.axis.push_back(axis);
    if (axis < 0) {
      stage.tile.push_back(0);
      dims.push_back(a.dims[d]);
      alignment.push_back(a.alignment[d]);
      continue;
    }
    const GridDim& g = grid[static_cast<std::size_t>(axis)];
    stage.tile.push_back(g.tile);
    dims.push_back(a.dims[d] + "_fine");
    alignment.push_back(g.tile);
    if (g.tiles * g.tile > g.length && padded.empty())
      padded = g.state->name + " (" + std::to_string(g.length) + " = " + std::to_string(g.length / g.tile) + " x " +
               std::to_string(g.tile) + " + " + std::to_string(g.length % g.tile) + ")";
  }
  ZPMPI_RETURN_IF_ERROR(choose_padding(key, padded, states, a));
  alignment[0] = tiles_sharing_chunks(a, stage);
  a.map.tile = std::move(stage);
  a.dims = std::move(dims);
  a.shape = a.map.output_shape();
  a.alignment = std::move(alignment);
  return {};
}

/// One DIM_coarse index array per grid axis, along the batch dim.
std::vector<CoarseIndexArray> coarse_index_arrays(const std::vector<GridDim>& grid, const model::Shape& grid_shape) {
  std::vector<CoarseIndexArray> coarse;
  for (std::size_t axis = 0; axis < grid.size(); ++axis) {
    CoarseIndexArray c;
    c.axis = axis;
    OutputArray& a = c.array;
    a.name = grid[axis].state->name + "_coarse";
    a.dtype = model::DType::i8;
    a.dims = {kBatchDim};
    a.map.tile = model::TileStage{grid_shape, {}, {}};
    a.shape = a.map.output_shape();
    a.chunks = a.shape;
    a.alignment = a.shape;
    a.is_coordinate = true;
    coarse.push_back(std::move(c));
  }
  return coarse;
}

}  // namespace

Result<std::vector<CoarseIndexArray>> apply_tiling(std::vector<OutputArray>& arrays,
                                                   const std::vector<OutputArray>& text_arrays,
                                                   const DimStates& states) {
  if (!states.tiled) return std::vector<CoarseIndexArray>{};
  const std::string& key = states.tiled->key;
  const Tiled& op = std::get<Tiled>(states.tiled->op);
  ZPMPI_ASSIGN_OR_RETURN(const std::vector<GridDim> grid, tile_grid(key, op, arrays, states));
  model::Shape grid_shape;
  for (const GridDim& g : grid) grid_shape.push_back(g.tiles);
  ZPMPI_RETURN_IF_ERROR(check_tiled_names(key, grid, arrays, text_arrays));
  const std::vector<model::Attribute> attributes = tiler_attributes(grid, op.boundary);
  for (OutputArray& a : arrays) {
    if (std::none_of(a.dims.begin(), a.dims.end(), [&](const std::string& d) { return grid_axis(grid, d) >= 0; }))
      continue;
    ZPMPI_RETURN_IF_ERROR(tile_array(key, grid, grid_shape, states, a));
    if (!a.is_coordinate) a.attributes.insert(a.attributes.end(), attributes.begin(), attributes.end());
  }
  return coarse_index_arrays(grid, grid_shape);
}

std::vector<Recommendation> tiling_recommendations(const std::vector<OutputArray>& arrays, const DimStates& states) {
  std::vector<Recommendation> out;
  if (!states.tiled) return out;
  std::set<std::pair<std::string, Index>> seen;
  for (const OutputArray& a : arrays) {
    if (a.is_coordinate || !a.source.chunked || !a.map.tile) continue;
    std::size_t pre = 0;  // pre-tile dim of source dim s
    for (std::size_t s = 0; s < a.map.dims.size(); ++s) {
      const DimMap& m = a.map.dims[s];
      if (m.fixed) continue;
      const std::size_t d = pre++;
      if (a.map.tile->axis[d] < 0 || m.segments.size() != 1) continue;
      const Segment& g = m.segments[0];
      if (g.stride != 1 && g.stride != -1) continue;
      const Index k = a.source.chunks[s], length = a.source.shape[s], tile = a.map.tile->tile[d];
      if (k >= length || tile % k == 0 || k % tile == 0) continue;
      if (!seen.insert({a.source.dims[s], tile}).second) continue;
      // Amplification: each tile decodes the source chunks its rows fall in.
      Index needed = 0, decoded = 0;
      for (Index first = 0; first < g.length; first += tile) {
        const Index n = std::min(tile, g.length - first);
        const std::int64_t x = g.src_start + g.stride * static_cast<std::int64_t>(first);
        const std::int64_t y = x + g.stride * static_cast<std::int64_t>(n - 1);
        const auto lo = static_cast<Index>(std::min(x, y)), hi = static_cast<Index>(std::max(x, y)) + 1;
        needed += n;
        decoded += std::min(length, (hi + k - 1) / k * k) - lo / k * k;
      }
      // The nearest divisor of k or multiple of k.
      Index best = k;
      auto consider = [&](Index c) {
        const auto dist = [&](Index v) { return v > tile ? v - tile : tile - v; };
        if (c >= 1 && (dist(c) < dist(best) || (dist(c) == dist(best) && c > best))) best = c;
      };
      for (Index c = 1; c <= k; ++c)
        if (k % c == 0) consider(c);
      consider(tile / k * k);
      consider((tile / k + 1) * k);
      Recommendation r;
      r.dim = a.source.dims[s];
      r.chunk = k;
      r.tile = tile;
      r.aligned_tile = best;
      r.amplification = static_cast<double>(decoded) / static_cast<double>(needed);
      char amp[32];
      std::snprintf(amp, sizeof amp, "%.2f", r.amplification);
      r.text = r.dim + ": tiles of " + std::to_string(tile) + " cut source chunks of " + std::to_string(k) +
               " (read amplification " + amp + "); nearest aligned tile size: " + std::to_string(best);
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace zpmpi::transform
