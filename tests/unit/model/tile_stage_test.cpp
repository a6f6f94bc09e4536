// The tile stage of IndexMap: unravel of the batch index, padding, and pieces checked
// against a brute-force evaluation of xarray's coarsen/construct/stack on every element.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "zpmpi/model/index_map.hpp"

namespace zpmpi::model {
namespace {

constexpr std::int64_t kPad = -1;

/// C-order linear source index of every element of `out`, kPad for padding, brute force.
std::vector<std::int64_t> brute(const IndexMap& m, const Shape& source_shape, const Box& out) {
  std::vector<std::int64_t> v;
  Shape pos(out.rank());
  for (Index n = 0; n < out.num_elements(); ++n) {
    Index rem = n;
    for (std::size_t d = out.rank(); d-- > 0;) {
      pos[d] = out.start[d] + rem % out.count[d];
      rem /= out.count[d];
    }
    const Shape g = m.tile->grid_index(pos[0]);
    std::int64_t linear = 0;
    bool pad = false;
    std::size_t od = 1;
    for (std::size_t s = 0; s < m.dims.size(); ++s) {
      std::int64_t src;
      if (m.dims[s].fixed) {
        src = static_cast<std::int64_t>(*m.dims[s].fixed);
      } else {
        const std::size_t pd = od - 1;
        Index p = pos[od++];
        if (m.tile->axis[pd] >= 0) p += g[static_cast<std::size_t>(m.tile->axis[pd])] * m.tile->tile[pd];
        if (p >= m.dims[s].length()) {
          pad = true;
          src = 0;
        } else {
          src = m.dims[s].source_index(p);
        }
      }
      linear = linear * static_cast<std::int64_t>(source_shape[s]) + src;
    }
    v.push_back(pad ? kPad : linear);
  }
  return v;
}

/// The same through pieces(): what the executor does (fill, then place each read).
std::vector<std::int64_t> through_pieces(const IndexMap& m, const Shape& source_shape, const Box& out) {
  std::vector<std::int64_t> v(out.num_elements(), kPad);
  for (const ReadPiece& p : m.pieces(out)) {
    // Every element of the piece, source order (C order of its strided box).
    Shape idx(p.source.rank(), 0);
    std::vector<std::int64_t> values;
    for (Index n = 0; n < p.source.num_elements(); ++n) {
      Index rem = n;
      std::int64_t linear = 0;
      for (std::size_t d = p.source.rank(); d-- > 0;) {
        idx[d] = rem % p.source.count[d];
        rem /= p.source.count[d];
      }
      for (std::size_t d = 0; d < p.source.rank(); ++d)
        linear = linear * static_cast<std::int64_t>(source_shape[d]) +
                 static_cast<std::int64_t>(p.source.start[d] + idx[d] * p.stride[d]);
      values.push_back(linear);
    }
    copy_reversed(reinterpret_cast<const std::byte*>(values.data()), p.output.count,
                  reinterpret_cast<std::byte*>(v.data()), out.count, p.output.start, p.reversed, sizeof(std::int64_t));
  }
  return v;
}

/// pad_runs(box, buffer) marks exactly the padding of brute(), at the box's places in a
/// C-order buffer of `buffer` (the box's own shape or a larger chunk), and nothing else.
void check_pad_runs(const IndexMap& m, const Box& box, const std::vector<std::int64_t>& want, const Shape& buffer) {
  std::vector<bool> marked(num_elements(buffer), false);
  for (const auto& [at, n] : m.pad_runs(box, buffer))
    for (Index i = 0; i < n; ++i) marked.at(at + i) = true;
  std::vector<bool> expected(marked.size(), false);
  for (Index n = 0; n < box.num_elements(); ++n) {
    Index rem = n, at = 0, stride = 1;
    for (std::size_t d = box.rank(); d-- > 0;) {
      at += (rem % box.count[d]) * stride;
      rem /= box.count[d];
      stride *= buffer[d];
    }
    expected[at] = want[n] == kPad;
  }
  EXPECT_EQ(marked, expected) << "pad_runs: box start " << to_string(box.start) << " count " << to_string(box.count)
                              << " in a buffer " << to_string(buffer);
}

/// Every box of `out_shape` whose extents are 1, 2 or whole, at a few starts: equal both ways.
void check_boxes(const IndexMap& m, const Shape& source_shape) {
  const Shape shape = m.output_shape();
  ASSERT_EQ(shape.size(), m.output_rank());
  // Whole array, each single batch, and boxes inside tiles.
  std::vector<Box> boxes{{Shape(shape.size(), 0), shape}};
  for (Index b = 0; b < shape[0]; ++b) {
    Box one{Shape(shape.size(), 0), shape};
    one.start[0] = b;
    one.count[0] = 1;
    boxes.push_back(one);
    Box inner = one;
    for (std::size_t d = 1; d < shape.size(); ++d) {
      inner.start[d] = shape[d] / 3;
      inner.count[d] = std::max<Index>(1, shape[d] - shape[d] / 3 - 1);
    }
    boxes.push_back(inner);
  }
  if (shape[0] > 2) boxes.push_back({Shape(shape.size(), 0), [&] { Shape s = shape; s[0] = 2; return s; }()});
  for (const Box& box : boxes) {
    const auto want = brute(m, source_shape, box);
    EXPECT_EQ(through_pieces(m, source_shape, box), want) << "box start " << to_string(box.start) << " count "
                                                          << to_string(box.count);
    const bool pads = std::find(want.begin(), want.end(), kPad) != want.end();
    EXPECT_EQ(m.pads(box), pads) << to_string(box.start) << " " << to_string(box.count);
    check_pad_runs(m, box, want, box.count);
    Shape larger = box.count;  // an edge chunk: the box at the origin of a whole chunk
    for (auto& n : larger) n += 2;
    check_pad_runs(m, box, want, larger);
  }
}

TEST(TileStage, UnravelsTheBatchIndexInCOrder) {
  TileStage t{{4, 5}, {0, 1}, {10, 16}};
  EXPECT_EQ(t.batch_length(), 20u);
  EXPECT_EQ(t.grid_index(0), (Shape{0, 0}));
  EXPECT_EQ(t.grid_index(4), (Shape{0, 4}));
  EXPECT_EQ(t.grid_index(7), (Shape{1, 2}));
  EXPECT_EQ(t.grid_index(19), (Shape{3, 4}));
  TileStage three{{2, 3, 4}, {0, 1, 2}, {1, 1, 1}};
  EXPECT_EQ(three.grid_index(23), (Shape{1, 2, 3}));
  EXPECT_EQ(three.grid_index(13), (Shape{1, 0, 1}));
}

TEST(TileStage, OutputShapeIsBatchThenTilesAndUntiledLengths) {
  IndexMap m = IndexMap::identity({30, 1, 37, 72});
  m.tile = TileStage{{4, 4, 5}, {0, -1, 1, 2}, {8, 0, 10, 16}};
  EXPECT_EQ(m.output_rank(), 5u);
  EXPECT_EQ(m.output_shape(), (Shape{80, 8, 1, 10, 16}));
  EXPECT_FALSE(m.is_identity());
}

TEST(TileStage, PaddedTilesMatchBruteForce) {
  // boundary "pad": 37 = 3 * 10 + 7 and 72 = 4 * 16 + 8, so the last tiles pad.
  IndexMap m = IndexMap::identity({37, 72});
  m.tile = TileStage{{4, 5}, {0, 1}, {10, 16}};
  check_boxes(m, {37, 72});
  // The last tile: latitude 30..36 read, 37..39 padding.
  const auto pieces = m.pieces({{19, 0, 0}, {1, 10, 16}});
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].source, (Box{{30, 64}, {7, 8}}));
  EXPECT_EQ(pieces[0].output, (Box{{0, 0, 0}, {1, 7, 8}}));
  EXPECT_TRUE(m.pads({{19, 0, 0}, {1, 10, 16}}));
  EXPECT_FALSE(m.pads({{0, 0, 0}, {1, 10, 16}}));
  EXPECT_FALSE(m.pads({{19, 0, 0}, {1, 7, 8}}));  // the part of the last tile that is data
}

