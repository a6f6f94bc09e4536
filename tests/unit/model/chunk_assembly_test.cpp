// Chunk assembly (model/chunk_assembly.hpp): which box of a batch's hyperslab makes each
// output chunk, which of its elements are padding, and the copy itself, on int32 arrays
// whose element values say where they come from; no source, no store.
#include "zpmpi/model/chunk_assembly.hpp"

#include <cstring>
#include <numeric>

#include <gtest/gtest.h>

namespace zpmpi::model {
namespace {

using Kind = ChunkAssembly::Kind;

/// An int32 array of `shape` in `chunks`, read through `map` (identity when empty), fill -9.
ArrayLayout layout(const Shape& shape, const Shape& chunks, std::optional<IndexMap> map = std::nullopt) {
  ArrayLayout a;
  a.name = "v";
  a.dtype = DType::i4;
  a.shape = shape;
  a.chunks = chunks;
  a.fill_value = Scalar{std::int64_t{-9}};
  a.map = map ? *map : IndexMap::identity(shape);
  return a;
}

/// The hyperslab of `count` elements (C order), each holding its own offset: element k is k.
std::vector<std::int32_t> hyperslab(const Shape& count) {
  std::vector<std::int32_t> v(static_cast<std::size_t>(num_elements(count)));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

/// The chunk as the executor makes it: filled when padded, copied, refilled.
std::vector<std::int32_t> assemble(const ArrayLayout& a, const ChunkAssembly& c, const std::vector<std::int32_t>& hyper) {
  std::vector<std::int32_t> chunk(static_cast<std::size_t>(num_elements(a.chunks)), 0);
  auto* out = reinterpret_cast<std::byte*>(chunk.data());
  if (c.padded) fill_elements(out, chunk.size(), a.dtype, a.fill_value);
  copy_chunk(c, reinterpret_cast<const std::byte*>(hyper.data()), out, 4);
  for (const auto& [at, n] : c.refill) fill_elements(out + at * 4, static_cast<std::size_t>(n), a.dtype, a.fill_value);
  return chunk;
}

TEST(ChunkAssembly, InteriorAndEdgeChunksOfA2DBatch) {
  // 7 x 5 in 3 x 2 chunks; the batch of chunk rows 1..2 reads rows 3..6: a 4 x 5 hyperslab.
  const ArrayLayout a = layout({7, 5}, {3, 2});
  const Box batch{{3, 0}, {4, 5}};
  const auto hyper = hyperslab(batch.count);

  const ChunkAssembly inner = assemble_chunk(a, batch, {1, 0});
  EXPECT_EQ(inner.kind, Kind::kBox);  // its rows are 2 of the hyperslab's 5: not one run
  EXPECT_FALSE(inner.padded);
  EXPECT_EQ(inner.chunk, (Box{{3, 0}, {3, 2}}));
  EXPECT_EQ(inner.hyper_shape, (Shape{4, 5}));
  EXPECT_EQ(inner.from, (Box{{0, 0}, {3, 2}}));
  EXPECT_EQ(inner.to_shape, (Shape{3, 2}));
  EXPECT_TRUE(inner.refill.empty());
  EXPECT_EQ(assemble(a, inner, hyper), (std::vector<std::int32_t>{0, 1, 5, 6, 10, 11}));

  // Chunk (2, 2) holds element (6, 4) alone: the other five are the fill value.
  const ChunkAssembly corner = assemble_chunk(a, batch, {2, 2});
  EXPECT_EQ(corner.kind, Kind::kBox);
  EXPECT_TRUE(corner.padded);
  EXPECT_EQ(corner.chunk, (Box{{6, 4}, {1, 1}}));
  EXPECT_EQ(corner.from, (Box{{3, 4}, {1, 1}}));
  EXPECT_EQ(assemble(a, corner, hyper), (std::vector<std::int32_t>{19, -9, -9, -9, -9, -9}));

  // Chunk (2, 1): one row of two elements, two rows of padding.
  EXPECT_EQ(assemble(a, assemble_chunk(a, batch, {2, 1}), hyper), (std::vector<std::int32_t>{17, 18, -9, -9, -9, -9}));
}

TEST(ChunkAssembly, WholeRowChunksAreTakenInPlaceUnlessPadded) {
  // 7 x 5 in 5 x 5 chunks, one batch of both: chunk (0, 0) is rows 0..4, one run.
  const ArrayLayout a = layout({7, 5}, {5, 5});
  const Box batch{{0, 0}, {7, 5}};
  const ChunkAssembly first = assemble_chunk(a, batch, {0, 0});
  EXPECT_EQ(first.kind, Kind::kInPlace);
  EXPECT_EQ(first.offset, 0u);
  // Chunk (1, 0), rows 5..6, is one run too, but rows 7..9 are padding: copied.
  const ChunkAssembly last = assemble_chunk(a, batch, {1, 0});
  EXPECT_EQ(last.kind, Kind::kBox);
  EXPECT_TRUE(last.padded);
  EXPECT_EQ(last.from, (Box{{5, 0}, {2, 5}}));
  const auto chunk = assemble(a, last, hyperslab(batch.count));
  EXPECT_EQ(chunk[0], 25);
  EXPECT_EQ(chunk[9], 34);
  EXPECT_EQ(chunk[10], -9);
  EXPECT_EQ(chunk[24], -9);
  // In a batch of rows 2..5 (6 x 4 in 2 x 4 chunks), chunk 2 is the run at element 8.
  const ArrayLayout narrow = layout({6, 4}, {2, 4});
  const ChunkAssembly mid = assemble_chunk(narrow, {{2, 0}, {4, 4}}, {2, 0});
  EXPECT_EQ(mid.kind, Kind::kInPlace);
  EXPECT_EQ(mid.offset, 8u);
  EXPECT_EQ(assemble(narrow, mid, hyperslab({4, 4})), (std::vector<std::int32_t>{8, 9, 10, 11, 12, 13, 14, 15}));
}

TEST(ChunkAssembly, ZeroDimensionalArrayIsOneElementInPlace) {
  const ArrayLayout a = layout({}, {});
  const ChunkAssembly c = assemble_chunk(a, {{}, {}}, {});
  EXPECT_EQ(c.kind, Kind::kInPlace);
  EXPECT_FALSE(c.padded);
  EXPECT_EQ(c.offset, 0u);
  const std::vector<std::int32_t> hyper{42};
  EXPECT_EQ(assemble(a, c, hyper), (std::vector<std::int32_t>{42}));
}

TEST(ChunkAssembly, OneDimensionalEdgeChunk) {
  // 10 in chunks of 4; the batch of chunks 1..2 reads elements 4..9.
  const ArrayLayout a = layout({10}, {4});
  const Box batch{{4}, {6}};
  const auto hyper = hyperslab(batch.count);
  const ChunkAssembly whole = assemble_chunk(a, batch, {1});
  EXPECT_EQ(whole.kind, Kind::kInPlace);
  EXPECT_EQ(whole.offset, 0u);
  const ChunkAssembly edge = assemble_chunk(a, batch, {2});
  EXPECT_EQ(edge.kind, Kind::kBox);
  EXPECT_TRUE(edge.padded);
  EXPECT_EQ(edge.from, (Box{{4}, {2}}));
  EXPECT_EQ(assemble(a, edge, hyper), (std::vector<std::int32_t>{4, 5, -9, -9}));
}

TEST(ChunkAssembly, FourDimensionalBoxCopyWithOffsetsEverywhere) {
  const ArrayLayout a = layout({5, 4, 6, 3}, {2, 3, 4, 2});
  const Box batch{{2, 0, 4, 0}, {3, 4, 2, 3}};  // chunk grid (1..2, 0..1, 1, 0..1)
  const auto hyper = hyperslab(batch.count);
  const ChunkAssembly c = assemble_chunk(a, batch, {2, 1, 1, 1});
  EXPECT_TRUE(c.padded);
  EXPECT_EQ(c.chunk, (Box{{4, 3, 4, 2}, {1, 1, 2, 1}}));
  EXPECT_EQ(c.from, (Box{{2, 3, 0, 2}, {1, 1, 2, 1}}));
  const auto chunk = assemble(a, c, hyper);
  // Chunk element (0, 0, j, 0) is hyperslab element (2, 3, j, 2) = ((2 * 4 + 3) * 2 + j) * 3 + 2.
  for (std::size_t e = 0; e < chunk.size(); ++e) {
    const bool data = e == 0 || e == 2;  // (0, 0, 0, 0) and (0, 0, 1, 0) in the 2 x 3 x 4 x 2 chunk
    EXPECT_EQ(chunk[e], data ? static_cast<std::int32_t>((22 + e / 2) * 3 + 2) : -9) << e;
  }
}

TEST(ChunkAssembly, TransposedChunksAreGatheredInStridedRows) {
  // Source 2 x 3 (element (i, j) = 3 i + j) transposed: output 3 x 2 in 2 x 2 chunks.
  IndexMap m = IndexMap::identity({2, 3});
  m.order = {1, 0};
  const ArrayLayout a = layout({3, 2}, {2, 2}, m);
  const Box batch{{0, 0}, {3, 2}};
  const auto hyper = hyperslab({2, 3});
  const ChunkAssembly top = assemble_chunk(a, batch, {0, 0});
  EXPECT_EQ(top.kind, Kind::kRows);
  EXPECT_EQ(top.hyper_shape, (Shape{2, 3}));
  EXPECT_EQ(top.to_shape, (Shape{2, 2}));
  EXPECT_EQ(top.order, (std::vector<std::size_t>{1, 0}));
  // Output (r, c) is source (c, r): a row of the chunk steps 3 elements through the hyperslab.
  EXPECT_EQ(assemble(a, top, hyper), (std::vector<std::int32_t>{0, 3, 1, 4}));
  const ChunkAssembly bottom = assemble_chunk(a, batch, {1, 0});
  EXPECT_TRUE(bottom.padded);
  EXPECT_EQ(bottom.from, (Box{{0, 2}, {2, 1}}));
  EXPECT_EQ(assemble(a, bottom, hyper), (std::vector<std::int32_t>{2, 5, -9, -9}));
}

TEST(ChunkAssembly, ANewDimOfOneKeepsTheLayout) {
  // expand_dims("member"): output (1, 3, 4) over a 3 x 4 source, chunks (1, 2, 4).
  IndexMap m = IndexMap::identity({3, 4});
  m.new_dims = {1};
  m.order = {2, 0, 1};
  const ArrayLayout a = layout({1, 3, 4}, {1, 2, 4}, m);
  const Box batch{{0, 0, 0}, {1, 3, 4}};
  const auto hyper = hyperslab({3, 4});
  const ChunkAssembly first = assemble_chunk(a, batch, {0, 0, 0});
  EXPECT_EQ(first.kind, Kind::kInPlace);
  EXPECT_EQ(first.hyper_shape, (Shape{3, 4}));
  const ChunkAssembly edge = assemble_chunk(a, batch, {0, 1, 0});
  EXPECT_EQ(edge.kind, Kind::kBox);
  EXPECT_EQ(edge.to_shape, (Shape{2, 4}));  // the stored dims: the new dim moves nothing
  EXPECT_EQ(assemble(a, edge, hyper), (std::vector<std::int32_t>{8, 9, 10, 11, -9, -9, -9, -9}));
}

TEST(ChunkAssembly, AValueStageGathersRowsAndRefillsTilePadding) {
  // A 3 x 4 source tiled by 2 rows (pad): 2 batches of 2 x 4, the last half padding.
  IndexMap m = IndexMap::identity({3, 4});
  m.tile = TileStage{{2}, {0, -1}, {2, 0}};
  ArrayLayout a = layout({2, 2, 4}, {1, 2, 4}, m);
  const Box batch{{0, 0, 0}, {2, 2, 4}};
  EXPECT_EQ(assemble_chunk(a, batch, {1, 0, 0}).kind, Kind::kInPlace);  // no stage: the bytes as read
  a.values = ValueStage{};
  a.values->source_dtype = DType::i4;
  const ChunkAssembly padded_tile = assemble_chunk(a, batch, {1, 0, 0});
  EXPECT_EQ(padded_tile.kind, Kind::kRows);
  EXPECT_FALSE(padded_tile.padded);  // the chunk is whole: its padding is the tile's
  EXPECT_EQ(padded_tile.refill, (std::vector<std::pair<Index, Index>>{{4, 4}}));
  EXPECT_TRUE(assemble_chunk(a, batch, {0, 0, 0}).refill.empty());
  // The stage's output went through copy_chunk here (no conversion): the refill restores
  // the fill value where the tile pads.
  auto chunk = assemble(a, padded_tile, hyperslab({2, 2, 4}));
  EXPECT_EQ(chunk, (std::vector<std::int32_t>{8, 9, 10, 11, -9, -9, -9, -9}));
}

TEST(FillElements, RepeatsTheValueOrZeros) {
  std::vector<std::int16_t> v(7, 1);
  fill_elements(reinterpret_cast<std::byte*>(v.data()), v.size(), DType::i2, Scalar{std::int64_t{-3}});
  EXPECT_EQ(v, std::vector<std::int16_t>(7, -3));
  fill_elements(reinterpret_cast<std::byte*>(v.data()), 3, DType::i2, std::nullopt);
  EXPECT_EQ(v, (std::vector<std::int16_t>{0, 0, 0, -3, -3, -3, -3}));
}

}  // namespace
}  // namespace zpmpi::model
