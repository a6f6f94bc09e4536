#include "chunk_copy.hpp"

#include <cstring>

namespace zpmpi::source {
namespace {

/// C-order element strides of `shape`.
model::Shape strides_of(const model::Shape& shape) {
  model::Shape s(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

}  // namespace

void copy_strided(const std::byte* src, const model::Shape& src_shape, const model::Shape& src_start,
                  const model::Shape& src_step, std::byte* dst, const model::Shape& dst_shape,
                  const model::Shape& dst_start, const model::Shape& count, std::size_t elem) {
  const std::size_t rank = count.size();
  if (rank == 0) {
    std::memcpy(dst, src, elem);
    return;
  }
  for (auto c : count)
    if (c == 0) return;
  const model::Shape ss = strides_of(src_shape), ds = strides_of(dst_shape);
  std::uint64_t s0 = 0, d0 = 0;
  for (std::size_t d = 0; d < rank; ++d) {
    s0 += src_start[d] * ss[d];
    d0 += dst_start[d] * ds[d];
  }
  const std::size_t inner = rank - 1;
  const std::uint64_t n = count[inner], sstep = src_step[inner];
  std::vector<std::uint64_t> at(rank, 0);
  for (;;) {
    std::uint64_t so = s0, doff = d0;
    for (std::size_t d = 0; d < inner; ++d) {
      so += at[d] * src_step[d] * ss[d];
      doff += at[d] * ds[d];
    }
    const std::byte* s = src + so * elem;
    std::byte* o = dst + doff * elem;
    if (sstep == 1) {
      std::memcpy(o, s, n * elem);
    } else {
      for (std::uint64_t i = 0; i < n; ++i) std::memcpy(o + i * elem, s + i * sstep * elem, elem);
    }
    std::size_t d = inner;
    while (d > 0 && ++at[d - 1] == count[d - 1]) at[--d] = 0;
    if (d == 0) return;
  }
}

void fill_box(const std::byte* fill, std::byte* dst, const model::Shape& dst_shape, const model::Shape& dst_start,
              const model::Shape& count, std::size_t elem) {
  const std::size_t rank = count.size();
  if (rank == 0) {
    std::memcpy(dst, fill, elem);
    return;
  }
  for (auto c : count)
    if (c == 0) return;
  const model::Shape ds = strides_of(dst_shape);
  std::uint64_t d0 = 0;
  for (std::size_t d = 0; d < rank; ++d) d0 += dst_start[d] * ds[d];
  const std::size_t inner = rank - 1;
  std::vector<std::uint64_t> at(rank, 0);
  for (;;) {
    std::uint64_t doff = d0;
    for (std::size_t d = 0; d < inner; ++d) doff += at[d] * ds[d];
    std::byte* o = dst + doff * elem;
    for (std::uint64_t i = 0; i < count[inner]; ++i) std::memcpy(o + i * elem, fill, elem);
    std::size_t d = inner;
    while (d > 0 && ++at[d - 1] == count[d - 1]) at[--d] = 0;
    if (d == 0) return;
  }
}

}  // namespace zpmpi::source
