#include <string>

#include "element_types.hpp"

namespace zpmpi::codec {

Result<ElementType> parse_element_type(std::string_view s) {
  const auto bad = [&] {
    return usage_error("unsupported dtype '" + std::string(s) +
                       "' (supported: i1 i2 i4 i8 u1 u2 u4 u8 f4 f8, with byte order < > or |)");
  };
  std::string_view rest = s;
  bool big = std::endian::native == std::endian::big;
  if (!rest.empty() && (rest[0] == '<' || rest[0] == '>' || rest[0] == '|' || rest[0] == '=')) {
    big = rest[0] == '>' ? true : rest[0] == '<' ? false : big;
    rest.remove_prefix(1);
  }
  const auto t = model::dtype_from_name(rest);
  if (!t) return bad();
  ElementType e{*t, big};
  // '|' means "no byte order" and is only NumPy's spelling for one-byte types.
  if (s[0] == '|' && e.size() != 1) return bad();
  if (e.size() == 1) e.big_endian = false;
  return e;
}

Result<DtypeAndAstype> dtype_and_astype(const boost::json::object& config, std::string_view example) {
  const auto field = [&](std::string_view key) -> Result<ElementType> {
    const auto* v = config.if_contains(key);
    if (!v || !v->is_string())
      return usage_error(std::string(key) + ": must be a dtype string such as \"" + std::string(example) + "\"");
    auto t = parse_element_type(v->get_string());
    if (!t.ok()) return t.error().with_context(key);
    return t;
  };
  ZPMPI_ASSIGN_OR_RETURN(const ElementType dtype, field("dtype"));
  DtypeAndAstype types{dtype, dtype};
  if (const auto* v = config.if_contains("astype"); v && !v->is_null()) {
    ZPMPI_ASSIGN_OR_RETURN(types.astype, field("astype"));
  }
  return types;
}

std::string element_type_name(const ElementType& t) {
  const char order = t.size() == 1 ? '|' : t.big_endian ? '>' : '<';
  return order + std::string(model::dtype_name(t.type));
}

namespace elements {

model::DType promote(model::DType a, model::DType b) {
  using model::DType;
  if (a == b) return a;
  const auto size = [](DType t) { return model::dtype_size(t); };
  const bool fa = model::is_float(a), fb = model::is_float(b);
  if (fa && fb) return size(a) >= size(b) ? a : b;
  if (fa || fb) {
    const DType f = fa ? a : b, i = fa ? b : a;
    // float32 holds every integer of up to 16 bits; wider integers need float64.
    return f == DType::f4 && size(i) <= 2 ? DType::f4 : DType::f8;
  }
  const bool sa = model::is_signed_integer(a), sb = model::is_signed_integer(b);
  if (sa == sb) return size(a) >= size(b) ? a : b;
  const DType s = sa ? a : b, u = sa ? b : a;
  if (size(s) > size(u)) return s;
  switch (size(u)) {
    case 1: return DType::i2;
    case 2: return DType::i4;
    case 4: return DType::i8;
    default: return DType::f8;
  }
}

}  // namespace elements
}  // namespace zpmpi::codec
