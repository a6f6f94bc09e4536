#include "present_chunks.hpp"

namespace zpmpi::exec {
namespace {

/// Linear index of a chunk in C order of the array's chunk grid.
std::uint64_t linear_chunk(const model::ArrayLayout& spec, const model::Shape& index) {
  return model::linear_index(index, spec.chunk_grid());
}

}  // namespace

bool PresentChunks::has(std::uint32_t array, const model::Shape& index) const {
  if (!present_ || array >= present_->size()) return false;
  const std::vector<bool>& bits = (*present_)[array];
  if (bits.empty()) return false;
  const std::uint64_t n = linear_chunk(plan_.arrays[array].layout, index);
  return n < bits.size() && bits[n];
}

bool PresentChunks::all(const plan::Batch& batch) const {
  if (!present_) return false;
  const model::Index total = batch.chunks.num_elements();
  for (model::Index n = 0; n < total; ++n)
    if (!has(batch.array, model::nth_index(batch.chunks, n))) return false;
  return true;
}

}  // namespace zpmpi::exec
