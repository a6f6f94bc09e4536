// The xarray-method preprocessors: their JSON, the per-dim ones in the chain (squeeze,
// thin, transpose's check) and the array steps (transpose, drop_vars, rename, astype,
// clip, fillna, round, assign_attrs, drop_attrs).
#include "zpmpi/transform/array_steps.hpp"

#include <cmath>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "test_variable.hpp"

#include "zpmpi/transform/xarray_steps.hpp"

namespace zpmpi::transform {
namespace {

namespace json = boost::json;

/// t2m(time 10, level 1, latitude 7) packed short with _FillValue; sp float32; coords.
model::Dataset dataset() {
  model::Dataset ds;
  ds.uri = "x.nc";
  ds.dims = {{"time", 10, true}, {"level", 1, false}, {"latitude", 7, false}};
  const auto var = testing::variable;
  ds.variables = {var("time", {"time"}, {10}, model::DType::f8), var("level", {"level"}, {1}, model::DType::f8),
                  var("latitude", {"latitude"}, {7}, model::DType::f4),
                  var("t2m", {"time", "level", "latitude"}, {10, 1, 7}, model::DType::i2),
                  var("sp", {"time", "level", "latitude"}, {10, 1, 7}, model::DType::f4)};
  ds.variables[0].attributes = {{"units", {std::string("hours since 2000-01-01"), std::nullopt}}};
  ds.variables[3].attributes = {{"scale_factor", {std::vector<double>{0.5}, model::DType::f4}},
                                {"add_offset", {std::vector<double>{100.0}, model::DType::f4}},
                                {"_FillValue", {std::vector<std::int64_t>{-32767}, model::DType::i2}},
                                {"units", {std::string("K"), std::nullopt}}};
  ds.variables[3].fill_value = model::Scalar{std::int64_t{-32767}};
  return ds;
}

Result<Step> step(const std::string& text, bool per_variable = false) {
  const json::object o = json::parse(text).as_object();
  auto s = parse_xarray_step(std::string(o.at("type").as_string()), o, "p[0]", per_variable);
  if (!s.ok()) return s.error();
  if (!s->has_value()) return usage_error(unsupported_type_message(std::string(o.at("type").as_string()), per_variable));
  return std::move(**s);
}

struct Job {
  std::vector<OutputArray> arrays;
  GroupAttrChanges attrs;
};

Result<Job> run(const std::vector<std::string>& texts) {
  std::vector<Step> steps;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    ZPMPI_ASSIGN_OR_RETURN(Step s, step(texts[i]));
    s.key = "p[" + std::to_string(i) + "]";
    steps.push_back(std::move(s));
  }
  const model::Dataset ds = dataset();
  ZPMPI_ASSIGN_OR_RETURN(DimStates states, apply_preprocessors(ds, {}, steps));
  Job job;
  ZPMPI_ASSIGN_OR_RETURN(job.arrays, choose_arrays(ds, std::nullopt));
  apply_dim_states(job.arrays, states);
  ZPMPI_ASSIGN_OR_RETURN(job.attrs, apply_array_steps(job.arrays, steps, std::nullopt, states));
  return job;
}

const OutputArray& array(const Job& job, const std::string& name) {
  for (const auto& a : job.arrays)
    if (a.name == name) return a;
  throw std::runtime_error("no array " + name);
}

void expect_error(const std::vector<std::string>& texts, const std::string& message) {
  auto r = run(texts);
  ASSERT_FALSE(r.ok()) << texts.back();
  EXPECT_EQ(r.error().message, message);
}

TEST(XarraySteps, ParseErrorsNameTheKey) {
  EXPECT_EQ(step(R"({"type": "astype", "dtype": "complex64"})").error().message,
            "p[0].dtype: must be one of float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, "
            "uint64, got \"complex64\"");
  EXPECT_EQ(step(R"({"type": "clip", "min": 0, "skipna": true})").error().message,
            "p[0]: unknown key 'skipna' for clip (known: type, min, max)");
  EXPECT_EQ(step(R"({"type": "clip"})").error().message, "p[0]: clip needs \"min\" or \"max\"");
  EXPECT_EQ(step(R"({"type": "thin", "time": 0})").error().message, "p[0].time: step must be positive, got 0");
  EXPECT_EQ(step(R"({"type": "drop_vars", "names": "x", "errors": "warn"})").error().message,
            "p[0].errors: must be \"raise\" or \"ignore\", got \"warn\"");
  EXPECT_EQ(step(R"({"type": "transpose", "dims": ["...", "time", "..."]})").error().message,
            "p[0].dims: \"...\" may be given only once");
  EXPECT_EQ(step(R"({"type": "rolling", "time": 3})").error().message.substr(0, 61),
            "'rolling' is not supported (zpmpi applies these preprocessors");
  EXPECT_EQ(step(R"({"type": "squeeze"})", true).error().message.substr(0, 26), "'squeeze' is not supported");
  EXPECT_TRUE(step(R"({"type": "astype", "dtype": "<f4"})").ok());
}

TEST(XarraySteps, StepTypesAreAnEnumAndAnUnknownOneIsAnErrorNamingTheKey) {
  EXPECT_EQ(step_type("subset", false), StepType::kSubset);
  EXPECT_EQ(step_type("expand_dims", true), StepType::kExpandDims);
  EXPECT_EQ(step_type("squeeze", true), std::nullopt);  // not a DataArray method of a per-variable list
  EXPECT_EQ(step_type("drop_attrz", false), std::nullopt);
  EXPECT_STREQ(step_type_name(StepType::kReverseAxis), "reverse_axis");
  const auto unknown = parse_step_type("drop_attrz", "preprocessors[4].type", false);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message.substr(0, 61), "preprocessors[4].type: 'drop_attrz' is not supported (zpmpi a");
  // A type app/config parses is an error here, never another step.
  const auto isel = parse_xarray_step(StepType::kIsel, json::parse(R"({"type": "isel"})").as_object(), "p[0]");
  ASSERT_FALSE(isel.ok());
  EXPECT_EQ(isel.error().message, "p[0].type: 'isel' is not an xarray-method step");
}

