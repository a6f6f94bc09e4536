// NetcdfSource: netCDF-3 and netCDF-4/HDF5 files through netCDF-C (its MPI build, opened
// independently: every rank has its own handle and reads on its own, no collective calls
// and no shared lock between ranks).
#include <netcdf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "zpmpi/source/source.hpp"

namespace zpmpi::source {
namespace {

using model::DType;

std::optional<DType> dtype_of(nc_type t) {
  switch (t) {
    case NC_BYTE: return DType::i1;
    case NC_UBYTE: return DType::u1;
    case NC_SHORT: return DType::i2;
    case NC_USHORT: return DType::u2;
    case NC_INT: return DType::i4;
    case NC_UINT: return DType::u4;
    case NC_INT64: return DType::i8;
    case NC_UINT64: return DType::u8;
    case NC_FLOAT: return DType::f4;
    case NC_DOUBLE: return DType::f8;
    default: return std::nullopt;
  }
}

std::string type_name(nc_type t) {
  switch (t) {
    case NC_CHAR: return "char";
    case NC_STRING: return "string";
    default: return "user-defined type";
  }
}

/// Reads attribute `name` of `varid` (NC_GLOBAL for the file); nullopt for types zarr
/// attributes cannot hold (compound, vlen...).
Result<std::optional<model::Attribute>> read_attribute(int ncid, int varid, const char* name) {
  nc_type type;
  size_t len;
  if (int rc = nc_inq_att(ncid, varid, name, &type, &len); rc != NC_NOERR)
    return runtime_error(std::string("attribute ") + name + ": " + nc_strerror(rc));
  model::Attribute attr{name, {}};
  if (type == NC_CHAR) {
    std::string text(len, '\0');
    if (int rc = nc_get_att_text(ncid, varid, name, text.data()); rc != NC_NOERR)
      return runtime_error(std::string("attribute ") + name + ": " + nc_strerror(rc));
    // netCDF-3 writers often include the C string terminator in the length.
    while (!text.empty() && text.back() == '\0') text.pop_back();
    attr.value.data = std::move(text);
    return std::optional(attr);
  }
  if (type == NC_STRING) {
    std::vector<char*> strings(len);
    if (int rc = nc_get_att_string(ncid, varid, name, strings.data()); rc != NC_NOERR)
      return runtime_error(std::string("attribute ") + name + ": " + nc_strerror(rc));
    std::string text;
    for (size_t i = 0; i < len; ++i) text += (i ? "\n" : "") + std::string(strings[i] ? strings[i] : "");
    nc_free_string(len, strings.data());
    attr.value.data = std::move(text);
    return std::optional(attr);
  }
  const auto dtype = dtype_of(type);
  if (!dtype) return std::optional<model::Attribute>{};
  attr.value.dtype = dtype;
  int rc = NC_NOERR;
  if (model::is_float(*dtype)) {
    std::vector<double> values(len);
    rc = nc_get_att_double(ncid, varid, name, values.data());
    attr.value.data = std::move(values);
  } else if (model::is_signed_integer(*dtype)) {
    std::vector<long long> values(len);
    rc = nc_get_att_longlong(ncid, varid, name, values.data());
    attr.value.data = std::vector<std::int64_t>(values.begin(), values.end());
  } else {
    std::vector<unsigned long long> values(len);
    rc = nc_get_att_ulonglong(ncid, varid, name, values.data());
    attr.value.data = std::vector<std::uint64_t>(values.begin(), values.end());
  }
  if (rc != NC_NOERR) return runtime_error(std::string("attribute ") + name + ": " + nc_strerror(rc));
  return std::optional(attr);
}

Result<std::vector<model::Attribute>> read_attributes(int ncid, int varid, int natts) {
  std::vector<model::Attribute> attrs;
  for (int i = 0; i < natts; ++i) {
    char name[NC_MAX_NAME + 1];
    if (int rc = nc_inq_attname(ncid, varid, i, name); rc != NC_NOERR)
      return runtime_error(std::string("attribute names: ") + nc_strerror(rc));
    ZPMPI_ASSIGN_OR_RETURN(auto attr, read_attribute(ncid, varid, name));
    if (attr) attrs.push_back(std::move(*attr));
  }
  return attrs;
}

/// The _FillValue attribute as a Scalar of the variable's kind.
std::optional<model::Scalar> fill_value_of(const model::Variable& v) {
  const model::Attribute* a = v.find_attribute("_FillValue");
  if (!a || a->value.is_text()) return std::nullopt;
  return std::visit(
      [](const auto& values) -> std::optional<model::Scalar> {
        using T = std::decay_t<decltype(values)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return std::nullopt;
        } else {
          if (values.empty()) return std::nullopt;
          return model::Scalar{values[0]};
        }
      },
      a->value.data);
}

class NetcdfSource final : public Source {
 public:
  NetcdfSource(std::string path, int ncid) : path_(std::move(path)), ncid_(ncid) {}
  ~NetcdfSource() override { nc_close(ncid_); }

