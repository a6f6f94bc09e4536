#include "zpmpi/plan/chunk_warnings.hpp"

#include "chunk_grid.hpp"
#include "zpmpi/model/dtype.hpp"

namespace zpmpi::plan {

std::vector<std::string> small_chunk_warnings(const RegionPlan& plan) {
  std::vector<std::string> warnings;
  for (const ArrayPlan& a : plan.arrays) {
    const model::ArrayLayout& s = a.layout;
    std::uint64_t bytes = model::dtype_size(s.dtype), count = 1;
    for (std::size_t d = 0; d < s.shape.size(); ++d) {
      bytes = grid::sat_mul(bytes, s.chunks[d]);
      count = grid::sat_mul(count, grid::ceil_div(s.shape[d], s.chunks[d]));
    }
    if (bytes >= kSmallChunkBytes || count <= kManySmallChunks) continue;
    warnings.push_back("array " + s.name + ": " + std::to_string(count) + " chunk files of " +
                       std::to_string(bytes) + " bytes each (uncompressed, chunks " + model::to_string(s.chunks) +
                       "); a parallel file system handles chunks of 1 MB or more far better: consider larger chunks");
  }
  return warnings;
}

}  // namespace zpmpi::plan
