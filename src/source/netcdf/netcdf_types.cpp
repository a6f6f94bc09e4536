#include "netcdf/netcdf_types.hpp"

namespace zpmpi::source {

using model::DType;

std::optional<DType> dtype_of(nc_type type) {
  switch (type) {
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

bool is_enum(int ncid, nc_type type) {
  if (type <= NC_MAX_ATOMIC_TYPE) return false;
  int type_class = 0;
  return nc_inq_user_type(ncid, type, nullptr, nullptr, nullptr, nullptr, &type_class) == NC_NOERR &&
         type_class == NC_ENUM;
}

std::optional<DType> numeric_dtype(int ncid, nc_type type) {
  if (auto t = dtype_of(type)) return t;
  if (!is_enum(ncid, type)) return std::nullopt;
  nc_type base = NC_NAT;
  if (nc_inq_enum(ncid, type, nullptr, &base, nullptr, nullptr) != NC_NOERR) return std::nullopt;
  return dtype_of(base);
}

Result<std::vector<EnumMember>> enum_members(int ncid, nc_type type) {
  nc_type base = NC_NAT;
  std::size_t count = 0;
  if (int rc = nc_inq_enum(ncid, type, nullptr, &base, nullptr, &count); rc != NC_NOERR)
    return runtime_error(std::string("enum type: ") + nc_strerror(rc));
  const auto dtype = dtype_of(base);
  if (!dtype) return runtime_error("enum type: base type is not an integer");
  std::vector<EnumMember> members;
  for (std::size_t i = 0; i < count; ++i) {
    char name[NC_MAX_NAME + 1] = {};
    std::byte value[8] = {};  // nc_inq_enum_member writes the base type's bytes
    if (int rc = nc_inq_enum_member(ncid, type, static_cast<int>(i), name, value); rc != NC_NOERR)
      return runtime_error(std::string("enum type: ") + nc_strerror(rc));
    members.push_back({name, model::load_scalar(*dtype, value)});
  }
  return members;
}

std::string unsupported_type_name(int ncid, nc_type type) {
  if (type == NC_CHAR) return "char";
  if (type == NC_STRING) return "string";
  int type_class = 0;
  if (nc_inq_user_type(ncid, type, nullptr, nullptr, nullptr, nullptr, &type_class) != NC_NOERR)
    return "unknown type";
  switch (type_class) {
    case NC_COMPOUND: return "compound";
    case NC_VLEN: return "vlen";
    case NC_ENUM: return "enum";
    case NC_OPAQUE: return "opaque";
    default: return "user-defined type";
  }
}

}  // namespace zpmpi::source
