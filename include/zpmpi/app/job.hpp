// From a job description and a described source to what the run needs: the output arrays,
// their zarr metadata, the plan's array specs. Pure: rank 0 calls it before planning.
#pragma once

#include <filesystem>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/app/config.hpp"
#include "zpmpi/model/dataset.hpp"
#include "zpmpi/plan/region_plan.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/transform/dataset_transform.hpp"
#include "zpmpi/transform/output_array.hpp"
#include "zpmpi/transform/text_array.hpp"
#include "zpmpi/transform/tiling.hpp"
#include "zpmpi/zarr/metadata.hpp"
#include "zpmpi/zarr/store_format.hpp"
#include "zpmpi/zarr/v3_metadata.hpp"

namespace zpmpi::app {

struct JobArrays {
  std::vector<transform::OutputArray> arrays;  ///< output chunks decided
  /// Char and string arrays: written whole by rank 0 (exec/text_arrays.hpp), not planned.
  std::vector<transform::OutputArray> text_arrays;
  /// A tiled dataset's "{dim}_coarse" coordinates: computed and written by rank 0
  /// (exec/tile_index_arrays.hpp), not planned.
  std::vector<transform::CoarseIndexArray> coarse_arrays;
  boost::json::object group_attrs;             ///< root .zattrs
  std::vector<transform::Recommendation> recommendations;

  /// The arrays' layouts, for the planner.
  std::vector<model::ArrayLayout> layouts() const;
  /// Views of the arrays, then text and coarse index arrays, for the metadata writer
  /// (valid while this object lives).
  std::vector<zarr::ArrayMeta> metadata() const;
  /// The same for a Zarr v3 store with `compressor`: each array's codecs and shards
  /// (valid while this object lives). Errors (kUsage) are the v3 refusals
  /// (codec::v3_compressor_codecs: lz4; zarr::v3_array_json: char arrays, shards).
  Result<std::vector<zarr::V3ArrayMeta>> v3_metadata(const codec::CodecSpec& compressor) const;
};

/// The store's completion document as the run writes it last: v2's .zmetadata, v3's root
/// zarr.json with the consolidated metadata. Errors: the v3 refusals (v3_metadata).
Result<boost::json::object> output_document(zarr::ZarrFormat format, const JobArrays& job,
                                            const codec::CodecSpec& compressor);

/// Writes the store's metadata documents, the completion document last: v2's .zmetadata
/// (zarr::write_metadata) or v3's consolidated root zarr.json (zarr::write_v3_metadata).
Status write_job_metadata(const std::filesystem::path& store, zarr::ZarrFormat format, const JobArrays& job,
                          const codec::CodecSpec& compressor);

/// The values of every 1-D dimension coordinate, as doubles (what `sel` compares labels to).
Result<std::map<std::string, std::vector<double>>> read_coordinates(source::Source& source);

/// Chooses and renames the arrays, applies the preprocessors (`coords` from
/// read_coordinates) and decides the output chunks (plan::choose_output_chunks with
/// chunks.sizes; dimension coordinates are one chunk; a tiled data array one tile per chunk,
/// a tiled coordinate one chunk), and with "shards" the shards (plan::choose_shards; a
/// coordinate of one chunk is one shard). Errors (kUsage) name the config key,
/// e.g. "chunks.lat: 'lat' is not a dimension of era5.nc (dims: time, latitude, longitude)",
/// "shards.time: 100 is not a multiple of the chunk 24 of array t2m along time".
Result<JobArrays> build_job_arrays(const Config& config, const model::Dataset& dataset,
                                   const std::map<std::string, std::vector<double>>& coords);

}  // namespace zpmpi::app
