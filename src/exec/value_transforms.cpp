// Value stages, element by element (see value_transforms.hpp). Each step is NumPy's, in
// the type xarray's decoding picked: a float32 product is rounded to float32 before the
// offset is added, as `data *= scale_factor; data += add_offset` does.
#include "zpmpi/exec/value_transforms.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

namespace zpmpi::exec {
namespace {

using model::DType;
using model::Scalar;

template <class T>
T scalar_as(const Scalar& v) {
  return std::visit([](auto x) { return static_cast<T>(x); }, v);
}

/// A float to an integer as NumPy's C cast does on x86-64 (cvttsd2si): truncation toward
/// zero, and the "integer indefinite" (the lowest 32- or 64-bit value, then truncated to
/// the width) for NaN and values out of range, where C++ would leave it undefined.
template <class Out, class F>
Out float_to_int(F x) {
  if constexpr (sizeof(Out) <= 4) {
    const double d = static_cast<double>(x);
    const std::int32_t i = (std::isnan(d) || d <= -2147483649.0 || d >= 2147483648.0)
                               ? std::numeric_limits<std::int32_t>::min()
                               : static_cast<std::int32_t>(d);
    return static_cast<Out>(i);
  } else {
    const double d = static_cast<double>(x);
    const std::int64_t i = (std::isnan(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
                               ? std::numeric_limits<std::int64_t>::min()
                               : static_cast<std::int64_t>(d);
    return static_cast<Out>(i);
  }
}

template <class T>
constexpr bool kFloat = std::is_floating_point_v<T> || std::is_same_v<T, _Float16>;

template <class Out, class D>
Out cast_to(D x) {
  if constexpr (kFloat<Out> || !kFloat<D>) return static_cast<Out>(x);
  else return float_to_int<Out>(x);
}

/// NumPy's around(x, decimals) for a float: rint(x * 10^d) / 10^d, or rint(x / 10^-d) *
/// 10^-d for negative d, each operation in D (the power of ten rounded to D first).
template <class D>
D round_decimals(D x, std::int64_t decimals) {
  const D f = static_cast<D>(std::pow(10.0, static_cast<double>(decimals >= 0 ? decimals : -decimals)));
  if (decimals >= 0) {
    const D y = x * f;
    return static_cast<D>(std::nearbyint(static_cast<double>(y))) / f;
  }
  const D y = x / f;
  return static_cast<D>(std::nearbyint(static_cast<double>(y))) * f;
}

/// The decoded ops, read from the stage once per call.
template <class D>
struct Ops {
  struct Op {
    int kind;  // 0 clip, 1 fillna, 2 round
    bool has_a, has_b;
    D a, b;
    std::int64_t decimals;
  };
  // Fixed arrays: a converter is set up per chunk row, where a heap allocation would cost
  // more than the row's work.
  std::array<Op, model::kMaxValueOps> list;
  std::size_t count = 0;
  explicit Ops(const model::ValueStage& st) {
    for (const model::ValueOp& o : st.ops) {
      if (count == list.size()) break;  // array_steps refuses more
      Op op{};
      op.kind = o.op == "clip" ? 0 : o.op == "fillna" ? 1 : 2;
      op.has_a = o.a.has_value(), op.has_b = o.b.has_value();
      if (op.kind == 2) op.decimals = o.a ? scalar_as<std::int64_t>(*o.a) : 0;
      if (op.kind != 2 && op.has_a) op.a = scalar_as<D>(*o.a);
      if (op.kind != 2 && op.has_b) op.b = scalar_as<D>(*o.b);
      list[count++] = op;
    }
  }
  void apply(D* x, std::size_t n) const {
    for (std::size_t j = 0; j < count; ++j) {
      const Op& op = list[j];
      for (std::size_t i = 0; i < n; ++i) {
        if (op.kind == 0) {
          // np.clip = minimum(maximum(x, lo), hi): NaN stays NaN.
          if (op.has_a && x[i] < op.a) x[i] = op.a;
          if (op.has_b && x[i] > op.b) x[i] = op.b;
        } else if constexpr (kFloat<D>) {
          if (op.kind == 1 && std::isnan(static_cast<double>(x[i]))) x[i] = op.a;
          if (op.kind == 2) x[i] = round_decimals(x[i], op.decimals);
        }
      }
    }
  }
};

/// Source elements to decoded ones: mask (in M) then scale and offset (in D).
template <class S, class M, class D>
void decode(const model::ValueStage& st, const std::byte* src, D* x, std::size_t n) {
  std::array<M, model::kMaxMaskValues> mask{};
  std::size_t masks = 0;
  for (const Scalar& v : st.mask)
    if (masks < mask.size()) mask[masks++] = scalar_as<M>(v);
  const bool scale = st.scale_factor.has_value(), offset = st.add_offset.has_value();
  const D sf = scale ? scalar_as<D>(*st.scale_factor) : D(1);
  const D ao = offset ? scalar_as<D>(*st.add_offset) : D(0);
  for (std::size_t i = 0; i < n; ++i) {
    S s;
    std::memcpy(&s, src + i * sizeof(S), sizeof(S));
    M m = static_cast<M>(s);
    if constexpr (kFloat<M>) {
      for (std::size_t j = 0; j < masks; ++j)
        if (m == mask[j]) m = std::numeric_limits<M>::quiet_NaN();
    }
    D v = static_cast<D>(m);
    if (scale) v = static_cast<D>(v * sf);
    if (offset) v = static_cast<D>(v + ao);
    x[i] = v;
  }
}

template <class D, class Out>
void cast_out(const D* x, std::byte* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const Out out = cast_to<Out>(x[i]);
    std::memcpy(dst + i * sizeof(Out), &out, sizeof(Out));
  }
}

/// The types a stage computes in: float32, float64, or the source type itself.
template <class S, class F>
void with_stage_type(DType t, DType source, F&& f) {
  if (t == source) f(std::type_identity<S>{});
  else if (t == DType::f4) f(std::type_identity<float>{});
  else f(std::type_identity<double>{});
}

template <class S, class D>
void run(const model::ValueStage& st, DType out, const std::byte* src, std::byte* dst, std::size_t n) {
  constexpr std::size_t kBlock = 4096;  // decoded values on the stack, per block
  D x[kBlock];
  const Ops<D> ops(st);
  for (std::size_t done = 0; done < n; done += kBlock) {
    const std::size_t m = std::min(kBlock, n - done);
    with_stage_type<S>(st.masked_dtype, st.source_dtype, [&](auto mt) {
      decode<S, typename decltype(mt)::type, D>(st, src + done * sizeof(S), x, m);
    });
    ops.apply(x, m);
    model::with_type(out, [&](auto o) {
      using Out = typename decltype(o)::type;
      cast_out<D, Out>(x, dst + done * sizeof(Out), m);
    });
  }
}

}  // namespace

void apply_values(const model::ValueStage& stage, model::DType out, const std::byte* src, std::byte* dst,
                  std::size_t n) {
  model::with_type(stage.source_dtype, [&](auto s) {
    using S = typename decltype(s)::type;
    with_stage_type<S>(stage.decoded_dtype, stage.source_dtype, [&](auto d) {
      run<S, typename decltype(d)::type>(stage, out, src, dst, n);
    });
  });
}

model::Scalar pad_value(const model::ValueStage& stage) {
  if (!stage.mask.empty()) return stage.mask.front();
  if (model::is_float(stage.source_dtype)) return std::numeric_limits<double>::quiet_NaN();
  return std::int64_t{0};
}

}  // namespace zpmpi::exec
