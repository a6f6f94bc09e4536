#include "netcdf/netcdf_source.hpp"

#include <netcdf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <variant>
#include <vector>

#include "netcdf/netcdf_attributes.hpp"
#include "netcdf/netcdf_chunking.hpp"
#include "netcdf/netcdf_types.hpp"

namespace zpmpi::source {
namespace {

/// Checks what netCDF-C would only report as a bare errno or a generic failure.
Status check_readable_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found)
    return runtime_error(path + ": no such file");
  // EACCES from the lookup: a directory on the way (often a 0700 home or project directory)
  // does not let this user through; the file itself may be readable.
  if (ec == std::errc::permission_denied)
    return runtime_error(path + ": cannot reach (a directory on the way is closed to this user): " + ec.message());
  if (ec) return runtime_error(path + ": " + ec.message());
  if (std::filesystem::is_directory(status))
    return runtime_error(path + ": is a directory, not a netCDF file");
  if (::access(path.c_str(), R_OK) != 0)
    return runtime_error(path + ": cannot read: " + std::strerror(errno));
  return {};
}

}  // namespace

Result<std::unique_ptr<Source>> open_netcdf(const std::string& path, const std::string& group, bool own_decoder) {
  ZPMPI_ASSIGN_OR_RETURN(auto source, NetcdfSource::open(path, group, own_decoder));
  return std::unique_ptr<Source>(std::move(source));
}

Result<std::unique_ptr<NetcdfSource>> NetcdfSource::open(const std::string& path, const std::string& group,
                                                         bool own_decoder, std::shared_ptr<ChunkedReader> reader) {
  ZPMPI_RETURN_IF_ERROR(check_readable_file(path));
  int ncid = -1;
  if (int rc = nc_open(path.c_str(), NC_NOWRITE, &ncid); rc != NC_NOERR) {
    const std::string why = nc_strerror(rc);
    if (rc == NC_ENOTNC) return runtime_error(path + ": not a netCDF file (" + why + ")");
    return runtime_error(path + ": cannot open (" + why + ")");
  }
  // Owned from here on, so the handle is closed on every error below.
  std::unique_ptr<NetcdfSource> source(new NetcdfSource(path, ncid));
  ZPMPI_RETURN_IF_ERROR(source->select_group(group));
  ZPMPI_RETURN_IF_ERROR(source->describe());
  if (own_decoder) ZPMPI_RETURN_IF_ERROR(source->find_own_decoding(std::move(reader)));
  return source;
}

NetcdfSource::~NetcdfSource() { nc_close(ncid_); }

Error NetcdfSource::file_error(const std::string& what) const {
  return runtime_error(path_ + ": " + what);
}

namespace {

/// CF flags for an enum variable: flag_values (in the base type) and flag_meanings (the
/// member names, blanks replaced by '_', space-separated), unless the variable has either.
Status add_enum_flags(int grpid, nc_type type, model::Variable& v) {
  if (v.find_attribute("flag_values") || v.find_attribute("flag_meanings")) return {};
  ZPMPI_ASSIGN_OR_RETURN(auto members, enum_members(grpid, type));
  model::AttrValue values;
  values.dtype = v.dtype;
  std::vector<std::int64_t> signed_values;
  std::vector<std::uint64_t> unsigned_values;
  std::string meanings;
  for (const auto& m : members) {
    if (const auto* u = std::get_if<std::uint64_t>(&m.value)) unsigned_values.push_back(*u);
    else signed_values.push_back(std::get<std::int64_t>(m.value));
    std::string word = m.name;
    std::replace(word.begin(), word.end(), ' ', '_');
    meanings += (meanings.empty() ? "" : " ") + word;
  }
  if (model::is_signed_integer(v.dtype)) values.data = std::move(signed_values);
  else values.data = std::move(unsigned_values);
  v.attributes.push_back({"flag_values", std::move(values)});
  v.attributes.push_back({"flag_meanings", model::AttrValue{meanings, std::nullopt}});
  return {};
}

}  // namespace

Status NetcdfSource::describe() {
  dataset_.uri = path_;
  int format = 0, nvars = 0;
  if (int rc = nc_inq_format(ncid_, &format); rc != NC_NOERR) return file_error(nc_strerror(rc));
  if (int rc = nc_inq_nvars(grpid_, &nvars); rc != NC_NOERR) return file_error(nc_strerror(rc));
  DimsById dim_by_id;
  ZPMPI_RETURN_IF_ERROR(describe_dims(dim_by_id));

  std::vector<std::string> skipped_attrs;
  auto global = read_attributes(grpid_, NC_GLOBAL, skipped_attrs);
  if (!global.ok()) return global.error().with_context(path_);
  dataset_.attributes = std::move(global).value();
  for (const auto& a : skipped_attrs) dataset_.skipped.push_back("global attribute " + a);

  std::vector<int> varids(static_cast<std::size_t>(nvars));
  if (int rc = nc_inq_varids(grpid_, &nvars, varids.data()); rc != NC_NOERR)
    return file_error(nc_strerror(rc));
  ZPMPI_ASSIGN_OR_RETURN(const std::set<int> stackable, stackable_char_dims());
  for (int varid : varids)
    ZPMPI_RETURN_IF_ERROR(describe_variable(varid, is_netcdf4_format(format), stackable, dim_by_id));
  return {};
}

