#include "zpmpi/app/job.hpp"

#include <algorithm>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/exec/text_arrays.hpp"
#include "zpmpi/plan/output_chunks.hpp"
#include "zpmpi/transform/require_data.hpp"

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

std::vector<model::ArrayLayout> JobArrays::layouts() const {
  return {arrays.begin(), arrays.end()};
}

std::vector<zarr::ArrayMeta> JobArrays::metadata() const {
  std::vector<zarr::ArrayMeta> out;
  for (const auto& a : arrays) out.push_back({a, a.attributes});
  return out;
}

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
  job.text_arrays = transform::take_text_arrays(job.arrays, dataset);
  ZPMPI_RETURN_IF_ERROR(exec::check_text_sizes(job.text_arrays));
  job.text_metadata = exec::text_metadata(job.text_arrays, config.compressor);
  job.recommendations = transform::recommendations(job.arrays, states);

  for (const auto& [dim, size] : config.chunks.sizes) {
    if (!dataset.find_dim(dim)) {
      std::string dims;
      for (const auto& d : dataset.dims) dims += (dims.empty() ? "" : ", ") + d.name;
      return usage_error("chunks." + dim + ": '" + dim + "' is not a dimension of " + dataset.uri +
                         " (dims: " + dims + ")");
    }
  }

  for (auto& a : job.arrays) {
    const bool dimension_coordinate = a.is_coordinate && a.dims.size() == 1 && a.dims[0] == a.name;
    a.chunks = plan::choose_output_chunks(a, config.chunks.sizes, dimension_coordinate);
  }

  job.group_attrs = zarr::attrs_json(dataset.attributes);
  if (config.cache_label) job.group_attrs["cache_label"] = *config.cache_label;
  for (const auto& [k, v] : config.add_attrs) job.group_attrs[k] = v;
  return job;
}

}  // namespace zpmpi::app
