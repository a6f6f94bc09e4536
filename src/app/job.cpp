#include "zpmpi/app/job.hpp"

#include <algorithm>
#include <set>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/exec/text_arrays.hpp"
#include "zpmpi/plan/output_chunks.hpp"
#include "zpmpi/plan/shard_choice.hpp"
#include "zpmpi/transform/coordinates_attribute.hpp"
#include "zpmpi/zarr/names.hpp"
#include "zpmpi/zarr/store.hpp"
#include "zpmpi/transform/require_data.hpp"
#include "zpmpi/transform/array_steps.hpp"

namespace zpmpi::app {

Result<std::map<std::string, std::vector<double>>> read_coordinates(source::Source& source) {
  std::map<std::string, std::vector<double>> coords;
  const model::Dataset& dataset = source.dataset();
  for (const auto& v : dataset.variables) {
    if (!dataset.is_dimension_coordinate(v) || v.text) continue;
    const std::size_t esize = model::dtype_size(v.dtype);
    std::vector<std::byte> raw(v.shape[0] * esize);
    ZPMPI_RETURN_IF_ERROR(source.read(v.name, model::Box{{0}, {v.shape[0]}}, raw));
    std::vector<double>& values = coords[v.name];
    for (model::Index i = 0; i < v.shape[0]; ++i)
      values.push_back(std::visit([](auto x) { return static_cast<double>(x); }, model::load_scalar(v.dtype, &raw[i * esize])));
  }
  return coords;
}

namespace {

/// Every array and dim name will be a key of the store (zarr/names.hpp): checked before
/// anything is created. Renames were checked with their keys when the job was read; what
/// fails here came from the source.
Status check_names(const JobArrays& job, const model::Dataset& dataset) {
  auto check = [&](const std::string& what, const std::string& name) -> Status {
    if (auto st = zarr::check_name(name); !st.ok())
      return usage_error(dataset.uri + ": " + what + " '" + name + "' cannot be written to Zarr: it " +
                         st.error().message + (what == "variable" ? " (rename it in \"variables\")" : ""));
    return {};
  };
  std::set<std::string> dims;
  for (const auto& a : job.arrays) {
    ZPMPI_RETURN_IF_ERROR(check("variable", a.name));
    dims.insert(a.dims.begin(), a.dims.end());
  }
  for (const auto& t : job.text_arrays) {
    ZPMPI_RETURN_IF_ERROR(check("variable", t.name));
    dims.insert(t.dims.begin(), t.dims.end());
  }
  for (const auto& c : job.coarse_arrays) ZPMPI_RETURN_IF_ERROR(check("variable", c.array.name));
  for (const auto& d : dims) ZPMPI_RETURN_IF_ERROR(check("dimension", d));
  return {};
}

}  // namespace

std::vector<model::ArrayLayout> JobArrays::layouts() const {
  return {arrays.begin(), arrays.end()};
}

std::vector<zarr::ArrayMeta> JobArrays::metadata() const {
  std::vector<zarr::ArrayMeta> out;
  for (const auto& a : arrays) out.push_back({a, a.attributes});
  for (const auto& t : text_arrays) out.push_back({t, t.attributes});
  for (const auto& c : coarse_arrays) out.push_back({c.array, c.array.attributes});
  return out;
}

Result<std::vector<zarr::V3ArrayMeta>> JobArrays::v3_metadata(const codec::CodecSpec& compressor) const {
  std::vector<zarr::V3ArrayMeta> out;
  for (const zarr::ArrayMeta& meta : metadata()) {
    const model::ArrayLayout& a = meta.layout;
    const std::size_t element_size = a.text ? 1 : model::dtype_size(a.dtype);
    auto codecs = codec::v3_compressor_codecs(compressor, element_size);
    if (!codecs.ok()) return codecs.error().with_context("compressor");
    out.push_back({meta, {std::move(codecs).value(), a.shards}});
  }
  // The documents themselves are pure: built once here so that a refusal comes before
  // anything is written.
  ZPMPI_RETURN_IF_ERROR(zarr::v3_root_json(group_attrs, out));
  return out;
}

Result<boost::json::object> output_document(zarr::ZarrFormat format, const JobArrays& job,
                                            const codec::CodecSpec& compressor) {
  if (format == zarr::ZarrFormat::kV2)
    return zarr::zmetadata_json(job.group_attrs, job.metadata(), codec::compressor_json(compressor));
  ZPMPI_ASSIGN_OR_RETURN(const std::vector<zarr::V3ArrayMeta> arrays, job.v3_metadata(compressor));
  return zarr::v3_root_json(job.group_attrs, arrays);
}

Status write_job_metadata(const std::filesystem::path& store, zarr::ZarrFormat format, const JobArrays& job,
                          const codec::CodecSpec& compressor) {
  if (format == zarr::ZarrFormat::kV2)
    return zarr::write_metadata(store, job.group_attrs, job.metadata(), codec::compressor_json(compressor));
  ZPMPI_ASSIGN_OR_RETURN(const std::vector<zarr::V3ArrayMeta> arrays, job.v3_metadata(compressor));
  return zarr::write_v3_metadata(store, job.group_attrs, arrays);
}

namespace {

/// The "coordinates" attribute of the root, as xarray writes it (empty: none).
std::string global_coordinates(JobArrays& job, const model::Dataset& dataset) {
  std::vector<transform::CoordinatesView> views;
  for (auto& a : job.arrays) views.push_back({a.name, a.dims, a.is_coordinate, a.attributes});
  for (auto& t : job.text_arrays) views.push_back({t.name, t.dims, t.is_coordinate, t.attributes});
  for (auto& c : job.coarse_arrays) views.push_back({c.array.name, c.array.dims, true, c.array.attributes});
  return transform::encode_coordinates(views, dataset);
}

/// Every dim named in the job's `key` ("chunks", "shards") is one of the source's, or one
/// expand_dims added.
template <class Sizes>
Status check_named_dims(const std::string& key, const Sizes& sizes, const model::Dataset& dataset,
                        const JobArrays& job) {
  for (const auto& [dim, size] : sizes) {
    const bool added = std::any_of(job.arrays.begin(), job.arrays.end(), [&](const transform::OutputArray& a) {
      return std::find(a.dims.begin(), a.dims.end(), dim) != a.dims.end();
    });
    if (!dataset.find_dim(dim) && !added) {
      std::string dims;
      for (const auto& d : dataset.dims) dims += (dims.empty() ? "" : ", ") + d.name;
      return usage_error(key + "." + dim + ": '" + dim + "' is not a dimension of " + dataset.uri +
                         " (dims: " + dims + ")");
    }
  }
  return {};
}

/// A coordinate written as one chunk: a dimension coordinate (xarray loads it whole), or any
/// coordinate of a tiled dataset.
bool one_chunk(const transform::OutputArray& a) {
  return a.is_coordinate && (a.map.tile || (a.dims.size() == 1 && a.dims[0] == a.name));
}

/// The output chunks of every array: text arrays one chunk, a tiled data array one tile per
/// chunk (a tiled coordinate one chunk), a dimension coordinate one chunk, the rest as
/// "chunks" says.
Status choose_chunks(const Config& config, JobArrays& job) {
  for (auto& t : job.text_arrays) t.chunks = plan::choose_output_chunks(t, {}, true);
  for (auto& a : job.arrays) {
    if (a.map.tile) {
      for (const auto& dim : a.source.dims)
        if (config.chunks.sizes.count(dim) && !a.is_coordinate)
          return usage_error("chunks." + dim + ": a tiled array is written one tile per chunk; leave " + dim +
                             " out of \"chunks\"");
      a.chunks = plan::choose_output_chunks(a, {}, one_chunk(a));
      continue;
    }
    a.chunks = plan::choose_output_chunks(a, config.chunks.sizes, one_chunk(a));
  }
  return {};
}

/// The shards of every planned array when the job asks for them (plan::choose_shards): a
/// coordinate of one chunk is one shard. Text and coarse index arrays, written whole by
/// rank 0, are not planned and keep none.
Status choose_shards(const Config& config, JobArrays& job) {
  if (!config.shards) return {};
  for (auto& a : job.arrays) {
    ZPMPI_ASSIGN_OR_RETURN(a.shards, plan::choose_shards(a, *config.shards, one_chunk(a)));
  }
  return {};
}

/// The root's attributes: the source's (unless drop_attrs dropped them all), the steps'
/// assignments, "coordinates", cache_label, then add_attrs.
boost::json::object group_attrs(const Config& config, const model::Dataset& dataset,
                                const transform::GroupAttrChanges& changes, const std::string& coordinates) {
  boost::json::object attrs;
  if (!changes.drop_all) attrs = zarr::attrs_json(dataset.attributes);
  for (const auto& [k, v] : changes.assigned) attrs[k] = v;
  if (!coordinates.empty()) attrs["coordinates"] = coordinates;
  if (config.cache_label) attrs["cache_label"] = *config.cache_label;
  for (const auto& [k, v] : config.add_attrs) attrs[k] = v;
  return attrs;
}

}  // namespace

Result<JobArrays> build_job_arrays(const Config& config, const model::Dataset& dataset,
                                   const std::map<std::string, std::vector<double>>& coords) {
  JobArrays job;
  ZPMPI_ASSIGN_OR_RETURN(job.arrays, transform::choose_arrays(dataset, config.variables));
  ZPMPI_RETURN_IF_ERROR(transform::require_data_variable(job.arrays, dataset));
  for (const Rename& r : config.renames) {
    if (auto st = transform::rename_array(job.arrays, r.var_id, r.new_name); !st.ok())
      return st.error().with_context(r.key);
  }

  ZPMPI_ASSIGN_OR_RETURN(transform::DimStates states, transform::apply_preprocessors(dataset, coords, config.steps));
  transform::apply_dim_states(job.arrays, states);
  ZPMPI_ASSIGN_OR_RETURN(transform::GroupAttrChanges attr_changes,
                         transform::apply_array_steps(job.arrays, config.steps, config.variables, states));
  ZPMPI_RETURN_IF_ERROR(transform::require_data_variable(job.arrays, dataset));  // drop_vars may have left none
  job.text_arrays = transform::take_text_arrays(job.arrays);
  std::vector<transform::CoarseIndexArray> given = transform::take_given_coordinates(job.arrays);
  ZPMPI_ASSIGN_OR_RETURN(job.coarse_arrays, transform::apply_tiling(job.arrays, job.text_arrays, states));
  for (auto& c : given) job.coarse_arrays.push_back(std::move(c));  // expand_dims' coordinates
  ZPMPI_RETURN_IF_ERROR(check_names(job, dataset));
  const std::string coordinates = global_coordinates(job, dataset);
  ZPMPI_RETURN_IF_ERROR(exec::check_text_sizes(job.text_arrays));
  job.recommendations = transform::recommendations(job.arrays, states);
  for (auto& r : transform::tiling_recommendations(job.arrays, states)) job.recommendations.push_back(std::move(r));
  ZPMPI_RETURN_IF_ERROR(check_named_dims("chunks", config.chunks.sizes, dataset, job));
  if (config.shards) ZPMPI_RETURN_IF_ERROR(check_named_dims("shards", config.shards->sizes, dataset, job));
  ZPMPI_RETURN_IF_ERROR(choose_chunks(config, job));
  ZPMPI_RETURN_IF_ERROR(choose_shards(config, job));
  job.group_attrs = group_attrs(config, dataset, attr_changes, coordinates);
  return job;
}

}  // namespace zpmpi::app
