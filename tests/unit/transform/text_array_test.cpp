#include "zpmpi/transform/text_array.hpp"

#include <gtest/gtest.h>

#include "zpmpi/transform/require_data.hpp"

namespace zpmpi::transform {
namespace {

using model::TextType;

OutputArray array_2d() {
  OutputArray a;
  a.name = a.source.name = "names";
  a.text = TextType{TextType::Kind::fixed_bytes, 2};
  a.source.shape = {2, 3};
  a.map = IndexMap::identity({2, 3});
  a.shape = {2, 3};
  return a;
}

const std::vector<std::string> kSource{"a0", "a1", "a2", "b0", "b1", "b2"};

TEST(GatherText, IdentityKeepsCOrder) { EXPECT_EQ(gather_text(array_2d(), kSource), kSource); }

TEST(GatherText, ReversedAndSteppedDims) {
  OutputArray a = array_2d();
  a.map.dims[0].segments = {Segment{0, 2, 1, -1}};  // reverse rows
  a.map.dims[1].segments = {Segment{0, 2, 2, -2}};  // columns 2, 0
  a.shape = {2, 2};
  EXPECT_EQ(gather_text(a, kSource), (std::vector<std::string>{"b2", "b0", "a2", "a0"}));
}

TEST(GatherText, FixedDimIsDropped) {
  OutputArray a = array_2d();
  a.map.dims[1] = DimMap::at(1);
  a.shape = {2};
  EXPECT_EQ(gather_text(a, kSource), (std::vector<std::string>{"a1", "b1"}));
  a.map.dims[0] = DimMap::at(1);
  a.shape = {};
  EXPECT_EQ(gather_text(a, kSource), std::vector<std::string>{"b1"});
}

TEST(GatherText, RollWrapsAround) {
  OutputArray a = array_2d();
  a.map.dims[1].segments = {Segment{0, 1, 2, 1}, Segment{1, 2, 0, 1}};  // roll by 1
  EXPECT_EQ(gather_text(a, kSource), (std::vector<std::string>{"a2", "a0", "a1", "b2", "b0", "b1"}));
}

model::Dataset dataset() {
  model::Dataset ds;
  ds.uri = "f.nc";
  model::Variable obs, names;
  obs.name = "obs";
  names.name = "names";
  obs.dims = names.dims = {"station"};
  obs.shape = names.shape = {3};
  names.text = TextType{TextType::Kind::fixed_bytes, 8};
  ds.variables = {obs, names};
  return ds;
}

TEST(TakeTextArrays, MovesTextArraysOutInOrder) {
  const model::Dataset ds = dataset();
  std::vector<OutputArray> arrays(2);
  arrays[0].name = arrays[0].source.name = "obs";
  arrays[1].name = "renamed";
  arrays[1].source.name = "names";
  arrays[1].shape = {3};
  arrays[1].dims = {"station"};
  arrays[1].map = IndexMap::identity({3});
  arrays[1].is_coordinate = true;
  arrays[1].text = ds.variables[1].text;
  arrays[1].source.shape = {3};
  const auto text = take_text_arrays(arrays);
  ASSERT_EQ(arrays.size(), 1u);
  EXPECT_EQ(arrays[0].name, "obs");
  ASSERT_EQ(text.size(), 1u);
  EXPECT_EQ(text[0].name, "renamed");
  EXPECT_EQ(text[0].text->width, 8u);
  EXPECT_EQ(text[0].source.shape, model::Shape{3});
  EXPECT_TRUE(text[0].is_coordinate);
}

TEST(RequireDataVariable, CoordinatesAloneAreAnErrorNamingTheGroups) {
  model::Dataset ds = dataset();
  std::vector<OutputArray> arrays(1);
  arrays[0].is_coordinate = true;
  ds.other_groups = {"/g1", "/g1/g2"};
  const Status s = require_data_variable(arrays, ds);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ExitCode::kUsage);
  EXPECT_EQ(s.error().message,
            "f.nc: no data variable to convert in group / (other groups: /g1, /g1/g2); choose one with "
            "\"source\": {\"uri\": ..., \"group\": ...}");
  EXPECT_FALSE(require_data_variable({}, ds).ok());
  arrays.push_back(OutputArray{});  // a data variable
  EXPECT_TRUE(require_data_variable(arrays, ds).ok());
}

}  // namespace
}  // namespace zpmpi::transform
