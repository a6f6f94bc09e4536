#include "zpmpi/model/index_map.hpp"

#include <numeric>

#include <gtest/gtest.h>

namespace zpmpi::model {
namespace {

/// Brute force: the source index of every output index of `m`.
std::vector<std::int64_t> image(const DimMap& m) {
  std::vector<std::int64_t> v;
  for (Index i = 0; i < m.length(); ++i) v.push_back(m.source_index(i));
  return v;
}

/// Python-like slice of a list: v[start:stop:step] for explicit in-range bounds.
std::vector<std::int64_t> slice(const std::vector<std::int64_t>& v, std::int64_t start, std::int64_t stop,
                                std::int64_t step) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(v[static_cast<std::size_t>(i)]);
  return out;
}

/// One affine segment j -> start + step * j for n outputs.
std::vector<Segment> affine(std::int64_t start, std::int64_t step, Index n) { return {{0, n, start, step}}; }

/// A roll by `shift` of length n: j -> (j - shift) mod n.
std::vector<Segment> roll(Index n, Index shift) {
  shift %= n;
  if (shift == 0) return affine(0, 1, n);
  return {{0, shift, static_cast<std::int64_t>(n - shift), 1}, {shift, n - shift, 0, 1}};
}

std::vector<std::int64_t> rolled(const std::vector<std::int64_t>& v, Index shift) {
  std::vector<std::int64_t> out(v.size());
  for (std::size_t j = 0; j < v.size(); ++j) out[j] = v[(j + v.size() - shift % v.size()) % v.size()];
  return out;
}

TEST(DimMap, IdentityAndFixed) {
  EXPECT_EQ(image(DimMap::identity(4)), (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(DimMap::at(7).length(), 0u);
  EXPECT_TRUE(DimMap::identity(0).segments.empty());
}

TEST(DimMap, SliceReverseAndStepsComposeLikePython) {
  const DimMap id = DimMap::identity(20);
  const auto all = image(id);
  // Reverse, then take [3:15:2] of the reversed axis.
  const DimMap rev = id.after(affine(19, -1, 20));
  EXPECT_EQ(image(rev), slice(all, 19, -1, -1));
  const DimMap sub = rev.after(affine(3, 2, 6));
  EXPECT_EQ(image(sub), slice(slice(all, 19, -1, -1), 3, 15, 2));
  ASSERT_EQ(sub.segments.size(), 1u);
  EXPECT_EQ(sub.segments[0], (Segment{0, 6, 16, -2}));
  // Negative step on a stepped map.
  const DimMap back = sub.after(affine(5, -2, 3));
  EXPECT_EQ(image(back), slice(image(sub), 5, -1, -2));
}

TEST(DimMap, RollAfterSelectionAndSelectionAfterRoll) {
  const DimMap id = DimMap::identity(12);
  const auto all = image(id);
  // roll after sel: [2:10] then roll by 3.
  const DimMap sel = id.after(affine(2, 1, 8));
  const DimMap sel_roll = sel.after(roll(8, 3));
  EXPECT_EQ(image(sel_roll), rolled(slice(all, 2, 10, 1), 3));
  // sel after roll: roll by 5 then [4:11] crosses the wrap.
  const DimMap r = id.after(roll(12, 5));
  EXPECT_EQ(image(r), rolled(all, 5));
  const DimMap r_sel = r.after(affine(4, 1, 7));
  EXPECT_EQ(image(r_sel), slice(rolled(all, 5), 4, 11, 1));
  EXPECT_EQ(r_sel.segments.size(), 2u);
  // Rolling back undoes the roll: neighbouring segments merge again.
  const DimMap undone = r.after(roll(12, 7));
  EXPECT_EQ(image(undone), all);
  EXPECT_EQ(undone.segments.size(), 1u);
  // Reverse after roll.
  EXPECT_EQ(image(r.after(affine(11, -1, 12))), slice(rolled(all, 5), 11, -1, -1));
}

TEST(DimMap, ExhaustiveSmallChains) {
  // Every slice (with steps +-1..3) of every roll of a length-7 axis, then every slice again.
  const DimMap id = DimMap::identity(7);
  const auto all = image(id);
  for (Index shift = 0; shift < 7; ++shift) {
    const DimMap r = id.after(roll(7, shift));
    const auto rv = rolled(all, shift);
    for (std::int64_t step : {1, 2, 3, -1, -2, -3}) {
      for (std::int64_t start = 0; start < 7; ++start) {
        const auto expected = slice(rv, start, step > 0 ? 7 : -1, step);
        const DimMap s = r.after(affine(start, step, expected.size()));
        ASSERT_EQ(image(s), expected) << "shift " << shift << " start " << start << " step " << step;
      }
    }
  }
}

TEST(IndexMap, PiecesOfAnIdentityMapAreTheBox) {
  const IndexMap m = IndexMap::identity({10, 20});
  EXPECT_TRUE(m.is_identity());
  const auto pieces = m.pieces(model::Box{{2, 3}, {4, 5}});
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].source, (model::Box{{2, 3}, {4, 5}}));
  EXPECT_EQ(pieces[0].stride, (model::Shape{1, 1}));
  EXPECT_EQ(pieces[0].output, (model::Box{{0, 0}, {4, 5}}));
}

TEST(IndexMap, PiecesOfRolledReversedAndDroppedDims) {
  IndexMap m;
  m.dims.push_back(DimMap::at(4));                                 // time dropped at 4
  m.dims.push_back(DimMap::identity(10).after(affine(9, -1, 10)));  // latitude reversed
  m.dims.push_back(DimMap::identity(8).after(roll(8, 3)));          // longitude rolled by 3
  EXPECT_FALSE(m.is_identity());
  EXPECT_EQ(m.output_rank(), 2u);
  EXPECT_EQ(m.output_shape(), (model::Shape{10, 8}));
  const auto pieces = m.pieces(model::Box{{2, 1}, {3, 6}});
  // Output rows 2..4 -> source 7..5 (reversed); columns 1..6 -> source 6,7 | 0..3.
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].source, (model::Box{{4, 5, 6}, {1, 3, 2}}));
  EXPECT_EQ(pieces[0].output, (model::Box{{0, 0}, {3, 2}}));
  EXPECT_EQ(pieces[0].reversed, (std::vector<bool>{true, false}));
  EXPECT_EQ(pieces[1].source, (model::Box{{4, 5, 0}, {1, 3, 4}}));
  EXPECT_EQ(pieces[1].output, (model::Box{{0, 2}, {3, 4}}));
}

TEST(IndexMap, StridedPiecesReadUpwards) {
  IndexMap m;
  m.dims.push_back(DimMap::identity(30).after(affine(25, -3, 8)));  // 25, 22, ..., 4
  const auto pieces = m.pieces(model::Box{{1}, {3}});                // 22, 19, 16
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].source, (model::Box{{16}, {3}}));
  EXPECT_EQ(pieces[0].stride, (model::Shape{3}));
  EXPECT_EQ(pieces[0].reversed, (std::vector<bool>{true}));
}

}  // namespace
}  // namespace zpmpi::model
