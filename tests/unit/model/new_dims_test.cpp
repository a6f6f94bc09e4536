// Dims with no source dim (xarray's expand_dims) in an index map: shapes, stored boxes, and
// the executor's path (pieces of the stored box read into a hyperslab, then for_each_row
// into the chunk) checked element by element against the definition, alone and composed
// with a dropped dim (squeeze/isel), a reversal, a step (thin) and a transposition.
#include <cstring>
#include <numeric>

#include <gtest/gtest.h>

#include "zpmpi/model/index_map.hpp"

namespace zpmpi::model {
namespace {

std::vector<Segment> affine(std::int64_t start, std::int64_t step, Index n) { return {{0, n, start, step}}; }

/// Output box `out` of `m` over a C-order int32 source of `src_shape`, as the executor
/// builds a chunk: the stored box's pieces read into the hyperslab, then gathered.
std::vector<std::int32_t> chunk_of(const IndexMap& m, const std::vector<std::int32_t>& src, const Shape& src_shape,
                                   const Box& out) {
  const Box stored = m.stored_box(out);
  std::vector<std::int32_t> hyper(static_cast<std::size_t>(stored.num_elements()), -1);
  for (const ReadPiece& p : m.pieces(stored)) {
    std::vector<std::int32_t> piece;  // the strided source read, upwards
    const std::size_t rank = src_shape.size();
    const Index n = p.source.num_elements();
    for (Index e = 0; e < n; ++e) {
      Index rem = e, offset = 0, scale = 1;
      Shape idx(rank);
      for (std::size_t d = rank; d-- > 0;) {
        idx[d] = p.source.start[d] + (rem % p.source.count[d]) * p.stride[d];
        rem /= p.source.count[d];
      }
      for (std::size_t d = rank; d-- > 0;) {
        offset += idx[d] * scale;
        scale *= src_shape[d];
      }
      piece.push_back(src[static_cast<std::size_t>(offset)]);
    }
    copy_reversed(reinterpret_cast<const std::byte*>(piece.data()), p.output.count,
                  reinterpret_cast<std::byte*>(hyper.data()), stored.count, p.output.start, p.reversed, 4);
  }
  std::vector<std::int32_t> chunk(static_cast<std::size_t>(out.num_elements()), -1);
  const Shape zero(out.rank(), 0);
  gather_transposed(reinterpret_cast<const std::byte*>(hyper.data()), stored.count, Shape(stored.rank(), 0),
                    reinterpret_cast<std::byte*>(chunk.data()), out.count, zero, out.count, m.order, 4);
  return chunk;
}

std::vector<std::int32_t> iota(Index n) {
  std::vector<std::int32_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(NewDims, ShapeRankAndStoredBoxLeaveTheNewDimOut) {
  IndexMap m = IndexMap::identity({4, 3});
  m.new_dims = {1};
  m.order = {2, 0, 1};  // expand_dims("member"): (member, a, b)
  EXPECT_EQ(m.read_rank(), 2u);
  EXPECT_EQ(m.output_rank(), 3u);
  EXPECT_EQ(m.output_shape(), (Shape{1, 4, 3}));
  EXPECT_TRUE(m.transposed());  // chunks are gathered, never the hyperslab itself
  EXPECT_TRUE(m.is_identity());  // the read is still straight into the hyperslab
  EXPECT_TRUE(m.new_dim(0));
  EXPECT_FALSE(m.new_dim(1));
  EXPECT_FALSE(m.new_dim(2));
  const Box stored = m.stored_box(Box{{0, 1, 2}, {1, 2, 1}});
  EXPECT_EQ(stored, (Box{{1, 2}, {2, 1}}));
}

TEST(NewDims, NewDimLastInTheStoredOrderStillCountsAsTransposed) {
  // expand_dims(axis=-1): order is the identity over all stored dims, but the output has a
  // dim the hyperslab lacks, so the executor must gather (not copy the hyperslab).
  IndexMap m = IndexMap::identity({4, 3});
  m.new_dims = {1};
  m.order = {0, 1, 2};
  EXPECT_TRUE(m.transposed());
  EXPECT_EQ(m.output_shape(), (Shape{4, 3, 1}));
  EXPECT_EQ(m.stored_box(Box{{1, 0, 0}, {2, 3, 1}}), (Box{{1, 0}, {2, 3}}));
}

TEST(NewDims, LengthOneNewDimsKeepTheLayout) {
  // The executor takes such chunks straight from the hyperslab, as without the new dims.
  IndexMap m = IndexMap::identity({4, 3});
  EXPECT_TRUE(m.keeps_layout());
  m.new_dims = {1, 1};
  m.order = {2, 0, 3, 1};  // (new, a, new, b)
  EXPECT_TRUE(m.keeps_layout());
  m.order = {2, 1, 3, 0};  // (new, b, new, a): transposed
  EXPECT_FALSE(m.keeps_layout());
  m.new_dims = {1, 2};
  m.order = {2, 0, 3, 1};  // a new dim of 2 repeats elements
  EXPECT_FALSE(m.keeps_layout());
}

TEST(NewDims, EveryIndexAlongALongerNewDimReadsTheSameElement) {
  // (2, 3) broadcast along a new dim of 3 between them: out[i][m][j] = src[i][j].
  IndexMap m = IndexMap::identity({2, 3});
  m.new_dims = {3};
  m.order = {0, 2, 1};
  ASSERT_EQ(m.output_shape(), (Shape{2, 3, 3}));
  const auto src = iota(6);
  const auto out = chunk_of(m, src, {2, 3}, Box{{0, 0, 0}, {2, 3, 3}});
  for (Index i = 0; i < 2; ++i)
    for (Index k = 0; k < 3; ++k)
      for (Index j = 0; j < 3; ++j) EXPECT_EQ(out[static_cast<std::size_t>((i * 3 + k) * 3 + j)], i * 3 + j);
}

TEST(NewDims, ComposedWithDroppedReversedAndSteppedDims) {
  // source (5, 4, 6): dim 0 dropped at 2 (squeeze/isel), dim 1 reversed, dim 2 thinned by
  // 2; then a new dim between the two that remain: out[i][0][k] = src[2][3 - i][2k].
  IndexMap m;
  m.dims.push_back(DimMap::at(2));
  m.dims.push_back(DimMap::identity(4).after(affine(3, -1, 4)));
  m.dims.push_back(DimMap::identity(6).after(affine(0, 2, 3)));
  m.new_dims = {1};
  m.order = {0, 2, 1};
  ASSERT_EQ(m.output_shape(), (Shape{4, 1, 3}));
  const auto src = iota(120);
  // A box inside: output rows 1..3, columns 1..2.
  const Box box{{1, 0, 1}, {3, 1, 2}};
  const auto out = chunk_of(m, src, {5, 4, 6}, box);
  for (Index i = 0; i < 3; ++i)
    for (Index k = 0; k < 2; ++k)
      EXPECT_EQ(out[static_cast<std::size_t>(i * 2 + k)], 2 * 24 + (3 - (1 + i)) * 6 + 2 * (1 + k)) << i << k;
}

TEST(NewDims, TransposedAfterwardsWithTheNewDimLast) {
  // (a 4, b 3) -> expand_dims member at 0 -> transpose(b, a, member): order {1, 0, 2}.
  IndexMap m = IndexMap::identity({4, 3});
  m.new_dims = {1};
  m.order = {1, 0, 2};
  ASSERT_EQ(m.output_shape(), (Shape{3, 4, 1}));
  const auto src = iota(12);
  const auto out = chunk_of(m, src, {4, 3}, Box{{0, 0, 0}, {3, 4, 1}});
  for (Index b = 0; b < 3; ++b)
    for (Index a = 0; a < 4; ++a) EXPECT_EQ(out[static_cast<std::size_t>(b * 4 + a)], a * 3 + b);
}

TEST(NewDims, ATrailingNewDimOfOneDoesNotCutTheRows) {
  // (4, 3) with a new dim of 1 last: rows of 3 along the source's last dim, step 1, not 12
  // rows of one element.
  std::vector<std::size_t> order{0, 1, 2};
  std::vector<Index> lengths, steps;
  for_each_row(Shape{4, 3}, Shape{0, 0}, Shape{4, 3, 1}, Shape{0, 0, 0}, Shape{4, 3, 1}, order,
               [&](Index s, Index step, Index t, Index n) {
                 EXPECT_EQ(s, t);
                 lengths.push_back(n);
                 steps.push_back(step);
               });
  EXPECT_EQ(lengths, (std::vector<Index>{3, 3, 3, 3}));
  EXPECT_EQ(steps, (std::vector<Index>{1, 1, 1, 1}));
  EXPECT_EQ(max_row_length(Shape{4, 3, 1}), 3);
  EXPECT_EQ(max_row_length(Shape{1, 1}), 1);
  EXPECT_EQ(max_row_length(Shape{}), 1);
}

TEST(NewDims, AScalarSourceGainsADim) {
  // A 0-d variable expanded to (2): both elements are the one source element.
  IndexMap m;
  m.new_dims = {2};
  m.order = {0};
  ASSERT_EQ(m.output_shape(), (Shape{2}));
  EXPECT_EQ(m.stored_box(Box{{0}, {2}}), (Box{{}, {}}));
  const std::vector<std::int32_t> src{42};
  EXPECT_EQ(chunk_of(m, src, {}, Box{{0}, {2}}), (std::vector<std::int32_t>{42, 42}));
}

}  // namespace
}  // namespace zpmpi::model
