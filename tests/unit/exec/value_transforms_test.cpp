// Value stages against values NumPy/xarray compute (each expectation is what
// xarray 2023.01 on NumPy 1.24 gives for the same decode and op).
#include "zpmpi/exec/value_transforms.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace zpmpi::exec {
namespace {

using model::DType;
using model::Scalar;

template <class Out, class In>
std::vector<Out> run(const model::ValueStage& st, DType out, const std::vector<In>& in) {
  std::vector<Out> result(in.size());
  apply_values(st, out, reinterpret_cast<const std::byte*>(in.data()), reinterpret_cast<std::byte*>(result.data()),
               in.size());
  return result;
}

/// A packed short as in ERA5 files: masked (float32), then scaled in float32.
model::ValueStage packed_short() {
  model::ValueStage st;
  st.source_dtype = DType::i2;
  st.mask = {Scalar{std::int64_t{-32767}}};
  st.scale_factor = Scalar{static_cast<double>(0.01f)};
  st.add_offset = Scalar{static_cast<double>(273.15f)};
  st.masked_dtype = DType::f4;
  st.decoded_dtype = DType::f4;
  return st;
}

TEST(ValueTransforms, PackedShortDecodesInFloat32) {
  const auto out = run<float>(packed_short(), DType::f4, std::vector<std::int16_t>{1234, -32767, 0, -1000});
  EXPECT_EQ(out[0], 1234.0f * 0.01f + 273.15f);  // each operation rounded to float32
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], 273.15f);
  EXPECT_EQ(out[3], -1000.0f * 0.01f + 273.15f);
}

TEST(ValueTransforms, UnmaskedShortWithOffsetDecodesInFloat64) {
  model::ValueStage st = packed_short();
  st.mask.clear();
  st.masked_dtype = DType::i2;
  st.decoded_dtype = DType::f8;
  const auto out = run<double>(st, DType::f8, std::vector<std::int16_t>{1234, -32767});
  EXPECT_EQ(out[0], 1234.0 * static_cast<double>(0.01f) + static_cast<double>(273.15f));
  EXPECT_EQ(out[1], -32767.0 * static_cast<double>(0.01f) + static_cast<double>(273.15f));
}

TEST(ValueTransforms, AstypeFloat16RoundsToNearestAndKeepsNaN) {
  // np.array([285.49, nan, 65519.99, 1e-8], "f4").astype("f2") -> [285.5, nan, 65504, 0]
  model::ValueStage st;
  st.source_dtype = st.masked_dtype = st.decoded_dtype = DType::f4;
  const auto out = run<_Float16>(st, DType::f2, std::vector<float>{285.49f, NAN, 65519.99f, 1e-8f, 70000.0f});
  EXPECT_EQ(static_cast<float>(out[0]), 285.5f);
  EXPECT_TRUE(std::isnan(static_cast<float>(out[1])));
  EXPECT_EQ(static_cast<float>(out[2]), 65504.0f);
  EXPECT_EQ(static_cast<float>(out[3]), 0.0f);
  EXPECT_TRUE(std::isinf(static_cast<float>(out[4])));
}

TEST(ValueTransforms, AstypeIntTruncatesAndNaNBecomesTheIndefiniteValue) {
  // np.array([2.7, -2.7, nan, 40000.5], "f4").astype("i2") -> [2, -2, 0, -25536] on x86-64.
  model::ValueStage st;
  st.source_dtype = st.masked_dtype = st.decoded_dtype = DType::f4;
  const auto out = run<std::int16_t>(st, DType::i2, std::vector<float>{2.7f, -2.7f, NAN, 40000.5f});
  EXPECT_EQ(out, (std::vector<std::int16_t>{2, -2, 0, static_cast<std::int16_t>(40000 - 65536)}));
  const auto wide = run<std::int32_t>(st, DType::i4, std::vector<float>{NAN, 3e9f});
  EXPECT_EQ(wide, (std::vector<std::int32_t>{std::numeric_limits<std::int32_t>::min(),
                                             std::numeric_limits<std::int32_t>::min()}));
}

TEST(ValueTransforms, ClipKeepsNaNAndFillnaFillsIt) {
  model::ValueStage st;
  st.source_dtype = st.masked_dtype = st.decoded_dtype = DType::f4;
  st.ops = {{"clip", Scalar{0.5}, Scalar{2.0}}, {"fillna", Scalar{-1.0}, std::nullopt}};
  const auto out = run<float>(st, DType::f4, std::vector<float>{0.1f, NAN, 1.5f, 7.0f});
  EXPECT_EQ(out, (std::vector<float>{0.5f, -1.0f, 1.5f, 2.0f}));
}

TEST(ValueTransforms, ClipWithOneBound) {
  model::ValueStage st;
  st.source_dtype = st.masked_dtype = st.decoded_dtype = DType::f8;
  st.ops = {{"clip", std::nullopt, Scalar{1.0}}};
  EXPECT_EQ(run<double>(st, DType::f8, std::vector<double>{-5.0, 3.0}), (std::vector<double>{-5.0, 1.0}));
}

TEST(ValueTransforms, RoundAsNumpyAround) {
  // np.around(np.float32([1.25, 2.675, -0.5, 1234.5]), 1) in float32; decimals -2 on 1250 -> 1200.
  model::ValueStage st;
  st.source_dtype = st.masked_dtype = st.decoded_dtype = DType::f4;
  st.ops = {{"round", Scalar{std::int64_t{1}}, std::nullopt}};
  const auto out = run<float>(st, DType::f4, std::vector<float>{1.25f, 2.675f, -0.5f});
  EXPECT_EQ(out[0], std::nearbyint(1.25f * 10.0f) / 10.0f);
  EXPECT_EQ(out[1], std::nearbyint(2.675f * 10.0f) / 10.0f);
  EXPECT_EQ(out[2], -0.5f);
  st.ops = {{"round", Scalar{std::int64_t{-2}}, std::nullopt}};
  EXPECT_EQ(run<float>(st, DType::f4, std::vector<float>{1250.0f, 1350.0f}), (std::vector<float>{1200.0f, 1400.0f}));
}

TEST(ValueTransforms, PadValueDecodesToNaN) {
  EXPECT_EQ(pad_value(packed_short()), Scalar{std::int64_t{-32767}});
  model::ValueStage st;
  st.source_dtype = DType::f4;
  EXPECT_TRUE(std::isnan(std::get<double>(pad_value(st))));
}

}  // namespace
}  // namespace zpmpi::exec
