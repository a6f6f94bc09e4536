#include "zpmpi/plan/output_chunks.hpp"

#include <algorithm>

namespace zpmpi::plan {

model::Shape choose_output_chunks(const model::ArrayLayout& array,
                                  const std::map<std::string, std::uint64_t>& requested, bool whole) {
  model::Shape chunks;
  for (std::size_t d = 0; d < array.shape.size(); ++d) {
    const model::Index cap = std::max<model::Index>(array.shape[d], 1);
    model::Index size = cap;
    if (array.map.tile) {
      if (d == 0 && !whole) size = 1;  // the batch dim: one tile per chunk
    } else if (!whole) {
      if (auto it = requested.find(array.dims[d]); it != requested.end()) {
        size = it->second;
      } else if (const std::size_t s = array.source_dim_of(d); s < array.source.chunks.size()) {
        size = array.source.chunks[s];
      } else if (array.map.new_dim(d)) {
        size = 1;  // a new dim (expand_dims) has no source chunk: one index per chunk
      }
    }
    chunks.push_back(std::clamp<model::Index>(size, 1, cap));
  }
  return chunks;
}

}  // namespace zpmpi::plan
