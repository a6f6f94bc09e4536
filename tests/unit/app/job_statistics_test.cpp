// statistics_specs and value_decoding: which arrays get statistics, grouped how, refused
// with which line; and how each array's stored values decode, as the tests' xarray (Debian
// 12's 2023.01) decodes the store.
#include "zpmpi/app/job_statistics.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace zpmpi::app {
namespace {

using model::DType;

model::Attribute number(std::string name, double x) {
  return {std::move(name), model::AttrValue{std::vector<double>{x}, DType::f8}};
}

model::Attribute integer(std::string name, std::int64_t x, DType type) {
  return {std::move(name), model::AttrValue{std::vector<std::int64_t>{x}, type}};
}

transform::OutputArray array(std::string name, DType dtype, std::vector<std::string> dims, model::Shape shape,
                             std::optional<model::Scalar> fill = std::nullopt,
                             std::vector<model::Attribute> attributes = {}) {
  transform::OutputArray a;
  a.name = std::move(name);
  a.dtype = dtype;
  a.dims = std::move(dims);
  a.shape = std::move(shape);
  a.chunks = a.shape;
  a.fill_value = fill;
  a.attributes = std::move(attributes);
  return a;
}

transform::OutputArray coordinate(std::string name, model::Index n) {
  transform::OutputArray a = array(name, DType::f8, {name}, {n});
  a.is_coordinate = true;
  return a;
}

/// ERA5 on pressure levels: t (time, level, lat, lon), t2m (time, lat, lon), a station name
/// (text), and the coordinates.
JobArrays era5() {
  JobArrays job;
  job.arrays = {array("t", DType::f4, {"time", "level", "lat", "lon"}, {4, 3, 5, 6}, model::Scalar{std::nan("")}),
                array("t2m", DType::f4, {"time", "lat", "lon"}, {4, 5, 6}, model::Scalar{std::nan("")}),
                coordinate("time", 4), coordinate("level", 3), coordinate("lat", 5), coordinate("lon", 6)};
  transform::OutputArray name = array("station", DType::u1, {"station"}, {2});
  name.text = model::TextType{model::TextType::Kind::utf8, 0};
  job.text_arrays = {name};
  return job;
}

Result<std::vector<stats::ArrayStatisticsSpec>> specs(std::vector<std::string> variables,
                                                      std::vector<std::string> by) {
  Config::StatisticsRequest request;
  request.variables = std::move(variables);
  request.by = std::move(by);
  return statistics_specs(request, era5());
}

TEST(StatisticsSpecs, EveryDataVariableWholeAndNeverACoordinateOrText) {
  const auto s = specs({}, {});
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].array, "t");
  EXPECT_EQ((*s)[1].array, "t2m");
  for (const auto& spec : *s) {
    EXPECT_TRUE(spec.selection.by.empty());
    EXPECT_TRUE(spec.by_shape.empty());
    EXPECT_EQ(stats::group_count(spec.selection, era5().arrays[0].shape), 1u);
  }
  const std::vector<std::pair<model::Index, model::Index>> whole{{0, 4}, {0, 3}, {0, 5}, {0, 6}};
  EXPECT_EQ((*s)[0].selection.window, whole);
}

TEST(StatisticsSpecs, ByDimsAsGivenInTheArrayOfEachAndOnlyTheVariablesNamed) {
  const auto s = specs({"t2m", "t"}, {"lat", "time"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].array, "t");  // in the job's order
  EXPECT_EQ((*s)[0].selection.by, (std::vector<std::size_t>{2, 0}));
  EXPECT_EQ((*s)[0].by_names, (std::vector<std::string>{"lat", "time"}));
  EXPECT_EQ((*s)[0].by_shape, (model::Shape{5, 4}));
  EXPECT_EQ((*s)[1].selection.by, (std::vector<std::size_t>{1, 0}));
  const auto t2m_only = specs({"t2m"}, {});
  ASSERT_TRUE(t2m_only.ok());
  ASSERT_EQ(t2m_only->size(), 1u);
  EXPECT_EQ((*t2m_only)[0].array, "t2m");
}

