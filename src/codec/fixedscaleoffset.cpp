// numcodecs.FixedScaleOffset: stored as round((x - offset) * scale) in `astype`; decoding
// is numpy's (enc / scale + offset).astype(dtype). The arithmetic type follows numpy 1.24's
// value-based casting of the Python scalars scale and offset: integer `astype` computes in
// float64; "<f4" computes in float32 unless the scalar needs float64 (an integer outside
// -32768..65535, or a finite float outside +-3.4e38); "<f8" in float64. Example:
// FixedScaleOffset(offset=1000, scale=10, dtype="<f8", astype="|u1"): 00 01 0a -> 1000.0
// 1000.1 1001.0. float16 ("<f2") is not supported (its rounding is not reproduced here).
#include <charconv>
#include <cmath>
#include <string>

#include "element_types.hpp"

namespace zpmpi::codec {
namespace {

using elements::load;
using elements::store;

/// A JSON number as Python reads it: an int or a float.
struct PyNumber {
  double value = 0;
  bool is_int = false;
  long double exact_int = 0;  ///< the int's value, for the float32 range test
  /// numpy.min_scalar_type(value) combined with float32 stays float32.
  bool keeps_float32() const {
    if (is_int) return exact_int >= -32768 && exact_int <= 65535;
    return !std::isfinite(value) || (value > -3.4e38 && value < 3.4e38);
  }
};

template <class In, class Out, class T1, class T2>
void decode_all(const std::byte* in, std::byte* out, std::size_t n, bool swap_in, bool swap_out, double scale,
                double offset) {
  const T1 s = static_cast<T1>(scale);
  const T2 o = static_cast<T2>(offset);
  const auto one = [&](std::size_t i) {
    const T1 q = static_cast<T1>(load<In>(in + i * sizeof(In), swap_in)) / s;
    const T2 y = static_cast<T2>(q) + o;
    store<Out>(out + i * sizeof(Out), elements::cast<Out>(y), swap_out);
  };
  // In place: forward when elements shrink (writes trail reads), backward when they grow.
  if (sizeof(Out) <= sizeof(In)) {
    for (std::size_t i = 0; i < n; ++i) one(i);
  } else {
    for (std::size_t i = n; i-- > 0;) one(i);
  }
}

class FixedScaleOffsetStep final : public DecodeStep {
 public:
  FixedScaleOffsetStep(PyNumber offset, PyNumber scale, ElementType dtype, ElementType astype)
      : offset_(offset), scale_(scale), dtype_(dtype), astype_(astype) {}
  std::string describe() const override {
    std::string s = "fixedscaleoffset(offset=" + number(offset_) + ", scale=" + number(scale_) +
                    ", dtype=" + element_type_name(dtype_);
    if (astype_ != dtype_) s += ", astype=" + element_type_name(astype_);
    return s + ")";
  }
  SizeRelation sizes() const override { return {astype_.size(), dtype_.size()}; }
  bool in_place() const override { return true; }

  Status run(std::span<const std::byte> in, std::span<std::byte> out, DecodeScratch::State&) const override {
    const std::size_t n = in.size() / astype_.size();
    const bool f1 = astype_.type == model::DType::f4 && scale_.keeps_float32();
    const bool f2 = f1 && offset_.keeps_float32();
    const bool si = elements::needs_swap(astype_), so = elements::needs_swap(dtype_);
    elements::with_type(astype_.type, [&](auto in_t) {
      elements::with_type(dtype_.type, [&](auto out_t) {
        using In = typename decltype(in_t)::type;
        using Out = typename decltype(out_t)::type;
        if constexpr (std::is_same_v<In, float>) {
          if (f2) return decode_all<In, Out, float, float>(in.data(), out.data(), n, si, so, scale_.value, offset_.value);
          if (f1) return decode_all<In, Out, float, double>(in.data(), out.data(), n, si, so, scale_.value, offset_.value);
        }
        decode_all<In, Out, double, double>(in.data(), out.data(), n, si, so, scale_.value, offset_.value);
      });
    });
    return {};
  }

 private:
  static std::string number(const PyNumber& v) {
    if (v.is_int) return std::to_string(static_cast<long long>(v.exact_int));
    char buf[32];  // the shortest text that reads back as the same double, as Python prints it
    const auto end = std::to_chars(buf, buf + sizeof buf, v.value).ptr;
    return std::string(buf, end);
  }
  PyNumber offset_, scale_;
  ElementType dtype_, astype_;
};

Result<PyNumber> number_of(const boost::json::object& config, std::string_view key) {
  const auto* v = config.if_contains(key);
  if (!v) return usage_error(std::string(key) + ": missing (a number is required)");
  if (v->is_int64()) return PyNumber{static_cast<double>(v->get_int64()), true, static_cast<long double>(v->get_int64())};
  if (v->is_uint64())
    return PyNumber{static_cast<double>(v->get_uint64()), true, static_cast<long double>(v->get_uint64())};
  if (v->is_double()) return PyNumber{v->get_double(), false, 0};
  return usage_error(std::string(key) + ": must be a number");
}

}  // namespace

Result<StepPtr> make_fixedscaleoffset_step(const boost::json::object& config) {
  ZPMPI_ASSIGN_OR_RETURN(const PyNumber offset, number_of(config, "offset"));
  ZPMPI_ASSIGN_OR_RETURN(const PyNumber scale, number_of(config, "scale"));
  ZPMPI_ASSIGN_OR_RETURN(const DtypeAndAstype types, dtype_and_astype(config, "<f8"));
  return StepPtr(std::make_unique<FixedScaleOffsetStep>(offset, scale, types.dtype, types.astype));
}

}  // namespace zpmpi::codec
