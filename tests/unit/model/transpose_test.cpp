// The transposition of an index map: output shape, stored boxes and the transposing gather.
#include <cstring>
#include <numeric>

#include <gtest/gtest.h>

#include "zpmpi/model/index_map.hpp"

namespace zpmpi::model {
namespace {

TEST(Transpose, OutputShapeAndStoredBoxFollowTheOrder) {
  IndexMap m = IndexMap::identity({4, 3, 5});
  m.order = {1, 2, 0};
  EXPECT_TRUE(m.transposed());
  EXPECT_TRUE(m.is_identity());  // reads go straight into the (stored-order) hyperslab
  EXPECT_EQ(m.output_shape(), (Shape{3, 5, 4}));
  const Box stored = m.stored_box(Box{{1, 2, 3}, {2, 3, 1}});
  EXPECT_EQ(stored.start, (Shape{3, 1, 2}));
  EXPECT_EQ(stored.count, (Shape{1, 2, 3}));
}

TEST(Transpose, IdentityOrderIsNoTransposition) {
  IndexMap m = IndexMap::identity({4, 3});
  m.order = {0, 1};
  EXPECT_FALSE(m.transposed());
  EXPECT_EQ(m.stored_box(Box{{1, 2}, {3, 1}}).start, (Shape{1, 2}));
}

TEST(Transpose, FixedDimsAreNotInTheOrder) {
  IndexMap m = IndexMap::identity({4, 3, 5});
  m.dims[1] = DimMap::at(2);
  m.order = {1, 0};
  EXPECT_EQ(m.output_shape(), (Shape{5, 4}));
}

/// gather_transposed against the definition out[i][j][k] = src[perm].
TEST(Transpose, GatherMatchesTheDefinition) {
  const Shape src_shape{3, 4, 5};
  std::vector<std::int32_t> src(60);
  std::iota(src.begin(), src.end(), 0);
  const std::vector<std::size_t> order{2, 0, 1};  // output (k, i, j)
  // The stored box [1:3, 1:4, 2:5] -> output count (3, 2, 3), into a (4, 2, 3) chunk at 0.
  const Shape count{3, 2, 3}, dst_shape{4, 2, 3};
  std::vector<std::int32_t> dst(24, -1);
  gather_transposed(reinterpret_cast<const std::byte*>(src.data()), src_shape, Shape{1, 1, 2},
                    reinterpret_cast<std::byte*>(dst.data()), dst_shape, Shape{0, 0, 0}, count, order, 4);
  for (Index a = 0; a < 3; ++a)
    for (Index b = 0; b < 2; ++b)
      for (Index c = 0; c < 3; ++c) {
        // output (a, b, c): stored dim 2 = a, dim 0 = b, dim 1 = c.
        const Index s = (1 + b) * 20 + (1 + c) * 5 + (2 + a);
        EXPECT_EQ(dst[static_cast<std::size_t>((a * 2 + b) * 3 + c)], s) << a << b << c;
      }
  for (std::size_t i = 18; i < 24; ++i) EXPECT_EQ(dst[i], -1);  // the padding row is untouched
}

TEST(Transpose, GatherOf2DIsTheTranspose) {
  const std::vector<std::int16_t> src{1, 2, 3, 4, 5, 6};  // (2, 3)
  std::vector<std::int16_t> dst(6);
  gather_transposed(reinterpret_cast<const std::byte*>(src.data()), Shape{2, 3}, Shape{0, 0},
                    reinterpret_cast<std::byte*>(dst.data()), Shape{3, 2}, Shape{0, 0}, Shape{3, 2}, {1, 0}, 2);
  EXPECT_EQ(dst, (std::vector<std::int16_t>{1, 4, 2, 5, 3, 6}));
}

}  // namespace
}  // namespace zpmpi::model
