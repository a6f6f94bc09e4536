#include "zpmpi/model/box.hpp"

#include <cstdint>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace zpmpi::model {
namespace {

// Reference: element-by-element copy with explicit index arithmetic.
std::vector<int> reference_copy(const std::vector<int>& src, const Shape& src_shape,
                                const Shape& src_start, Shape dst_shape, const Shape& dst_start,
                                const Shape& count, std::vector<int> dst) {
  const std::size_t rank = count.size();
  std::vector<Index> pos(rank, 0);
  for (Index n = 0; n < num_elements(count); ++n) {
    Index rem = n;
    for (std::size_t d = rank; d-- > 0;) {
      pos[d] = rem % count[d];
      rem /= count[d];
    }
    Index s = 0, t = 0;
    for (std::size_t d = 0; d < rank; ++d) {
      s = s * src_shape[d] + src_start[d] + pos[d];
      t = t * dst_shape[d] + dst_start[d] + pos[d];
    }
    dst[t] = src[s];
  }
  return dst;
}

void check_copy(const Shape& src_shape, const Shape& src_start, const Shape& dst_shape,
                const Shape& dst_start, const Shape& count) {
  std::vector<int> src(num_elements(src_shape));
  std::iota(src.begin(), src.end(), 1);
  std::vector<int> dst(num_elements(dst_shape), -1);
  const auto expected =
      reference_copy(src, src_shape, src_start, dst_shape, dst_start, count, dst);
  copy_box(reinterpret_cast<const std::byte*>(src.data()), src_shape, src_start,
           reinterpret_cast<std::byte*>(dst.data()), dst_shape, dst_start, count, sizeof(int));
  EXPECT_EQ(dst, expected) << "src " << to_string(src_shape) << " count " << to_string(count);
}

TEST(CopyBox, InteriorBlockOf3D) { check_copy({4, 5, 6}, {1, 2, 3}, {3, 3, 3}, {0, 0, 0}, {3, 3, 3}); }
TEST(CopyBox, IntoPaddedEdgeChunk) { check_copy({5, 7}, {3, 4}, {4, 4}, {0, 0}, {2, 3}); }
TEST(CopyBox, WholeInnerDimsMergeIntoOneRun) {
  check_copy({6, 4, 5}, {2, 0, 0}, {3, 4, 5}, {1, 0, 0}, {2, 4, 5});
}
TEST(CopyBox, OneDimensional) { check_copy({10}, {3}, {8}, {2}, {5}); }
TEST(CopyBox, FourDimensionalWithOffsetsEverywhere) {
  check_copy({3, 4, 5, 6}, {1, 1, 2, 3}, {2, 5, 4, 4}, {0, 2, 1, 1}, {2, 3, 3, 3});
}
TEST(CopyBox, EmptyCountCopiesNothing) { check_copy({4, 4}, {0, 0}, {4, 4}, {0, 0}, {0, 4}); }
TEST(CopyBox, RankZero) {
  int src = 42, dst = 0;
  copy_box(reinterpret_cast<const std::byte*>(&src), {}, {}, reinterpret_cast<std::byte*>(&dst),
           {}, {}, {}, sizeof(int));
  EXPECT_EQ(dst, 42);
}

TEST(Shape, NumElementsIs64Bit) {
  EXPECT_EQ(num_elements({100000, 100000, 1000}), 10'000'000'000'000ULL);
  EXPECT_EQ(num_elements({}), 1u);
  EXPECT_EQ(num_elements({3, 0}), 0u);
}

}  // namespace
}  // namespace zpmpi::model