TEST(TileStage, TrimmedAndExactGridsNeverPad) {
  // boundary "trim": floor(37 / 10) = 3 tiles; "exact": 72 / 8 = 9 tiles.
  IndexMap m = IndexMap::identity({37, 72});
  m.tile = TileStage{{3, 9}, {0, 1}, {10, 8}};
  check_boxes(m, {37, 72});
  EXPECT_FALSE(m.pads({{0, 0, 0}, m.output_shape()}));
}

TEST(TileStage, FollowsReversedSelectedAndRolledDims) {
  // latitude reversed then sliced to 25 rows; longitude rolled by 20; time fixed.
  IndexMap m = IndexMap::identity({6, 37, 72});
  m.dims[0] = DimMap::at(3);
  m.dims[1] = DimMap::identity(37).after({{0, 37, 36, -1}}).after({{0, 25, 5, 1}});
  m.dims[2] = DimMap::identity(72).after({{0, 20, 52, 1}, {20, 52, 0, 1}});
  m.tile = TileStage{{3, 5}, {0, 1}, {10, 16}};
  check_boxes(m, {6, 37, 72});
}

TEST(TileStage, BroadcastsAlongGridAxesTheArrayLacks) {
  // A coordinate latitude(37) in a dataset tiled along time (4 tiles) and latitude (4):
  // every time tile repeats the same latitude tiles.
  IndexMap m = IndexMap::identity({37});
  m.tile = TileStage{{4, 4}, {1}, {10}};
  EXPECT_EQ(m.output_shape(), (Shape{16, 10}));
  check_boxes(m, {37});
  EXPECT_EQ(m.pieces({{5, 0}, {1, 10}})[0].source, (Box{{10}, {10}}));
  EXPECT_EQ(m.pieces({{9, 0}, {1, 10}})[0].source, (Box{{10}, {10}}));
}

TEST(TileStage, UntiledDimsKeepTheirWholeLength) {
  // q(time 30, level 1, latitude 37): level not tiled, latitude tiled with padding.
  IndexMap m = IndexMap::identity({30, 1, 37});
  m.tile = TileStage{{4, 4}, {0, -1, 1}, {8, 0, 10}};
  check_boxes(m, {30, 1, 37});
}

TEST(TileStage, AllPaddingTileReadsNothing) {
  // Output box of the fine positions 8..9 of the last latitude tile (37 = 3 * 10 + 7).
  IndexMap m = IndexMap::identity({37});
  m.tile = TileStage{{4}, {0}, {10}};
  EXPECT_TRUE(m.pieces({{3, 8}, {1, 2}}).empty());
  EXPECT_TRUE(m.pads({{3, 8}, {1, 2}}));
}

}  // namespace
}  // namespace zpmpi::model
