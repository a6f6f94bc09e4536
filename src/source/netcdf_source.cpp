#include "netcdf_source.hpp"

#include <netcdf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "netcdf_attributes.hpp"
#include "netcdf_chunking.hpp"
#include "netcdf_types.hpp"

namespace zpmpi::source {
namespace {

/// Checks what netCDF-C would only report as a bare errno or a generic failure.
Status check_readable_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found)
    return runtime_error(path + ": no such file");
  if (ec) return runtime_error(path + ": " + ec.message());
  if (std::filesystem::is_directory(status))
    return runtime_error(path + ": is a directory, not a netCDF file");
  if (::access(path.c_str(), R_OK) != 0)
    return runtime_error(path + ": cannot read: " + std::strerror(errno));
  return {};
}

}  // namespace

Result<std::unique_ptr<Source>> open_netcdf(const std::string& path) {
  ZPMPI_ASSIGN_OR_RETURN(auto source, NetcdfSource::open(path));
  return std::unique_ptr<Source>(std::move(source));
}

Result<std::unique_ptr<NetcdfSource>> NetcdfSource::open(const std::string& path) {
  ZPMPI_RETURN_IF_ERROR(check_readable_file(path));
  int ncid = -1;
  if (int rc = nc_open(path.c_str(), NC_NOWRITE, &ncid); rc != NC_NOERR) {
    const std::string why = nc_strerror(rc);
    if (rc == NC_ENOTNC) return runtime_error(path + ": not a netCDF file (" + why + ")");
    return runtime_error(path + ": cannot open (" + why + ")");
  }
  // Owned from here on, so the handle is closed on every error below.
  std::unique_ptr<NetcdfSource> source(new NetcdfSource(path, ncid));
  ZPMPI_RETURN_IF_ERROR(source->describe());
  return source;
}

NetcdfSource::~NetcdfSource() { nc_close(ncid_); }

Error NetcdfSource::file_error(const std::string& what) const {
  return runtime_error(path_ + ": " + what);
}

Status NetcdfSource::describe() {
  dataset_.uri = path_;
  int format = 0, ndims = 0, nvars = 0, nunlimited = 0;
  if (int rc = nc_inq_format(ncid_, &format); rc != NC_NOERR) return file_error(nc_strerror(rc));
  if (int rc = nc_inq(ncid_, &ndims, &nvars, nullptr, nullptr); rc != NC_NOERR)
    return file_error(nc_strerror(rc));
  const bool netcdf4 = is_netcdf4_format(format);

  // Root-group dims in id order; netCDF-4 dim ids need not be 0..ndims-1.
  std::vector<int> dimids(static_cast<std::size_t>(ndims));
  std::vector<int> unlimited(dimids.size());
  if (int rc = nc_inq_dimids(ncid_, &ndims, dimids.data(), 0); rc != NC_NOERR)
    return file_error(nc_strerror(rc));
  if (int rc = nc_inq_unlimdims(ncid_, &nunlimited, unlimited.data()); rc != NC_NOERR)
    return file_error(nc_strerror(rc));
  unlimited.resize(static_cast<std::size_t>(nunlimited));
  auto is_unlimited = [&](int id) {
    return std::find(unlimited.begin(), unlimited.end(), id) != unlimited.end();
  };
  std::unordered_map<int, const model::Dimension*> dim_by_id;
  dataset_.dims.reserve(dimids.size());
  for (int id : dimids) {
    char name[NC_MAX_NAME + 1] = {};
    std::size_t length = 0;
    if (int rc = nc_inq_dim(ncid_, id, name, &length); rc != NC_NOERR)
      return file_error(nc_strerror(rc));
    dataset_.dims.push_back({name, length, is_unlimited(id)});
    dim_by_id[id] = &dataset_.dims.back();  // stable: reserved above
  }

  auto global = read_attributes(ncid_, NC_GLOBAL);
  if (!global.ok()) return global.error().with_context(path_);
  dataset_.attributes = std::move(global).value();

  for (int varid = 0; varid < nvars; ++varid) {
    char name[NC_MAX_NAME + 1] = {};
    nc_type type = NC_NAT;
    int rank = 0;
    if (int rc = nc_inq_var(ncid_, varid, name, &type, &rank, nullptr, nullptr); rc != NC_NOERR)
      return file_error(nc_strerror(rc));
    const auto dtype = dtype_of(type);
    if (!dtype) {
      dataset_.skipped.push_back(std::string(name) + " (" + unsupported_type_name(ncid_, type) +
                                 ")");
      continue;
    }
    model::Variable v;
    v.name = name;
    v.dtype = *dtype;
    auto var_error = [&](const Error& e) { return e.with_context(path_ + ": " + v.name); };

    std::vector<int> var_dimids(static_cast<std::size_t>(rank));
    if (int rc = nc_inq_vardimid(ncid_, varid, var_dimids.data()); rc != NC_NOERR)
      return var_error(runtime_error(nc_strerror(rc)));
    std::vector<bool> record_dims;
    for (int id : var_dimids) {
      const auto dim = dim_by_id.find(id);
      if (dim == dim_by_id.end())
        return var_error(runtime_error("uses a dimension of another group"));
      v.dims.push_back(dim->second->name);
      v.shape.push_back(dim->second->length);
      record_dims.push_back(dim->second->unlimited);
    }

    auto attrs = read_attributes(ncid_, varid);
    if (!attrs.ok()) return var_error(attrs.error());
    v.attributes = std::move(attrs).value();
    auto fill = read_fill_value(ncid_, varid, v.dtype);
    if (!fill.ok()) return var_error(fill.error());
    v.fill_value = fill.value();

    if (auto s = describe_chunking(ncid_, varid, netcdf4, record_dims, v); !s.ok())
      return var_error(s.error());
    varids_.emplace(v.name, varid);
    dataset_.variables.push_back(std::move(v));
  }
  return {};
}