namespace zpmpi::model {
namespace {

TEST(CopyReversed, FlipsTheMarkedDimsIntoASubBox) {
  // src 2 x 3: 1 2 3 / 4 5 6, reversed along both dims -> 6 5 4 / 3 2 1, placed at (1, 1) of 3 x 4.
  const std::vector<int> src{1, 2, 3, 4, 5, 6};
  std::vector<int> dst(12, 0);
  copy_reversed(reinterpret_cast<const std::byte*>(src.data()), {2, 3}, reinterpret_cast<std::byte*>(dst.data()),
                {3, 4}, {1, 1}, {true, true}, sizeof(int));
  EXPECT_EQ(dst, (std::vector<int>{0, 0, 0, 0, 0, 6, 5, 4, 0, 3, 2, 1}));
  std::vector<int> rows(6, 0);
  copy_reversed(reinterpret_cast<const std::byte*>(src.data()), {2, 3}, reinterpret_cast<std::byte*>(rows.data()),
                {2, 3}, {0, 0}, {true, false}, sizeof(int));
  EXPECT_EQ(rows, (std::vector<int>{4, 5, 6, 1, 2, 3}));
  std::vector<int> same(6, 0);
  copy_reversed(reinterpret_cast<const std::byte*>(src.data()), {2, 3}, reinterpret_cast<std::byte*>(same.data()),
                {2, 3}, {0, 0}, {false, false}, sizeof(int));
  EXPECT_EQ(same, src);
}

TEST(CopyBoxMirrored, CopiesASubBoxOfALargerArrayFlippedIntoASubBox) {
  // src 3 x 4: row r holds 10 r + c. Its 2 x 3 box at (1, 1) (11 12 13 / 21 22 23), its rows
  // swapped and its columns reversed, lands at (0, 1) of a 2 x 5 destination.
  std::vector<int> src(12);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) src[static_cast<std::size_t>(r * 4 + c)] = 10 * r + c;
  std::vector<int> dst(10, 0);
  copy_box_mirrored(reinterpret_cast<const std::byte*>(src.data()), {3, 4}, {1, 1},
                    reinterpret_cast<std::byte*>(dst.data()), {2, 5}, {0, 1}, {2, 3}, {true, true}, sizeof(int));
  EXPECT_EQ(dst, (std::vector<int>{0, 23, 22, 21, 0, 0, 13, 12, 11, 0}));
  // Unmirrored it is copy_box.
  std::vector<int> plain(10, 0), boxed(10, 0);
  copy_box_mirrored(reinterpret_cast<const std::byte*>(src.data()), {3, 4}, {1, 1},
                    reinterpret_cast<std::byte*>(plain.data()), {2, 5}, {0, 1}, {2, 3}, {false, false}, sizeof(int));
  copy_box(reinterpret_cast<const std::byte*>(src.data()), {3, 4}, {1, 1}, reinterpret_cast<std::byte*>(boxed.data()),
           {2, 5}, {0, 1}, {2, 3}, sizeof(int));
  EXPECT_EQ(plain, boxed);
  // Rank 0 copies the one element; an empty box nothing.
  int one = 7, out = 0;
  copy_box_mirrored(reinterpret_cast<const std::byte*>(&one), {}, {}, reinterpret_cast<std::byte*>(&out), {}, {}, {},
                    {}, sizeof(int));
  EXPECT_EQ(out, 7);
  copy_box_mirrored(reinterpret_cast<const std::byte*>(src.data()), {3, 4}, {0, 0},
                    reinterpret_cast<std::byte*>(dst.data()), {2, 5}, {0, 0}, {0, 3}, {true, true}, sizeof(int));
  EXPECT_EQ(dst[0], 0);
}

TEST(NthIndex, WalksTheBoxInCOrder) {
  const Box box{{2, 4}, {3, 2}};
  EXPECT_EQ(nth_index(box, 0), (Shape{2, 4}));
  EXPECT_EQ(nth_index(box, 1), (Shape{2, 5}));
  EXPECT_EQ(nth_index(box, 3), (Shape{3, 5}));
  EXPECT_EQ(nth_index(box, 5), (Shape{4, 5}));
  EXPECT_EQ(nth_index(Box{{}, {}}, 0), Shape{});
}

}  // namespace
}  // namespace zpmpi::model