  Status describe() {
    dataset_.uri = path_;
    int format = 0, ndims = 0, nvars = 0, ngatts = 0, nunlim = 0;
    if (int rc = nc_inq_format(ncid_, &format); rc != NC_NOERR) return nc_error(rc);
    if (int rc = nc_inq(ncid_, &ndims, &nvars, &ngatts, nullptr); rc != NC_NOERR) return nc_error(rc);
    std::vector<int> unlimited(static_cast<std::size_t>(std::max(ndims, 1)));
    if (int rc = nc_inq_unlimdims(ncid_, &nunlim, unlimited.data()); rc != NC_NOERR) return nc_error(rc);
    unlimited.resize(static_cast<std::size_t>(nunlim));
    const bool netcdf4 = format == NC_FORMAT_NETCDF4 || format == NC_FORMAT_NETCDF4_CLASSIC;

    // Dimension ids of the root group are 0..ndims-1 for files without sub-groups.
    std::vector<int> dimids(static_cast<std::size_t>(ndims));
    if (int rc = nc_inq_dimids(ncid_, &ndims, dimids.data(), 0); rc != NC_NOERR) return nc_error(rc);
    for (int id : dimids) {
      char name[NC_MAX_NAME + 1];
      size_t len;
      if (int rc = nc_inq_dim(ncid_, id, name, &len); rc != NC_NOERR) return nc_error(rc);
      const bool unlim = std::find(unlimited.begin(), unlimited.end(), id) != unlimited.end();
      dataset_.dims.push_back({name, len, unlim});
      dim_index_[id] = dataset_.dims.size() - 1;
    }
    {
      auto attrs = read_attributes(ncid_, NC_GLOBAL, ngatts);
      if (!attrs.ok()) return attrs.error().with_context(path_);
      dataset_.attributes = std::move(attrs).value();
    }

    for (int varid = 0; varid < nvars; ++varid) {
      char name[NC_MAX_NAME + 1];
      nc_type type;
      int nd = 0, natts = 0;
      int ids[NC_MAX_VAR_DIMS];
      if (int rc = nc_inq_var(ncid_, varid, name, &type, &nd, ids, &natts); rc != NC_NOERR) return nc_error(rc);
      const auto dtype = dtype_of(type);
      if (!dtype) {
        dataset_.skipped.push_back(std::string(name) + " (" + type_name(type) + ")");
        continue;
      }
      model::Variable v;
      v.name = name;
      v.dtype = *dtype;
      for (int d = 0; d < nd; ++d) {
        const model::Dimension& dim = dataset_.dims.at(dim_index_.at(ids[d]));
        v.dims.push_back(dim.name);
        v.shape.push_back(dim.length);
      }
      auto attrs = read_attributes(ncid_, varid, natts);
      if (!attrs.ok()) return attrs.error().with_context(path_ + ": " + v.name);
      v.attributes = std::move(attrs).value();
      v.fill_value = fill_value_of(v);
      ZPMPI_RETURN_IF_ERROR(set_chunking(varid, netcdf4, unlimited, ids, v));
      varids_.emplace_back(v.name, varid);
      dataset_.variables.push_back(std::move(v));
    }
    return {};
  }

  const model::Dataset& dataset() const override { return dataset_; }