Status NetcdfSource::describe_dims(DimsById& dim_by_id) {
  // The dims visible in the group (its own, then its parents'), in id order; netCDF-4 dim
  // ids need not be 0..ndims-1.
  int ndims = 0;
  if (int rc = nc_inq_dimids(grpid_, &ndims, nullptr, 1); rc != NC_NOERR)
    return file_error(nc_strerror(rc));
  std::vector<int> dimids(static_cast<std::size_t>(ndims));
  if (int rc = nc_inq_dimids(grpid_, &ndims, dimids.data(), 1); rc != NC_NOERR)
    return file_error(nc_strerror(rc));
  std::vector<int> unlimited;
  for (int g = grpid_;;) {  // unlimited dims of the group and of each parent
    int n = 0;
    if (int rc = nc_inq_unlimdims(g, &n, nullptr); rc != NC_NOERR) return file_error(nc_strerror(rc));
    std::vector<int> ids(static_cast<std::size_t>(n));
    if (n > 0) nc_inq_unlimdims(g, &n, ids.data());
    unlimited.insert(unlimited.end(), ids.begin(), ids.end());
    if (g == ncid_ || nc_inq_grp_parent(g, &g) != NC_NOERR) break;
  }
  auto is_unlimited = [&](int id) {
    return std::find(unlimited.begin(), unlimited.end(), id) != unlimited.end();
  };
  dataset_.dims.reserve(dimids.size());
  for (int id : dimids) {
    char name[NC_MAX_NAME + 1] = {};
    std::size_t length = 0;
    if (int rc = nc_inq_dim(grpid_, id, name, &length); rc != NC_NOERR)
      return file_error(nc_strerror(rc));
    if (dataset_.find_dim(name)) continue;  // a parent's dim shadowed by the group's own
    dataset_.dims.push_back({name, length, is_unlimited(id)});
    dim_by_id[id] = &dataset_.dims.back();  // stable: reserved above
  }
  return {};
}

Status NetcdfSource::describe_variable(int varid, bool netcdf4, const std::set<int>& stackable,
                                       const DimsById& dim_by_id) {
  char name[NC_MAX_NAME + 1] = {};
  nc_type type = NC_NAT;
  int rank = 0;
  if (int rc = nc_inq_var(grpid_, varid, name, &type, &rank, nullptr, nullptr); rc != NC_NOERR)
    return file_error(nc_strerror(rc));
  const bool text = type == NC_CHAR || type == NC_STRING;
  const auto dtype = numeric_dtype(grpid_, type);
  if (!dtype && !text) {
    dataset_.skipped.push_back("variable " + std::string(name) + " (" + unsupported_type_name(grpid_, type) + ")");
    return {};
  }
  model::Variable v;
  v.name = name;
  if (dtype) v.dtype = *dtype;
  auto var_error = [&](const Error& e) { return e.with_context(path_ + ": " + v.name); };

  std::vector<int> var_dimids(static_cast<std::size_t>(rank));
  if (int rc = nc_inq_vardimid(grpid_, varid, var_dimids.data()); rc != NC_NOERR)
    return var_error(runtime_error(nc_strerror(rc)));
  std::vector<bool> record_dims;
  for (int id : var_dimids) {
    const auto dim = dim_by_id.find(id);
    if (dim == dim_by_id.end()) return var_error(runtime_error("uses a dimension of another group"));
    v.dims.push_back(dim->second->name);
    v.shape.push_back(dim->second->length);
    record_dims.push_back(dim->second->unlimited);
  }

  std::vector<std::string> skipped_attrs;
  auto attrs = read_attributes(grpid_, varid, skipped_attrs);
  if (!attrs.ok()) return var_error(attrs.error());
  v.attributes = std::move(attrs).value();
  for (const auto& a : skipped_attrs) dataset_.skipped.push_back("attribute " + v.name + ":" + a);

  if (text) {
    bool skip = false;
    const bool fold = type == NC_CHAR && !var_dimids.empty() && stackable.count(var_dimids.back());
    if (auto st = describe_text(varid, type, fold, v, skip); !st.ok()) return var_error(st.error());
    if (skip) return {};
  } else {
    auto fill = read_fill_value(grpid_, varid, v.dtype);
    if (!fill.ok()) return var_error(fill.error());
    v.fill_value = fill.value();
    if (is_enum(grpid_, type))
      if (auto st = add_enum_flags(grpid_, type, v); !st.ok()) return var_error(st.error());
    if (auto st = describe_chunking(grpid_, varid, netcdf4, record_dims, v); !st.ok()) return var_error(st.error());
  }
  varids_.emplace(v.name, varid);
  dataset_.variables.push_back(std::move(v));
  return {};
}

