// expand_dims: its JSON forms and errors (xarray's checks, each naming the step), where the
// new dims go (axis, and what later steps that drop a dim or transpose do to them), the
// coordinate created from values, the promotion of a scalar coordinate, and the steps
// refused after it.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "test_variable.hpp"

#include "zpmpi/transform/array_steps.hpp"
#include "zpmpi/transform/xarray_steps.hpp"

namespace zpmpi::transform {
namespace {

namespace json = boost::json;
using Names = std::vector<std::string>;

/// t2m(time 10, level 1, latitude 7) and sp (same dims), with their coordinates.
model::Dataset dataset() {
  model::Dataset ds;
  ds.uri = "x.nc";
  ds.dims = {{"time", 10, true}, {"level", 1, false}, {"latitude", 7, false}};
  const auto var = testing::variable;
  ds.variables = {var("time", {"time"}, {10}, model::DType::f8), var("level", {"level"}, {1}, model::DType::f8),
                  var("latitude", {"latitude"}, {7}, model::DType::f4),
                  var("t2m", {"time", "level", "latitude"}, {10, 1, 7}, model::DType::f4),
                  var("sp", {"time", "level", "latitude"}, {10, 1, 7}, model::DType::f4)};
  return ds;
}

Result<Step> parse(const std::string& text, bool per_variable = false) {
  const json::object o = json::parse(text).as_object();
  auto s = parse_xarray_step(std::string(o.at("type").as_string()), o, "p[0]", per_variable);
  if (!s.ok()) return s.error();
  if (!s->has_value()) return usage_error("not an xarray step");
  return std::move(**s);
}

ExpandDims expand(const std::string& text) { return std::get<ExpandDims>(parse(text).value().op); }

/// Steps given as JSON, or an isel of one index (a dropped dim) as {"isel": "time"}.
Result<std::vector<OutputArray>> run(const std::vector<std::string>& texts,
                                     const std::optional<std::vector<VariableChoice>>& choice = std::nullopt) {
  std::vector<Step> steps;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string key = "p[" + std::to_string(i) + "]";
    const json::object o = json::parse(texts[i]).as_object();
    if (const auto* dim = o.if_contains("isel")) {
      steps.push_back({key, Isel{{DimIndexer{std::string(dim->as_string()), std::int64_t{0}}}}});
      continue;
    }
    if (o.contains("tiled")) {
      steps.push_back({key, Tiled{{{"time", 5}}}});
      continue;
    }
    ZPMPI_ASSIGN_OR_RETURN(Step s, parse(texts[i]));
    s.key = key;
    steps.push_back(std::move(s));
  }
  const model::Dataset ds = dataset();
  ZPMPI_ASSIGN_OR_RETURN(DimStates states, apply_preprocessors(ds, {}, steps));
  ZPMPI_ASSIGN_OR_RETURN(std::vector<OutputArray> arrays, choose_arrays(ds, std::nullopt));
  apply_dim_states(arrays, states);
  ZPMPI_RETURN_IF_ERROR(apply_array_steps(arrays, steps, choice, states));
  return arrays;
}

const OutputArray& array(const std::vector<OutputArray>& arrays, const std::string& name) {
  for (const auto& a : arrays)
    if (a.name == name) return a;
  throw std::runtime_error("no array " + name);
}

void expect_error(const std::vector<std::string>& texts, const std::string& message) {
  auto r = run(texts);
  ASSERT_FALSE(r.ok()) << texts.back();
  EXPECT_EQ(r.error().message, message);
}

TEST(ExpandDims, ParsesEveryFormOfXarray) {
  ExpandDims e = expand(R"({"type": "expand_dims", "dim": "member"})");
  ASSERT_EQ(e.dims.size(), 1u);
  EXPECT_EQ(e.dims[0].name, "member");
  EXPECT_EQ(e.dims[0].length, 1);
  EXPECT_FALSE(e.axis);

  e = expand(R"({"type": "expand_dims", "dim": ["a", "b"], "axis": [0, -1]})");
  ASSERT_EQ(e.dims.size(), 2u);
  EXPECT_EQ(e.dims[1].name, "b");
  EXPECT_EQ(*e.axis, (std::vector<std::int64_t>{0, -1}));

  e = expand(R"({"type": "expand_dims", "dim": {"member": 3}, "axis": 2})");
  EXPECT_EQ(e.dims[0].length, 3);
  EXPECT_TRUE(e.dims[0].values.empty());
  EXPECT_EQ(*e.axis, (std::vector<std::int64_t>{2}));

  e = expand(R"({"type": "expand_dims", "dim": {"member": [4, 7]}})");
  EXPECT_EQ(e.dims[0].length, 2);
  EXPECT_TRUE(e.dims[0].integer_values);
  EXPECT_EQ(e.dims[0].values, (std::vector<model::Scalar>{std::int64_t{4}, std::int64_t{7}}));

  e = expand(R"({"type": "expand_dims", "member": [0.5, 1], "run": 1})");  // the keyword form
  ASSERT_EQ(e.dims.size(), 2u);
  EXPECT_FALSE(e.dims[0].integer_values);
  EXPECT_EQ(e.dims[0].values, (std::vector<model::Scalar>{0.5, 1.0}));
  EXPECT_EQ(e.dims[1].name, "run");

  EXPECT_TRUE(parse(R"({"type": "expand_dims", "dim": "member"})", true).ok());  // per variable too
}

TEST(ExpandDims, ParseErrorsAsXarrayNamingTheKey) {
  auto error = [](const std::string& text) { return parse(text).error().message; };
  EXPECT_EQ(error(R"({"type": "expand_dims", "dim": 3})"),
            "p[0].dim: dim should be a name, a list of names or a mapping name -> length or values, got 3");
  EXPECT_EQ(error(R"({"type": "expand_dims", "dim": ["a", "b", "a"]})"),
            "p[0].dim: dims should not contain duplicate values ('a' is given twice)");
  EXPECT_EQ(error(R"({"type": "expand_dims", "dim": "a", "b": 1})"),
            "p[0]: cannot give both \"dim\" and new dimensions as keys (xarray: cannot specify both keyword and "
            "positional arguments to .expand_dims)");
  EXPECT_EQ(error(R"({"type": "expand_dims", "dim": {"member": 0}})"),
            "p[0].dim.member: the length of a new dimension must be at least 1, got 0");
  EXPECT_EQ(error(R"({"type": "expand_dims", "member": "x"})"),
            "p[0].member: must be the new dimension's length or a list of its coordinate values, got \"x\"");
  EXPECT_EQ(error(R"({"type": "expand_dims", "dim": {"member": ["a"]}})"),
            "p[0].dim.member[0]: coordinate values must be numbers (text coordinates are not supported), got \"a\"");
  EXPECT_EQ(error(R"({"type": "expand_dims", "member": []})"),
            "p[0].member: a new dimension needs at least one coordinate value");
  EXPECT_EQ(error(R"({"type": "expand_dims", "dim": ["a", "b"], "axis": 1})"),
            "p[0].axis: lengths of dim and axis should be identical (2 dims, 1 axes)");
  EXPECT_EQ(error(R"({"type": "expand_dims", "dim": "a", "axis": "x"})"), "p[0].axis: must be an integer, got \"x\"");
  EXPECT_EQ(error(R"({"type": "expand_dims"})"), "p[0]: expand_dims names no dimension");
}

TEST(ExpandDims, DataVariablesGainTheDimAtAxisCoordinatesDoNot) {
  auto arrays = run({R"({"type": "expand_dims", "dim": "member"})"});
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  const OutputArray& t = array(*arrays, "t2m");
  EXPECT_EQ(t.dims, (Names{"member", "time", "level", "latitude"}));
  EXPECT_EQ(t.shape, (model::Shape{1, 10, 1, 7}));
  EXPECT_EQ(t.alignment, (model::Shape{1, 10, 1, 7}));
  EXPECT_EQ(t.map.new_dims, (model::Shape{1}));
  EXPECT_EQ(t.map.order, (std::vector<std::size_t>{3, 0, 1, 2}));
  EXPECT_EQ(t.map.output_shape(), t.shape);
  EXPECT_EQ(t.source_dim_of(0), t.map.dims.size());  // no source dim
  EXPECT_EQ(t.source_dim_of(1), 0u);
  EXPECT_EQ(array(*arrays, "time").dims, (Names{"time"}));  // coordinates are left alone
  EXPECT_EQ(array(*arrays, "sp").dims, t.dims);

  arrays = run({R"({"type": "expand_dims", "dim": {"a": 2, "b": 1}, "axis": [-1, 1]})"});
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  // xarray: result rank 5, positions 4 and 1, inserted in ascending order.
  EXPECT_EQ(array(*arrays, "t2m").dims, (Names{"time", "b", "level", "latitude", "a"}));
  EXPECT_EQ(array(*arrays, "t2m").shape, (model::Shape{10, 1, 1, 7, 2}));
  // A batch spans a new dim whole: its elements all come from one read.
  EXPECT_EQ(array(*arrays, "t2m").alignment, (model::Shape{10, 1, 1, 7, 2}));
}

TEST(ExpandDims, ValuesCreateTheCoordinate) {
  auto arrays = run({R"({"type": "expand_dims", "dim": {"member": [3, 5]}, "axis": 1})"});
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  EXPECT_EQ(array(*arrays, "t2m").dims, (Names{"time", "member", "level", "latitude"}));
  const OutputArray& m = array(*arrays, "member");
  EXPECT_TRUE(m.is_coordinate);
  EXPECT_EQ(m.dtype, model::DType::i8);
  EXPECT_EQ(m.dims, (Names{"member"}));
  EXPECT_EQ(m.shape, (model::Shape{2}));
  EXPECT_EQ(m.chunks, (model::Shape{2}));
  const std::vector<CoarseIndexArray> given = take_given_coordinates(*arrays);
  ASSERT_EQ(given.size(), 1u);
  EXPECT_EQ(given[0].array.given_values, (std::vector<model::Scalar>{std::int64_t{3}, std::int64_t{5}}));
  EXPECT_TRUE(std::none_of(arrays->begin(), arrays->end(), [](const OutputArray& a) { return a.name == "member"; }));
}

TEST(ExpandDims, PositionsCountTheDimsOfThatStep) {
  // A dim dropped before: not counted.
  auto arrays = run({R"({"type": "squeeze", "dim": "level"})", R"({"type": "expand_dims", "dim": "m", "axis": 1})"});
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  EXPECT_EQ(array(*arrays, "t2m").dims, (Names{"time", "m", "latitude"}));
  // A dim dropped after: counted, then removed (xarray: (time, level, m, latitude) -> isel).
  arrays = run({R"({"type": "expand_dims", "dim": "m", "axis": 2})", R"({"isel": "time"})"});
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  const OutputArray& t = array(*arrays, "t2m");
  EXPECT_EQ(t.dims, (Names{"level", "m", "latitude"}));
  EXPECT_EQ(t.map.output_shape(), (model::Shape{1, 1, 7}));
  EXPECT_EQ(t.map.order, (std::vector<std::size_t>{0, 2, 1}));
  // Transposed after: the new dim moves like any other.
  arrays = run({R"({"type": "expand_dims", "dim": "m"})", R"({"type": "transpose", "dims": ["latitude", "..."]})"});
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  EXPECT_EQ(array(*arrays, "t2m").dims, (Names{"latitude", "m", "time", "level"}));
  EXPECT_EQ(array(*arrays, "t2m").map.order, (std::vector<std::size_t>{2, 3, 0, 1}));
  arrays = run({R"({"type": "expand_dims", "dim": "m"})", R"({"type": "transpose", "dims": ["latitude", "time", "level"]})"});
  ASSERT_FALSE(arrays.ok());
  EXPECT_EQ(arrays.error().message, "p[1].dims: must name every dimension (time, level, latitude, m) or include \"...\"");
}

TEST(ExpandDims, AScalarCoordinateOfTheNameBecomesItsCoordinate) {
  auto arrays = run({R"({"type": "squeeze", "dim": "level"})", R"({"type": "expand_dims", "dim": "level"})"});
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  EXPECT_EQ(array(*arrays, "t2m").dims, (Names{"level", "time", "latitude"}));
  const OutputArray& level = array(*arrays, "level");
  EXPECT_EQ(level.dims, (Names{"level"}));
  EXPECT_EQ(level.shape, (model::Shape{1}));
  for (const auto& attr : array(*arrays, "t2m").attributes) EXPECT_NE(attr.name, "coordinates");  // not scalar now
  expect_error({R"({"type": "squeeze", "dim": "level"})", R"({"type": "expand_dims", "dim": {"level": 2}})"},
               "p[1]: level is a scalar coordinate: expand_dims makes it a dimension of length 1, not 2");
}

TEST(ExpandDims, PerVariableOnlyThatArray) {
  std::vector<VariableChoice> choice{{"t2m", ""}, {"sp", ""}};
  choice[0].steps.push_back(parse(R"({"type": "expand_dims", "dim": "m", "axis": -1})", true).value());
  auto arrays = run({}, choice);
  ASSERT_TRUE(arrays.ok()) << arrays.error().message;
  EXPECT_EQ(array(*arrays, "t2m").dims, (Names{"time", "level", "latitude", "m"}));
  EXPECT_EQ(array(*arrays, "sp").dims, (Names{"time", "level", "latitude"}));
  // The same new dim on two variables must agree in length, as when xarray merges them.
  choice[1].steps.push_back(parse(R"({"type": "expand_dims", "dim": {"m": 2}})", true).value());
  choice[1].steps.back().key = "v[1]";
  arrays = run({}, choice);
  ASSERT_FALSE(arrays.ok());
  EXPECT_EQ(arrays.error().message, "v[1]: m has length 1 in t2m, not 2 (xarray: conflicting sizes)");
}

TEST(ExpandDims, ErrorsAsXarrayNamingTheStep) {
  expect_error({R"({"type": "expand_dims", "dim": "time"})"}, "p[0]: Dimension time already exists");
  expect_error({R"({"type": "expand_dims", "dim": "sp"})"}, "p[0]: sp already exists as coordinate or variable name");
  expect_error({R"({"type": "expand_dims", "dim": "m", "axis": 4})"},
               "p[0].axis: Axis 4 of variable t2m is out of bounds of the expanded dimension size 4");
  expect_error({R"({"type": "expand_dims", "dim": "m", "axis": -5})"},
               "p[0].axis: Axis -5 of variable t2m is out of bounds of the expanded dimension size 4");
  expect_error({R"({"type": "expand_dims", "dim": ["a", "b"], "axis": [1, -4]})"},
               "p[0].axis: axis should not contain duplicate values (t2m)");
  expect_error({R"({"type": "expand_dims", "dim": "m"})", R"({"type": "expand_dims", "dim": "m"})"},
               "p[1].m: Dimension m already exists (added by p[0])");
}

TEST(ExpandDims, StepsAfterItThatCannotFollowAreRefused) {
  expect_error({R"({"type": "expand_dims", "dim": "m"})", R"({"isel": "m"})"},
               "p[1].m: 'm' is a dimension added by expand_dims (p[0]); selecting along it is not supported (put "
               "expand_dims after this step)");
  expect_error({R"({"type": "expand_dims", "dim": "m"})", R"({"type": "squeeze"})"},
               "p[1]: squeeze without \"dim\" after expand_dims (p[0]) would drop 'm' again; name the dims to "
               "squeeze, or squeeze before expand_dims");
  expect_error({R"({"type": "expand_dims", "dim": "m"})", R"({"tiled": 1})"},
               "p[1]: tiled after expand_dims (p[0]) is not supported");
  expect_error({R"({"type": "transpose", "dims": ["latitude", "..."]})", R"({"type": "expand_dims", "dim": "m"})",
                R"({"isel": "time"})"},
               "p[1]: expand_dims of t2m after a transpose or expand_dims and before a step that drops time is not "
               "supported (drop it first)");
}

}  // namespace
}  // namespace zpmpi::transform
