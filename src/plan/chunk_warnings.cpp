#include "zpmpi/plan/chunk_warnings.hpp"

#include "chunk_grid.hpp"
#include "zpmpi/model/dtype.hpp"

namespace zpmpi::plan {

std::vector<std::string> small_chunk_warnings(const RegionPlan& plan) {
  std::vector<std::string> warnings;
  for (const ArrayPlan& a : plan.arrays) {
    // A file is a chunk, or a shard of a sharded array.
    const model::ArrayLayout& s = a.layout;
    const Shape& cell = grid::unit_cell(s);
    std::uint64_t bytes = model::dtype_size(s.dtype);
    for (Index n : cell) bytes = grid::sat_mul(bytes, n);
    const std::uint64_t count = grid::file_count(s);
    if (bytes >= kSmallChunkBytes || count <= kManySmallChunks) continue;
    const std::string cells = s.shards.empty() ? "chunks" : "shards";
    std::string line = "array " + s.name + ": " + std::to_string(count) + " " + cells;
    line.pop_back();  // "chunk files", "shard files"
    line += " files of " + std::to_string(bytes) + " bytes each (uncompressed, " + cells + " " +
            model::to_string(cell) + "); a parallel file system handles " + cells +
            " of 1 MB or more far better: consider larger " + cells;
    warnings.push_back(std::move(line));
  }
  return warnings;
}

}  // namespace zpmpi::plan
