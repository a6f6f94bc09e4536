#include "netcdf/netcdf_attributes.hpp"

#include <netcdf.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>

#include "netcdf/netcdf_types.hpp"
#include "netcdf/utf8.hpp"

namespace zpmpi::source {
namespace {

Error attribute_error(const char* name, int rc) {
  return runtime_error(std::string("attribute ") + name + ": " + nc_strerror(rc));
}

Result<std::string> read_text(int ncid, int varid, const char* name, std::size_t len) {
  std::string text(len, '\0');
  if (int rc = nc_get_att_text(ncid, varid, name, text.data()); rc != NC_NOERR)
    return attribute_error(name, rc);
  return decode_char_attribute(text);
}

/// One string is text; several stay a list, as xarray reads them.
Result<model::AttrValue> read_strings(int ncid, int varid, const char* name, std::size_t len) {
  std::vector<char*> strings(len, nullptr);
  if (int rc = nc_get_att_string(ncid, varid, name, strings.data()); rc != NC_NOERR)
    return attribute_error(name, rc);
  std::vector<std::string> values;
  for (std::size_t i = 0; i < len; ++i)
    values.push_back(utf8_replace_invalid(strings[i] ? strings[i] : ""));
  nc_free_string(len, strings.data());
  if (values.size() == 1) return model::AttrValue{std::move(values[0]), std::nullopt};
  return model::AttrValue{std::move(values), std::nullopt};
}

/// Reads `len` values converted by netCDF-C to T (exact: T is the widest of the kind).
template <class T, class Get>
Result<std::vector<T>> read_numbers(int ncid, int varid, const char* name, std::size_t len,
                                    Get get) {
  std::vector<T> values(len);
  if (int rc = get(ncid, varid, name, values.data()); rc != NC_NOERR)
    return attribute_error(name, rc);
  return values;
}

Result<model::AttrValue> read_numeric(int ncid, int varid, const char* name, std::size_t len,
                                      model::DType dtype) {
  model::AttrValue value;
  value.dtype = dtype;
  // long long / unsigned long long are the netCDF-C spellings; both are 64-bit here.
  static_assert(sizeof(long long) == sizeof(std::int64_t));
  if (model::is_float(dtype)) {
    ZPMPI_ASSIGN_OR_RETURN(value.data,
                           read_numbers<double>(ncid, varid, name, len, nc_get_att_double));
  } else if (model::is_signed_integer(dtype)) {
    ZPMPI_ASSIGN_OR_RETURN(auto v,
                           read_numbers<long long>(ncid, varid, name, len, nc_get_att_longlong));
    value.data = std::vector<std::int64_t>(v.begin(), v.end());
  } else {
    ZPMPI_ASSIGN_OR_RETURN(
        auto v, read_numbers<unsigned long long>(ncid, varid, name, len, nc_get_att_ulonglong));
    value.data = std::vector<std::uint64_t>(v.begin(), v.end());
  }
  return value;
}

/// An enum-typed attribute: its values in the base type (netCDF-C does not convert enums).
Result<model::AttrValue> read_enum(int ncid, int varid, const char* name, std::size_t len,
                                   model::DType base) {
  const std::size_t size = model::dtype_size(base);
  std::vector<std::byte> raw(len * size);
  if (int rc = nc_get_att(ncid, varid, name, raw.data()); rc != NC_NOERR) return attribute_error(name, rc);
  model::AttrValue value;
  value.dtype = base;
  std::vector<std::int64_t> signed_values;
  std::vector<std::uint64_t> unsigned_values;
  for (std::size_t i = 0; i < len; ++i) {
    const model::Scalar x = model::load_scalar(base, &raw[i * size]);
    if (const auto* u = std::get_if<std::uint64_t>(&x)) unsigned_values.push_back(*u);
    else signed_values.push_back(std::get<std::int64_t>(x));
  }
  if (model::is_signed_integer(base)) value.data = std::move(signed_values);
  else value.data = std::move(unsigned_values);
  return value;
}

/// One attribute; nullopt for compound, vlen and opaque types, which have no JSON form
/// (their "name (kind)" is added to `skipped`).
Result<std::optional<model::Attribute>> read_attribute(int ncid, int varid, const char* name,
                                                       std::vector<std::string>& skipped) {
  nc_type type = NC_NAT;
  std::size_t len = 0;
  if (int rc = nc_inq_att(ncid, varid, name, &type, &len); rc != NC_NOERR)
    return attribute_error(name, rc);
  model::Attribute attr{name, {}};
  if (type == NC_CHAR) {
    ZPMPI_ASSIGN_OR_RETURN(attr.value.data, read_text(ncid, varid, name, len));
  } else if (type == NC_STRING) {
    ZPMPI_ASSIGN_OR_RETURN(attr.value, read_strings(ncid, varid, name, len));
  } else if (const auto dtype = dtype_of(type)) {
    ZPMPI_ASSIGN_OR_RETURN(attr.value, read_numeric(ncid, varid, name, len, *dtype));
  } else if (const auto base = numeric_dtype(ncid, type)) {
    ZPMPI_ASSIGN_OR_RETURN(attr.value, read_enum(ncid, varid, name, len, *base));
  } else {
    skipped.push_back(std::string(name) + " (" + unsupported_type_name(ncid, type) + ")");
    return std::optional<model::Attribute>{};
  }
  return std::optional<model::Attribute>{std::move(attr)};
}

}  // namespace

Result<std::vector<model::Attribute>> read_attributes(int ncid, int varid,
                                                     std::vector<std::string>& skipped) {
  int natts = 0;
  const int rc =
      varid == NC_GLOBAL ? nc_inq_natts(ncid, &natts) : nc_inq_varnatts(ncid, varid, &natts);
  if (rc != NC_NOERR) return runtime_error(std::string("attributes: ") + nc_strerror(rc));
  std::vector<model::Attribute> attrs;
  for (int i = 0; i < natts; ++i) {
    char name[NC_MAX_NAME + 1] = {};
    if (int rc_name = nc_inq_attname(ncid, varid, i, name); rc_name != NC_NOERR)
      return runtime_error(std::string("attribute names: ") + nc_strerror(rc_name));
    ZPMPI_ASSIGN_OR_RETURN(auto attr, read_attribute(ncid, varid, name, skipped));
    if (attr) attrs.push_back(std::move(*attr));
  }
  return attrs;
}

Result<std::optional<model::Scalar>> read_fill_value(int ncid, int varid, model::DType dtype) {
  const char* name = _FillValue;
  nc_type type = NC_NAT;
  std::size_t len = 0;
  const int rc = nc_inq_att(ncid, varid, name, &type, &len);
  if (rc == NC_ENOTATT || (rc == NC_NOERR && (len == 0 || !numeric_dtype(ncid, type))))
    return std::optional<model::Scalar>{};
  if (rc != NC_NOERR) return attribute_error(name, rc);
  if (!dtype_of(type)) {  // an enum variable's fill: a member's value, in the base type
    const model::DType base = *numeric_dtype(ncid, type);
    std::vector<std::byte> raw(len * model::dtype_size(base));
    if (int rc_get = nc_get_att(ncid, varid, name, raw.data()); rc_get != NC_NOERR)
      return attribute_error(name, rc_get);
    return std::optional<model::Scalar>{model::load_scalar(base, raw.data())};
  }
  // Read in the attribute's own type, then kept only if an element of the variable can
  // hold it exactly. NaN on a short (seen in packed reanalysis files) cannot: no element
  // is ever missing, so xarray masks nothing, and zarr must have no fill_value (a fill
  // converted to 0 would turn every genuine 0 into a missing value).
  ZPMPI_ASSIGN_OR_RETURN(const model::AttrValue value, read_numeric(ncid, varid, name, len, *dtype_of(type)));
  const model::Scalar first = std::visit(
      [](const auto& data) -> model::Scalar {
        if constexpr (std::is_same_v<std::decay_t<decltype(data)>, std::vector<std::int64_t>> ||
                      std::is_same_v<std::decay_t<decltype(data)>, std::vector<std::uint64_t>> ||
                      std::is_same_v<std::decay_t<decltype(data)>, std::vector<double>>) {
          return data.front();
        } else {
          return std::int64_t{0};  // unreachable: read_numeric gives numbers
        }
      },
      value.data);
  return model::exact_in(dtype, first);
}

}  // namespace zpmpi::source