TEST(XarraySteps, SqueezeDropsLengthOneDimsAsScalarCoordinates) {
  auto job = run({R"({"type": "squeeze"})"});
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(array(*job, "t2m").dims, (std::vector<std::string>{"time", "latitude"}));
  EXPECT_TRUE(array(*job, "level").shape.empty());
  expect_error({R"({"type": "squeeze", "dim": "time"})"},
               "p[0].time: cannot squeeze a dimension of length 10 (only length 1)");
}

TEST(XarraySteps, ThinTakesEveryStep) {
  auto job = run({R"({"type": "thin", "time": 4})"});
  ASSERT_TRUE(job.ok()) << job.error().message;
  const OutputArray& t = array(*job, "t2m");
  EXPECT_EQ(t.shape, (model::Shape{3, 1, 7}));  // 0, 4, 8
  EXPECT_EQ(t.map.dims[0].source_index(2), 8);
  EXPECT_EQ(t.alignment[0], 1u);  // a stepped dim has no chunk boundaries to align to
}

TEST(XarraySteps, TransposeWithEllipsisPermutesEachArray) {
  auto job = run({R"({"type": "transpose", "dims": ["latitude", "..."]})"});
  ASSERT_TRUE(job.ok()) << job.error().message;
  const OutputArray& t = array(*job, "t2m");
  EXPECT_EQ(t.dims, (std::vector<std::string>{"latitude", "time", "level"}));
  EXPECT_EQ(t.shape, (model::Shape{7, 10, 1}));
  EXPECT_EQ(t.map.order, (std::vector<std::size_t>{2, 0, 1}));
  EXPECT_EQ(t.map.output_shape(), t.shape);
  EXPECT_EQ(t.source_dim_of(0), 2u);
  EXPECT_TRUE(array(*job, "time").map.order.empty());  // 1-D: nothing moves
}

TEST(XarraySteps, TransposeComposesAndSkipsDroppedDims) {
  auto job = run({R"({"type": "transpose", "dims": ["latitude", "level", "time"]})", R"({"type": "squeeze"})",
                  R"({"type": "transpose", "dims": ["time", "..."]})"});
  ASSERT_TRUE(job.ok()) << job.error().message;
  const OutputArray& t = array(*job, "t2m");
  EXPECT_EQ(t.dims, (std::vector<std::string>{"time", "latitude"}));
  EXPECT_TRUE(t.map.order.empty());  // back in the source order
}

TEST(XarraySteps, TransposeErrorsAsXarray) {
  expect_error({R"({"type": "transpose", "dims": ["latitude"]})"},
               "p[0].dims: must name every dimension (time, level, latitude) or include \"...\"");
  expect_error({R"({"type": "transpose", "dims": ["lat", "..."]})"},
               "p[0].dims: no dimension 'lat' (dims: time, level, latitude)");
}

TEST(XarraySteps, DropVarsAndRename) {
  auto job = run({R"({"type": "drop_vars", "names": ["sp", "nothing"], "errors": "ignore"})",
                  R"({"type": "rename", "name_dict": {"t2m": "temp"}})"});
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(job->arrays[0].name, "temp");
  for (const auto& a : job->arrays) EXPECT_NE(a.name, "sp");
  expect_error({R"({"type": "drop_vars", "names": "nothing"})"},
               "p[0].names: no variable 'nothing' to drop (variables: t2m, sp, time, level, latitude)");
}

