#include "zpmpi/model/box.hpp"

#include <cstring>

namespace zpmpi::model {

Index num_elements(const Shape& shape) {
  Index n = 1;
  for (Index e : shape) n *= e;
  return n;
}

std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Index linear_index(const Shape& index, const Shape& shape) {
  Index n = 0;
  for (std::size_t d = 0; d < index.size(); ++d) n = n * shape[d] + index[d];
  return n;
}

Shape nth_index(const Box& box, Index n) {
  Shape index(box.rank());
  for (std::size_t d = box.rank(); d-- > 0;) {
    index[d] = box.start[d] + n % box.count[d];
    n /= box.count[d];
  }
  return index;
}

void copy_box(const std::byte* src, const Shape& src_shape, const Shape& src_start,
              std::byte* dst, const Shape& dst_shape, const Shape& dst_start,
              const Shape& count, std::size_t elem_size) {
  const std::size_t rank = count.size();
  if (num_elements(count) == 0) return;
  if (rank == 0) {
    std::memcpy(dst, src, elem_size);
    return;
  }
  // Merge trailing dims the copy spans completely in both arrays: one memcpy per run.
  std::size_t inner = rank - 1;
  Index run = count[inner];
  while (inner > 0 && count[inner] == src_shape[inner] && count[inner] == dst_shape[inner]) {
    --inner;
    run *= count[inner];
  }
  const std::size_t run_bytes = run * elem_size;

  // Element strides of both arrays.
  std::vector<Index> src_stride(rank, 1), dst_stride(rank, 1);
  for (std::size_t d = rank - 1; d > 0; --d) {
    src_stride[d - 1] = src_stride[d] * src_shape[d];
    dst_stride[d - 1] = dst_stride[d] * dst_shape[d];
  }
  Index src_off = 0, dst_off = 0;
  for (std::size_t d = 0; d < rank; ++d) {
    src_off += src_start[d] * src_stride[d];
    dst_off += dst_start[d] * dst_stride[d];
  }
  // Odometer over the dims outside the run.
  std::vector<Index> pos(inner, 0);
  for (;;) {
    std::memcpy(dst + dst_off * elem_size, src + src_off * elem_size, run_bytes);
    std::size_t d = inner;
    while (d > 0) {
      --d;
      if (++pos[d] < count[d]) {
        src_off += src_stride[d];
        dst_off += dst_stride[d];
        break;
      }
      src_off -= (count[d] - 1) * src_stride[d];
      dst_off -= (count[d] - 1) * dst_stride[d];
      pos[d] = 0;
      if (d == 0) return;
    }
    if (inner == 0) return;
  }
}

void copy_box_mirrored(const std::byte* src, const Shape& src_shape, const Shape& src_start, std::byte* dst,
                       const Shape& dst_shape, const Shape& dst_start, const Shape& count,
                       const std::vector<bool>& reversed, std::size_t elem_size) {
  const std::size_t rank = count.size();
  if (num_elements(count) == 0) return;
  if (rank == 0) {
    std::memcpy(dst, src, elem_size);
    return;
  }
  Shape idx(rank, 0);  // position inside `count`, the innermost dim handled as a run
  const std::size_t last = rank - 1;
  const Index run = count[last];
  for (;;) {
    Index s = 0, t = 0;
    for (std::size_t d = 0; d < rank; ++d) {
      const Index i = d == last ? 0 : idx[d];
      s = s * src_shape[d] + src_start[d] + i;
      t = t * dst_shape[d] + dst_start[d] + (reversed[d] && d != last ? count[d] - 1 - i : i);
    }
    if (!reversed[last]) {
      std::memcpy(dst + t * elem_size, src + s * elem_size, run * elem_size);
    } else {
      for (Index i = 0; i < run; ++i)
        std::memcpy(dst + (t + run - 1 - i) * elem_size, src + (s + i) * elem_size, elem_size);
    }
    std::size_t d = last;
    for (;;) {  // the odometer over the dims outside the run
      if (d == 0) return;
      --d;
      if (++idx[d] < count[d]) break;
      idx[d] = 0;
    }
  }
}

void copy_reversed(const std::byte* src, const Shape& count, std::byte* dst, const Shape& dst_shape,
                   const Shape& dst_start, const std::vector<bool>& reversed, std::size_t elem_size) {
  copy_box_mirrored(src, count, Shape(count.size(), 0), dst, dst_shape, dst_start, count, reversed, elem_size);
}

}  // namespace zpmpi::model