Result<std::unique_ptr<DeferredRead>> NetcdfSource::prepare_read(const std::string& variable, const model::Box& box,
                                                                 std::span<std::byte> out, const model::Shape& stride,
                                                                 model::ByteBuffer& stored, std::uint64_t max_stored,
                                                                 int workers) {
  const auto own = own_.find(variable);
  if (own == own_.end()) return std::unique_ptr<DeferredRead>();  // netCDF-C reads it
  return chunks_->prepare(own->second->array(), *own->second, box, stride, out, stored, max_stored, workers);
}

std::uint64_t NetcdfSource::decode_buffer_bytes() const { return chunks_ ? chunks_->held_bytes() : 0; }

Status NetcdfSource::read(const std::string& variable, const model::Box& box,
                          std::span<std::byte> out, const model::Shape& stride, TaskRunner* parallel) {
  auto fail = [&](const std::string& why) {
    return runtime_error(path_ + ": " + variable + ": " + why);
  };
  const auto id = varids_.find(variable);
  const model::Variable* v = dataset_.find_variable(variable);
  if (id == varids_.end() || !v || v->text) return fail("no such numeric variable");
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
  if (const auto own = own_.find(variable); own != own_.end())
    return chunks_->read(own->second->array(), *own->second, box, stride, out, parallel);

  // Untyped reads: values arrive in the variable's own type, native byte order.
  int rc = NC_NOERR;
  if (rank == 0) {
    rc = nc_get_var(grpid_, id->second, out.data());
  } else {
    const std::vector<std::size_t> start(box.start.begin(), box.start.end());
    const std::vector<std::size_t> count(box.count.begin(), box.count.end());
    const bool unit_stride = std::all_of(stride.begin(), stride.end(), [](model::Index s) { return s == 1; });
    if (unit_stride) {
      rc = nc_get_vara(grpid_, id->second, start.data(), count.data(), out.data());
    } else {
      const std::vector<std::ptrdiff_t> step(stride.begin(), stride.end());
      rc = nc_get_vars(grpid_, id->second, start.data(), count.data(), step.data(), out.data());
    }
  }
  if (rc != NC_NOERR) return fail(nc_strerror(rc));
  return {};
}

Hdf5Chunks* NetcdfSource::hdf5() {
  if (!hdf5_ && hdf5_error_.empty()) {
    auto opened = Hdf5Chunks::open(path_);
    if (opened.ok()) hdf5_ = std::move(opened).value();
    else hdf5_error_ = opened.error().message;
  }
  return hdf5_.get();
}

std::string NetcdfSource::hdf5_not_a_string(const std::string& variable) {
  Hdf5Chunks* file = hdf5();
  return file ? file->not_a_string(dataset_.group, variable) : "";
}

Status NetcdfSource::find_own_decoding(std::shared_ptr<ChunkedReader> reader) {
  int format = 0;
  if (int rc = nc_inq_format(ncid_, &format); rc != NC_NOERR) return file_error(nc_strerror(rc));
  if (!is_netcdf4_format(format)) return {};
  // Lines for the log, grouped by path: "decoded by zpmpi (<chain>)" or "read through netCDF-C (<why>)".
  std::vector<std::pair<std::string, std::string>> lines;
  auto note = [&](const std::string& how, const std::string& name) {
    auto it = std::find_if(lines.begin(), lines.end(), [&](const auto& l) { return l.first == how; });
    if (it == lines.end()) lines.push_back({how, name});
    else it->second += ", " + name;
  };
  for (model::Variable& v : dataset_.variables) {
    if (v.text) continue;
    if (!v.chunked) {
      note("read through netCDF-C (" + std::string(v.shape.empty() ? "a scalar" : "not chunked") + ")", v.name);
      continue;
    }
    if (!hdf5()) {
      note("read through netCDF-C (" + hdf5_error_ + ")", v.name);
      continue;
    }
    std::string why_not;
    ZPMPI_ASSIGN_OR_RETURN(auto own, hdf5_->variable(dataset_.group, v, why_not));
    if (!own) {
      note("read through netCDF-C (" + why_not + ")", v.name);
      continue;
    }
    note("decoded by zpmpi (" + own->array().chain.describe() + ")", v.name);
    v.decoded_on_workers = true;
    own_.emplace(v.name, std::move(own));
  }
  for (const auto& [how, names] : lines) dataset_.decoders.push_back(how + ": " + names);
  if (!own_.empty()) chunks_ = reader ? std::move(reader) : std::make_shared<ChunkedReader>(nullptr);  // HDF5 reads the chunks
  return {};
}

}  // namespace zpmpi::source