TEST(StatisticsSpecs, RefusalsNameTheKeyAndWhatThereIs) {
  const auto expect = [](const Result<std::vector<stats::ArrayStatisticsSpec>>& s, const std::string& message) {
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ExitCode::kUsage);
    EXPECT_EQ(s.error().message, message);
  };
  expect(specs({}, {"level"}), "statistics.by: t2m has no dim 'level' (its dims: time, lat, lon)");
  expect(specs({"t", "u10"}, {}),
         "statistics.variables: 'u10' is not a data variable the job writes (it writes: t, t2m)");
  expect(specs({"lat"}, {}), "statistics.variables: 'lat' is not a data variable the job writes (it writes: t, t2m)");
  expect(specs({"station"}, {}), "statistics.variables: 'station' is a text array: statistics are of numbers");
  JobArrays half = era5();
  half.arrays[1].dtype = DType::f2;
  expect(statistics_specs({}, half), "statistics: 't2m' is float16, which has no statistics here");
}

TEST(StatisticsSpecs, NoDataVariableNoSpecs) {
  JobArrays coords;
  coords.arrays = {coordinate("time", 4)};
  const auto s = statistics_specs({}, coords);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->empty());
}

// ---- value_decoding ----

TEST(ValueDecoding, FloatsMaskTheirFillAndScaleInTheirOwnPrecision) {
  const auto f4 = value_decoding(array("t2m", DType::f4, {"x"}, {3}, model::Scalar{std::nan("")}));
  EXPECT_EQ(f4.dtype, DType::f4);
  ASSERT_EQ(f4.missing.size(), 1u);
  EXPECT_TRUE(std::isnan(f4.missing[0]));
  EXPECT_FALSE(f4.scale_factor || f4.add_offset);
  const auto scaled = value_decoding(array("a", DType::f4, {"x"}, {3}, std::nullopt,
                                           {number("scale_factor", 0.5), number("add_offset", 3)}));
  EXPECT_TRUE(scaled.scaled_in_float32);
  EXPECT_EQ(scaled.scale_factor, 0.5);
  EXPECT_EQ(scaled.add_offset, 3.0);
  const auto f8 = value_decoding(array("b", DType::f8, {"x"}, {3}, std::nullopt, {number("scale_factor", 0.5)}));
  EXPECT_FALSE(f8.scaled_in_float32);
}

// xarray 2023.01 masks before it scales: a fill value or missing_value turns a 1- or 2-byte
// integer into float32 (dtypes.maybe_promote), which _choose_float_dtype then keeps, even
// with add_offset. An ERA5 packed short is decoded in float32 (was float64: its minimum
// was -95.80080000000004 where xarray reads -95.80078125).
TEST(ValueDecoding, APackedShortWithAFillScalesInFloat32AsXarrayMasksFirst) {
  const std::vector<model::Attribute> packing{number("scale_factor", 0.0123), number("add_offset", 273.15)};
  const auto filled = value_decoding(array("p", DType::i2, {"x"}, {3}, model::Scalar{std::int64_t{-32767}}, packing));
  EXPECT_EQ(filled.missing, (std::vector<double>{-32767}));
  EXPECT_TRUE(filled.scaled_in_float32);
  // Without a fill value nothing promotes first: the offset asks for float64.
  const auto unfilled = value_decoding(array("p", DType::i2, {"x"}, {3}, std::nullopt, packing));
  EXPECT_TRUE(unfilled.missing.empty());
  EXPECT_FALSE(unfilled.scaled_in_float32);
  // missing_value masks as a fill value does.
  auto with_missing = packing;
  with_missing.push_back(integer("missing_value", -32767, DType::i2));
  const auto missing = value_decoding(array("p", DType::i2, {"x"}, {3}, std::nullopt, with_missing));
  EXPECT_EQ(missing.missing, (std::vector<double>{-32767}));
  EXPECT_TRUE(missing.scaled_in_float32);
  // A scale factor alone: float32 whether masked or not.
  const auto scale_only = value_decoding(array("p", DType::i2, {"x"}, {3}, std::nullopt, {packing[0]}));
  EXPECT_TRUE(scale_only.scaled_in_float32);
  // 4-byte integers promote to float64.
  const auto wide = value_decoding(array("p", DType::i4, {"x"}, {3}, model::Scalar{std::int64_t{-1}}, packing));
  EXPECT_FALSE(wide.scaled_in_float32);
}

