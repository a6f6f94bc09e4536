// numcodecs.Delta: each element stored as its difference from the previous one, the first
// as itself, in `astype` (default: `dtype`). Decoding is numpy's cumsum(enc, out=dec): the
// running sum is kept in numpy.result_type(dtype, astype) and each partial sum is cast to
// `dtype` (so dtype "<i2", astype "<f8" sums in float64 and truncates each sum; integer
// sums wrap). Delta(dtype="<i2", astype="|i1"): 64 02 02 -> 100 102 104 as int16.
#include <string>

#include "element_types.hpp"

namespace zpmpi::codec {
namespace {

using elements::load;
using elements::store;

template <class In, class Out, class Acc>
void cumsum(const std::byte* in, std::byte* out, std::size_t n, bool swap_in, bool swap_out) {
  Acc acc = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const In v = load<In>(in + i * sizeof(In), swap_in);
    if constexpr (std::is_floating_point_v<Acc>) {
      acc += static_cast<Acc>(v);
      store<Out>(out + i * sizeof(Out), elements::cast<Out>(acc), swap_out);
    } else {
      acc += static_cast<Acc>(v);  // uint64: wraps; truncating to Out keeps the low bits
      store<Out>(out + i * sizeof(Out), static_cast<Out>(acc), swap_out);
    }
  }
}

class DeltaStep final : public DecodeStep {
 public:
  DeltaStep(ElementType dtype, ElementType astype) : dtype_(dtype), astype_(astype) {}
  std::string describe() const override {
    std::string s = "delta(dtype=" + element_type_name(dtype_);
    if (astype_ != dtype_) s += ", astype=" + element_type_name(astype_);
    return s + ")";
  }
  SizeRelation sizes() const override { return {astype_.size(), dtype_.size()}; }
  // Forward only: in place when each decoded element is no wider than its encoded one.
  bool in_place() const override { return dtype_.size() <= astype_.size(); }

  Status run(std::span<const std::byte> in, std::span<std::byte> out, DecodeScratch::State&) const override {
    const std::size_t n = in.size() / astype_.size();
    const model::DType loop = elements::promote(dtype_.type, astype_.type);
    const bool si = elements::needs_swap(astype_), so = elements::needs_swap(dtype_);
    elements::with_type(astype_.type, [&](auto in_t) {
      elements::with_type(dtype_.type, [&](auto out_t) {
        using In = typename decltype(in_t)::type;
        using Out = typename decltype(out_t)::type;
        if (loop == model::DType::f4) {
          if constexpr (sizeof(In) <= 4 && sizeof(Out) <= 4) cumsum<In, Out, float>(in.data(), out.data(), n, si, so);
        } else if (model::is_float(loop)) {
          cumsum<In, Out, double>(in.data(), out.data(), n, si, so);
        } else if constexpr (!std::is_floating_point_v<In> && !std::is_floating_point_v<Out>) {
          cumsum<In, Out, std::uint64_t>(in.data(), out.data(), n, si, so);
        }
      });
    });
    return {};
  }

 private:
  ElementType dtype_, astype_;
};

}  // namespace

Result<StepPtr> make_delta_step(const boost::json::object& config) {
  ZPMPI_ASSIGN_OR_RETURN(const DtypeAndAstype types, dtype_and_astype(config, "<i4"));
  return StepPtr(std::make_unique<DeltaStep>(types.dtype, types.astype));
}

}  // namespace zpmpi::codec