Status NetcdfSource::read(const std::string& variable, const model::Box& box,
                          std::span<std::byte> out, const model::Shape& stride) {
  auto fail = [&](const std::string& why) {
    return runtime_error(path_ + ": " + variable + ": " + why);
  };
  const auto id = varids_.find(variable);
  const model::Variable* v = dataset_.find_variable(variable);
  if (id == varids_.end() || !v) return fail("no such numeric variable");
  const std::size_t rank = v->shape.size();
  if (box.start.size() != rank || box.count.size() != rank)
    return fail("box of rank " + std::to_string(box.start.size()) + "/" +
                std::to_string(box.count.size()) + " for a variable of rank " +
                std::to_string(rank));
  if (!stride.empty() && stride.size() != rank) return fail("stride of the wrong rank");
  for (std::size_t d = 0; d < rank; ++d) {
    const model::Index step = stride.empty() ? 1 : stride[d];
    if (step == 0) return fail("stride 0");
    // The extent a strided read spans: (count - 1) * step + 1 elements.
    const model::Index span = box.count[d] == 0 ? 0 : (box.count[d] - 1) * step + 1;
    if (box.start[d] > v->shape[d] || span > v->shape[d] - box.start[d])
      return fail("box start " + model::to_string(box.start) + " count " +
                  model::to_string(box.count) + " is outside the shape " +
                  model::to_string(v->shape));
  }
  const std::size_t elements = box.num_elements();
  if (out.size() != elements * model::dtype_size(v->dtype))
    return fail("buffer of " + std::to_string(out.size()) + " bytes for " +
                std::to_string(elements) + " elements of " +
                std::string(model::dtype_name(v->dtype)));
  if (elements == 0) return {};

  // Untyped reads: values arrive in the variable's own type, native byte order.
  int rc = NC_NOERR;
  if (rank == 0) {
    rc = nc_get_var(ncid_, id->second, out.data());
  } else {
    const std::vector<std::size_t> start(box.start.begin(), box.start.end());
    const std::vector<std::size_t> count(box.count.begin(), box.count.end());
    const bool unit_stride = std::all_of(stride.begin(), stride.end(), [](model::Index s) { return s == 1; });
    if (unit_stride) {
      rc = nc_get_vara(ncid_, id->second, start.data(), count.data(), out.data());
    } else {
      const std::vector<std::ptrdiff_t> step(stride.begin(), stride.end());
      rc = nc_get_vars(ncid_, id->second, start.data(), count.data(), step.data(), out.data());
    }
  }
  if (rc != NC_NOERR) return fail(nc_strerror(rc));
  return {};
}

}  // namespace zpmpi::source