TEST(XarraySteps, AstypeDecodesThePackedShortFirst) {
  auto job = run({R"({"type": "astype", "dtype": "float16"})"});
  ASSERT_TRUE(job.ok()) << job.error().message;
  const OutputArray& t = array(*job, "t2m");
  EXPECT_EQ(t.dtype, model::DType::f2);
  ASSERT_TRUE(t.values.has_value());
  EXPECT_EQ(t.values->source_dtype, model::DType::i2);
  EXPECT_EQ(t.values->mask, (std::vector<model::Scalar>{model::Scalar{std::int64_t{-32767}}}));
  EXPECT_EQ(t.values->masked_dtype, model::DType::f4);   // maybe_promote(int16)
  EXPECT_EQ(t.values->decoded_dtype, model::DType::f4);  // _choose_float_dtype(float32)
  EXPECT_EQ(t.read_dtype(), model::DType::i2);
  ASSERT_TRUE(t.fill_value.has_value());
  EXPECT_TRUE(std::isnan(std::get<double>(*t.fill_value)));
  ASSERT_EQ(t.attributes.size(), 1u);  // scale_factor, add_offset, _FillValue are gone
  EXPECT_EQ(t.attributes[0].name, "units");
  EXPECT_EQ(array(*job, "sp").dtype, model::DType::f2);
  EXPECT_FALSE(array(*job, "latitude").values.has_value());  // coordinates keep their values
}

TEST(XarraySteps, ClipWithoutAstypeWritesTheDecodedType) {
  auto job = run({R"({"type": "clip", "min": 0})", R"({"type": "astype", "dtype": "int16"})"});
  ASSERT_TRUE(job.ok()) << job.error().message;
  const OutputArray& t = array(*job, "t2m");
  EXPECT_EQ(t.dtype, model::DType::i2);
  EXPECT_FALSE(t.fill_value.has_value());
  ASSERT_EQ(t.values->ops.size(), 1u);
  EXPECT_EQ(t.values->ops[0].op, "clip");
  auto decoded = run({R"({"type": "fillna", "value": 0})"});
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(array(*decoded, "t2m").dtype, model::DType::f4);
  expect_error({R"({"type": "astype", "dtype": "float16"})", R"({"type": "round", "decimals": 1})"},
               "p[1]: round after astype (p[0]) on t2m is not supported: put astype after it");
  expect_error({R"({"type": "astype", "dtype": "int32"})", R"({"type": "astype", "dtype": "float32"})",
                R"({"type": "clip", "max": 1})"},
               "p[2]: clip after astype (p[1]) on t2m is not supported: put astype after it");
}

TEST(XarraySteps, Attributes) {
  auto job = run({R"({"type": "drop_attrs"})", R"({"type": "assign_attrs", "title": "x", "version": 2})"});
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_TRUE(job->attrs.drop_all);
  EXPECT_EQ(job->attrs.assigned.at("version").as_int64(), 2);
  // The attributes xarray keeps as encoding stay: the store decodes as the source.
  EXPECT_EQ(array(*job, "t2m").attributes.size(), 3u);
  EXPECT_EQ(array(*job, "time").attributes.size(), 1u);  // CF time units
}

TEST(XarraySteps, PerVariableSteps) {
  const model::Dataset ds = dataset();
  auto states = apply_preprocessors(ds, {}, {});
  ASSERT_TRUE(states.ok());
  std::vector<VariableChoice> choice{{"t2m", "temp"}, {"sp", ""}};
  choice[0].steps = {*step(R"({"type": "astype", "dtype": "float32"})", true),
                     *step(R"({"type": "assign_attrs", "long_name": "temperature"})", true)};
  choice[1].steps = {*step(R"({"type": "transpose", "dims": ["latitude", "time", "level"]})", true)};
  auto arrays = choose_arrays(ds, choice);
  ASSERT_TRUE(arrays.ok());
  apply_dim_states(*arrays, *states);
  ASSERT_TRUE(apply_array_steps(*arrays, {}, choice, *states).ok());
  EXPECT_EQ((*arrays)[0].dtype, model::DType::f4);
  EXPECT_EQ((*arrays)[0].attributes.back().name, "long_name");
  EXPECT_EQ((*arrays)[1].dims, (std::vector<std::string>{"latitude", "time", "level"}));
  EXPECT_FALSE((*arrays)[1].values.has_value());
}

}  // namespace
}  // namespace zpmpi::transform