  Status read(const std::string& variable, const model::Box& box, std::span<std::byte> out) override {
    auto fail = [&](const std::string& why) { return runtime_error(path_ + ": " + variable + ": " + why); };
    const model::Variable* v = dataset_.find_variable(variable);
    if (!v) return fail("no such numeric variable");
    if (box.rank() != v->shape.size() || box.count.size() != box.start.size())
      return fail("read of rank " + std::to_string(box.rank()) + " from a variable of rank " +
                  std::to_string(v->shape.size()));
    for (std::size_t d = 0; d < box.rank(); ++d)
      if (box.start[d] > v->shape[d] || box.count[d] > v->shape[d] - box.start[d])
        return fail("read " + model::to_string(box.start) + " + " + model::to_string(box.count) +
                    " outside the shape " + model::to_string(v->shape));
    if (out.size() != box.num_elements() * model::dtype_size(v->dtype))
      return fail("buffer of " + std::to_string(out.size()) + " bytes for " +
                  std::to_string(box.num_elements()) + " elements");
    if (box.num_elements() == 0) return {};
    std::vector<size_t> start(box.start.begin(), box.start.end()), count(box.count.begin(), box.count.end());
    const int rc = nc_get_vara(ncid_, varid_of(variable), start.data(), count.data(), out.data());
    if (rc != NC_NOERR) return fail(nc_strerror(rc));
    return {};
  }

 private:
  Error nc_error(int rc) const { return runtime_error(path_ + ": " + nc_strerror(rc)); }

  int varid_of(const std::string& name) const {
    for (const auto& [n, id] : varids_)
      if (n == name) return id;
    return -1;
  }

  Status set_chunking(int varid, bool netcdf4, const std::vector<int>& unlimited, const int* ids,
                      model::Variable& v) {
    const std::size_t rank = v.shape.size();
    v.source_chunks.assign(rank, 1);
    for (std::size_t d = 0; d < rank; ++d) v.source_chunks[d] = std::max<model::Index>(v.shape[d], 1);
    if (!netcdf4) {
      // netCDF-3 stores one record of every record variable after another.
      for (std::size_t d = 0; d < rank; ++d)
        if (std::find(unlimited.begin(), unlimited.end(), ids[d]) != unlimited.end()) v.source_chunks[d] = 1;
      return {};
    }
    int storage = NC_CONTIGUOUS;
    std::vector<size_t> sizes(std::max<std::size_t>(rank, 1));
    if (int rc = nc_inq_var_chunking(ncid_, varid, &storage, sizes.data()); rc != NC_NOERR)
      return runtime_error(path_ + ": " + v.name + ": " + nc_strerror(rc));
    if (storage != NC_CHUNKED || rank == 0) return {};
    v.chunked = true;
    for (std::size_t d = 0; d < rank; ++d) {
      v.source_chunks[d] = std::clamp<model::Index>(sizes[d], 1, std::max<model::Index>(v.shape[d], 1));
    }
    // netCDF's default chunk cache is kept: the plan reads whole source chunks where memory
    // allows, and a larger cache would be memory outside memory_limit on every rank.
    return {};
  }

  std::string path_;
  int ncid_;
  model::Dataset dataset_;
  std::map<int, std::size_t> dim_index_;
  std::vector<std::pair<std::string, int>> varids_;
};

}  // namespace

Result<std::unique_ptr<Source>> open_netcdf(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return runtime_error(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) return runtime_error(path + ": is a directory, not a netCDF file");
  if (::access(path.c_str(), R_OK) != 0) return runtime_error(path + ": cannot read: " + std::strerror(errno));
  int ncid = -1;
  if (int rc = nc_open(path.c_str(), NC_NOWRITE, &ncid); rc != NC_NOERR) {
    const std::string why = nc_strerror(rc);
    if (rc == NC_ENOTNC) return runtime_error(path + ": not a netCDF file (" + why + ")");
    return runtime_error(path + ": cannot open (" + why + ")");
  }
  auto source = std::make_unique<NetcdfSource>(path, ncid);
  ZPMPI_RETURN_IF_ERROR(source->describe());
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace zpmpi::source
