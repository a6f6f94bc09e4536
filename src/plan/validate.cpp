// Input checks of make_plan: everything later stages divide by, index with or multiply is
// checked here once, so they can assume consistent ranks, positive chunks and 64-bit sizes.
#include <limits>
#include <set>
#include <string>

#include "chunk_grid.hpp"
#include "planner_steps.hpp"
#include "zpmpi/model/dtype.hpp"

namespace zpmpi::plan::steps {
namespace {

/// A tile stage that output_shape() and pieces() can index: one axis and tile per
/// pre-tile dim, axes inside the grid, a positive tile exactly where tiled, tiles >= 1,
/// and a batch length within 64 bits.
Status validate_tile(const model::ArrayLayout& a, const std::string& where) {
  const model::TileStage& t = *a.map.tile;
  std::size_t pre = 0;
  for (const auto& d : a.map.dims) pre += d.fixed ? 0 : 1;
  if (t.axis.size() != pre || t.tile.size() != pre)
    return usage_error(where + "the tile stage needs one axis and one tile per dim of the index map (" +
                       std::to_string(pre) + ")");
  std::uint64_t batches = 1;
  for (Index g : t.grid) {
    if (g == 0) return usage_error(where + "the tile grid " + model::to_string(t.grid) + " has an empty axis");
    batches = grid::sat_mul(batches, g);
  }
  if (batches == grid::kSaturated) return usage_error(where + "the tile grid has more than 2^64 tiles");
  for (std::size_t d = 0; d < pre; ++d) {
    const bool tiled = t.axis[d] >= 0;
    if (t.axis[d] < -1 || (tiled && static_cast<std::size_t>(t.axis[d]) >= t.grid.size()) || tiled != (t.tile[d] > 0))
      return usage_error(where + "the tile stage's dim " + std::to_string(d) + " is inconsistent");
  }
  return {};
}

/// Shards, when set: one per dim, each a positive multiple of the chunk (a shard holds
/// whole chunks).
Status validate_shards(const model::ArrayLayout& a, const std::string& where) {
  if (a.shards.empty()) return {};
  bool whole_chunks = a.shards.size() == a.chunks.size();
  for (std::size_t d = 0; whole_chunks && d < a.shards.size(); ++d)
    whole_chunks = a.shards[d] > 0 && a.shards[d] % a.chunks[d] == 0;
  if (!whole_chunks)
    return usage_error(where + "shards " + model::to_string(a.shards) + " must be a positive multiple of chunks " +
                       model::to_string(a.chunks) + " along every dim");
  return {};
}

Status validate_spec(const model::ArrayLayout& a) {
  const std::string where = "array " + a.name + ": ";
  if (a.text) return usage_error(where + "is a text array, written whole by rank 0, never planned");
  if (a.map.tile) ZPMPI_RETURN_IF_ERROR(validate_tile(a, where));
  const std::size_t rank = a.shape.size();
  if (a.chunks.size() != rank || a.alignment.size() != rank || a.map.output_rank() != rank)
    return usage_error(where + "shape " + model::to_string(a.shape) + ", chunks " + model::to_string(a.chunks) +
                       ", alignment " + model::to_string(a.alignment) + " and index map (" +
                       std::to_string(a.map.output_rank()) + " output dims) differ in rank");
  if (a.map.output_shape() != a.shape)
    return usage_error(where + "the index map's output shape " + model::to_string(a.map.output_shape()) +
                       " is not the shape " + model::to_string(a.shape));
  if (a.source.shape.size() != a.map.dims.size() || a.source.chunks.size() != a.map.dims.size())
    return usage_error(where + "the source variable's shape and chunks must have one entry per source dim (" +
                       std::to_string(a.map.dims.size()) + ")");
  for (std::size_t d = 0; d < rank; ++d)
    if (a.chunks[d] == 0 || a.alignment[d] == 0)
      return usage_error(where + "chunk sizes must be positive, got chunks " + model::to_string(a.chunks) +
                         " and alignment " + model::to_string(a.alignment));
  ZPMPI_RETURN_IF_ERROR(validate_shards(a, where));
  std::uint64_t bytes = model::dtype_size(a.dtype);
  for (Index n : a.shape) bytes = grid::sat_mul(bytes, n);
  if (bytes == grid::kSaturated)
    return usage_error(where + "shape " + model::to_string(a.shape) + " has more than 2^64 bytes");
  return {};
}

/// O(arrays x rank) arithmetic, before any stage that loops over units or chunks. Counts
/// files: chunks, or shards of a sharded array. (The count cannot saturate: every chunk
/// has a byte, and the bytes were checked above.)
Status check_file_count(const std::vector<model::ArrayLayout>& arrays, std::uint64_t max_chunks) {
  std::uint64_t total = 0, most = 0;
  bool sharded = false;
  const model::ArrayLayout* largest = nullptr;
  for (const model::ArrayLayout& a : arrays) {
    const std::uint64_t n = grid::file_count(a);
    total = grid::sat_add(total, n);
    sharded = sharded || !a.shards.empty();
    if (!largest || n > most) {
      most = n;
      largest = &a;
    }
  }
  if (total <= max_chunks) return {};
  const model::Shape& cell = grid::unit_cell(*largest);
  const char* cells = largest->shards.empty() ? " chunks of " : " shards of ";
  return usage_error("the plan has " + std::to_string(total) + (sharded ? " files" : " chunks") +
                     ", more than max_chunks " + std::to_string(max_chunks) + " (array " + largest->name + ": " +
                     model::to_string(grid::chunk_counts(largest->shape, cell)) + cells + model::to_string(cell) +
                     "); choose larger " + (sharded ? "shards" : "chunks") +
                     ", or raise max_chunks if that many files are intended");
}

}  // namespace

Status validate(const std::vector<model::ArrayLayout>& arrays, const PlanOptions& options) {
  if (options.num_jobs < 1) return usage_error("num_jobs must be at least 1, got " + std::to_string(options.num_jobs));
  if (options.num_ranks < 1)
    return usage_error("the number of ranks must be at least 1, got " + std::to_string(options.num_ranks));
  if (options.workers < 1) return usage_error("workers must be at least 1, got " + std::to_string(options.workers));
  if (options.max_chunks < 1) return usage_error("max_chunks must be at least 1, got 0");
  if (arrays.size() > std::numeric_limits<std::uint32_t>::max())
    return usage_error("too many arrays (" + std::to_string(arrays.size()) + ")");
  std::set<std::string> names;
  std::uint64_t total = 0;
  for (const model::ArrayLayout& a : arrays) {
    ZPMPI_RETURN_IF_ERROR(validate_spec(a));
    // Two arrays of one name would write the same chunk files; the parts of an append
    // (model::StorePlacement) write disjoint chunks of theirs.
    const std::string key = a.placement ? a.name + "#" + std::to_string(a.placement->chunk_offset) : a.name;
    if (!names.insert(key).second) return usage_error("array " + a.name + " is listed twice");
    total = grid::sat_add(total, model::num_elements(a.shape) * model::dtype_size(a.dtype));
  }
  if (total == grid::kSaturated) return usage_error("the arrays together have more than 2^64 bytes");
  return check_file_count(arrays, options.max_chunks);
}

}  // namespace zpmpi::plan::steps