TEST(ValueDecoding, AByteWithMissingValueScalesInFloat32) {
  const auto m = value_decoding(array("mask", DType::u1, {"x"}, {3}, std::nullopt,
                                      {integer("missing_value", 255, DType::u1), number("scale_factor", 0.4),
                                       number("add_offset", 1)}));
  EXPECT_EQ(m.missing, (std::vector<double>{255}));
  EXPECT_TRUE(m.scaled_in_float32);
}

// Without a fill value the store keeps a _FillValue attribute no element can hold (zarr/
// metadata.cpp), and xarray's zarr reader masks by it: 1e20 on a short promotes it to
// float32 (nothing equals it); a NaN is no fill value to xarray, nothing promotes.
TEST(ValueDecoding, AFillValueAttributeNoElementHoldsCountsAsXarrayTakesIt) {
  const std::vector<model::Attribute> packing{number("scale_factor", 0.0017), number("add_offset", 26.96875)};
  auto big = packing;
  big.push_back(number("_FillValue", 1e20));
  const auto by_big = value_decoding(array("u", DType::i2, {"x"}, {3}, std::nullopt, big));
  EXPECT_EQ(by_big.missing, (std::vector<double>{1e20}));
  EXPECT_TRUE(by_big.scaled_in_float32);
  auto nan = packing;
  nan.push_back(number("_FillValue", std::nan("")));
  const auto by_nan = value_decoding(array("u", DType::i2, {"x"}, {3}, std::nullopt, nan));
  EXPECT_FALSE(by_nan.scaled_in_float32);
  // With a fill value the attribute is not written (the fill value is xarray's _FillValue).
  const auto both = value_decoding(array("u", DType::i2, {"x"}, {3}, model::Scalar{std::int64_t{-1}}, big));
  EXPECT_EQ(both.missing, (std::vector<double>{-1}));
}

// netCDF-3 has no unsigned types: _Unsigned = "true" marks bytes read as unsigned. xarray
// reads the integers with the other signedness first, its _FillValue with them (the
// missing_value as it is); they were counted signed (-100 for 156).
TEST(ValueDecoding, UnsignedBytesAreReadUnsignedWithTheirFill) {
  const model::Attribute unsigned_true{"_Unsigned", model::AttrValue{std::string("true"), std::nullopt}};
  const auto b = value_decoding(array("b", DType::i1, {"x"}, {3}, model::Scalar{std::int64_t{-1}},
                                      {unsigned_true, integer("missing_value", -2, DType::i1)}));
  EXPECT_EQ(b.dtype, DType::u1);
  EXPECT_EQ(b.missing, (std::vector<double>{255, -2}));
  const auto s = value_decoding(array("s", DType::i2, {"x"}, {3}, model::Scalar{std::int64_t{-32768}},
                                      {unsigned_true, number("scale_factor", 0.5), number("add_offset", 1)}));
  EXPECT_EQ(s.dtype, DType::u2);
  EXPECT_EQ(s.missing, (std::vector<double>{32768}));
  EXPECT_TRUE(s.scaled_in_float32);
  const model::Attribute unsigned_false{"_Unsigned", model::AttrValue{std::string("false"), std::nullopt}};
  const auto u = value_decoding(array("u", DType::u1, {"x"}, {3}, model::Scalar{std::uint64_t{255}}, {unsigned_false}));
  EXPECT_EQ(u.dtype, DType::i1);
  EXPECT_EQ(u.missing, (std::vector<double>{-1}));
  // "true" on an unsigned type, "false" on a signed one, or any other text: nothing changes.
  const auto same =
      value_decoding(array("u", DType::u1, {"x"}, {3}, model::Scalar{std::uint64_t{255}}, {unsigned_true}));
  EXPECT_EQ(same.dtype, DType::u1);
  EXPECT_EQ(same.missing, (std::vector<double>{255}));
  const auto floats = value_decoding(array("f", DType::f4, {"x"}, {3}, std::nullopt, {unsigned_true}));
  EXPECT_EQ(floats.dtype, DType::f4);
}

}  // namespace
}  // namespace zpmpi::app
