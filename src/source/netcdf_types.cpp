#include "netcdf_types.hpp"

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
