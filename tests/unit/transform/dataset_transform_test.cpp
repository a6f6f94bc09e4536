#include "zpmpi/transform/dataset_transform.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace zpmpi::transform {
namespace {

/// time 10 (hours since 2000-01-01, gregorian), latitude 7 descending 30..-30, lon 8 ascending 0..315.
model::Dataset dataset() {
  model::Dataset ds;
  ds.uri = "x.nc";
  ds.dims = {{"time", 10, true}, {"latitude", 7, false}, {"longitude", 8, false}};
  auto var = [](std::string name, std::vector<std::string> dims, model::Shape shape, model::Shape chunks) {
    model::Variable v;
    v.name = std::move(name);
    v.dims = std::move(dims);
    v.shape = shape;
    v.source_chunks = chunks;
    v.chunked = true;
    return v;
  };
  ds.variables = {var("time", {"time"}, {10}, {10}), var("latitude", {"latitude"}, {7}, {7}),
                  var("longitude", {"longitude"}, {8}, {8}),
                  var("t2m", {"time", "latitude", "longitude"}, {10, 7, 8}, {5, 7, 4})};
  ds.variables[0].attributes = {{"units", {std::string("hours since 2000-01-01 00:00:00"), std::nullopt}},
                                {"calendar", {std::string("gregorian"), std::nullopt}}};
  return ds;
}

std::map<std::string, std::vector<double>> coords() {
  return {{"time", {0, 6, 12, 18, 24, 30, 36, 42, 48, 54}},
          {"latitude", {30, 20, 10, 0, -10, -20, -30}},
          {"longitude", {0, 45, 90, 135, 180, 225, 270, 315}}};
}

std::vector<std::int64_t> image(const DimState& s) {
  std::vector<std::int64_t> v;
  for (Index i = 0; i < s.map.length(); ++i) v.push_back(s.map.source_index(i));
  return v;
}

Result<DimStates> run(std::vector<Step> steps) { return apply_preprocessors(dataset(), coords(), steps); }

TEST(ApplyPreprocessors, SelIsLabelInclusiveInTheCoordinatesOrder) {
  auto s = run({{"p[0]", Sel{{{"latitude", LabelRange{20.0, -10.0}}, {"longitude", LabelRange{40.0, 180.0}}}}}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(image(*s->find("latitude")), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(image(*s->find("longitude")), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(s->find("latitude")->selected);
  EXPECT_FALSE(s->find("time")->selected);
}

TEST(ApplyPreprocessors, ReverseThenSelOnADescendingCoordinate) {
  auto s = run({{"p[0]", ReverseAxis{"latitude"}}, {"p[1]", Sel{{{"latitude", LabelRange{-20.0, 10.0}}}}}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(image(*s->find("latitude")), (std::vector<std::int64_t>{5, 4, 3, 2}));
}

TEST(ApplyPreprocessors, TimeLabelsAndDateOnlyStopsCoverTheDay) {
  auto s = run({{"p[0]", Sel{{{"time", LabelRange{std::string("2000-01-01 06:00"), std::string("2000-01-01")}}}}}});
  // As pandas: a date-only stop covers its day, so 06:00 .. "2000-01-01" is 06:00, 12:00, 18:00.
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(image(*s->find("time")), (std::vector<std::int64_t>{1, 2, 3}));
  auto t = run({{"p[0]", Sel{{{"time", LabelRange{std::string("2000-01-01 06:00"), std::string("2000-01-02")}}}}}});
  ASSERT_TRUE(t.ok()) << t.error().message;
  // 06:00 .. 2000-01-02 23:59:59 -> hours 6..42.
  EXPECT_EQ(image(*t->find("time")), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7}));
  auto nearest = run({{"p[0]", Sel{{{"time", Label{std::string("2000-01-01 13:00")}}}}}});
  ASSERT_TRUE(nearest.ok());
  EXPECT_EQ(nearest->find("time")->map.fixed, 2u);
}

// The statistics' window (issue 28): the output indexes sel would keep, after the job's
// own steps (here an isel from the second step and a reversal).
// (The first version pointed into a destroyed result: a garbage end.)
TEST(SelWindow, IsTheOutputRangeSelWouldKeepAfterTheJobsSteps) {
  const std::vector<Step> steps{{"p[0]", Isel{{{"time", PySlice{1, std::nullopt, std::nullopt}}}}},
                                {"p[1]", ReverseAxis{"time"}}};
  // Output time (reversed, from hour 54 down to hour 6): indexes 0..8 are hours 54, 48, ..., 6.
  auto w = sel_window(dataset(), coords(), steps, "statistics", "time",
                      LabelRange{std::string("2000-01-02 12:00"), std::string("2000-01-01 12:00")});
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(*w, (std::pair<Index, Index>{3, 8}));  // hours 36, 30, 24, 18, 12
  // The same as the sel appended to the steps keeps.
  std::vector<Step> with_sel = steps;
  with_sel.push_back({"p[2]", Sel{{{"time", LabelRange{std::string("2000-01-02 12:00"), std::string("2000-01-01 12:00")}}}}});
  auto before = run(steps), after = run(with_sel);
  ASSERT_TRUE(before.ok() && after.ok());
  const auto all = image(*before->find("time"));
  EXPECT_EQ(image(*after->find("time")), std::vector<std::int64_t>(all.begin() + 3, all.begin() + 8));
  auto none = sel_window(dataset(), coords(), {}, "statistics", "time",
                         LabelRange{std::string("2000-01-01 01:00"), std::string("2000-01-01 02:00")});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message.rfind("statistics.time: ", 0), 0u) << none.error().message;
}

/// Issue 25.5: a label halfway between two coordinates goes where pandas' nearest puts it,
/// to the larger coordinate, on ascending and descending coordinates alike.
TEST(ApplyPreprocessors, NearestBreaksTiesTowardTheLargerCoordinate) {
  auto fixed = [](const std::string& dim, Label label) {
    auto s = run({{"p[0]", Sel{{{dim, label}}}}});
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? s->find(dim)->map.fixed.value_or(99) : 99;
  };
  EXPECT_EQ(fixed("longitude", 22.5), 1u);   // 0, 45 (ascending): 45
  EXPECT_EQ(fixed("longitude", 292.5), 7u);  // 270, 315: 315
  EXPECT_EQ(fixed("latitude", 25.0), 0u);    // 30, 20 (descending): 30
  EXPECT_EQ(fixed("latitude", -25.0), 5u);   // -20, -30: -20
  EXPECT_EQ(fixed("latitude", -24.0), 5u);   // not a tie: the nearer
  EXPECT_EQ(fixed("time", std::string("2000-01-01 03:00")), 1u);  // 00:00, 06:00: 06:00
  auto reversed = run({{"p[0]", ReverseAxis{"latitude"}}, {"p[1]", Sel{{{"latitude", Label{25.0}}}}}});
  ASSERT_TRUE(reversed.ok());
  EXPECT_EQ(reversed->find("latitude")->map.fixed, 0u);  // ascending -30..30 after the reversal: 30
}

/// Follow-up of issue 25: with "method": "nearest", sel is xarray's: a label outside the
/// coordinate takes its edge (pandas' get_indexer), on descending and time coordinates too;
/// without a method the label stays refused, naming the remedy.
TEST(ApplyPreprocessors, NearestMethodTakesTheEdgeOutsideTheRange) {
  auto fixed = [](const std::string& dim, Label label) {
    auto s = run({{"p[0]", Sel({{dim, label}}, true)}});
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? s->find(dim)->map.fixed.value_or(99) : 99;
  };
  EXPECT_EQ(fixed("latitude", 100.0), 0u);   // descending 30 .. -30: 30
  EXPECT_EQ(fixed("latitude", -100.0), 6u);  // -30
  EXPECT_EQ(fixed("longitude", 1000.0), 7u);
  EXPECT_EQ(fixed("longitude", -1.0), 0u);
  EXPECT_EQ(fixed("time", std::string("1999-01-01")), 0u);
  EXPECT_EQ(fixed("time", std::string("2001-01-01 12:00")), 9u);
  auto refused = run({{"p[0]", Sel({{"latitude", Label{100.0}}})}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "p[0].latitude: 100 is outside latitude (30 .. -30) (with \"method\": \"nearest\" it takes the nearest "
            "edge, as xarray's sel)");
}

/// ds.sel(latitude=[100, 25, 24, -5, 25], method="nearest"): the dim is kept, one element
/// per label in the list's order, repeats included, ties as for a scalar.
TEST(ApplyPreprocessors, NearestMethodLabelListsKeepTheDim) {
  auto s = run({{"p[0]", Sel({{"latitude", LabelList{100.0, 25.0, 24.0, -5.0, 25.0}},
                              {"time", LabelList{std::string("2000-01-01 10:00"), std::string("1999-12-01")}}},
                             true)}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_FALSE(s->find("latitude")->map.fixed);
  EXPECT_EQ(image(*s->find("latitude")), (std::vector<std::int64_t>{0, 0, 1, 3, 0}));
  EXPECT_EQ(image(*s->find("time")), (std::vector<std::int64_t>{2, 0}));
  EXPECT_TRUE(s->find("latitude")->selected);
}

/// tolerance: a number in the coordinate's units, a duration for a time coordinate; a
/// label farther than it from every coordinate is an error naming it (xarray's KeyError).
TEST(ApplyPreprocessors, NearestMethodTolerance) {
  auto sel = [](DimIndexer ix, Label tolerance) { return run({{"p[0]", Sel({std::move(ix)}, true, tolerance)}}); };
  auto within = sel({"latitude", Label{13.0}}, 3.0);
  ASSERT_TRUE(within.ok()) << within.error().message;
  EXPECT_EQ(within->find("latitude")->map.fixed, 2u);
  auto hours = sel({"time", Label{std::string("2000-01-01 04:00")}}, std::string("2h"));
  ASSERT_TRUE(hours.ok()) << hours.error().message;
  EXPECT_EQ(hours->find("time")->map.fixed, 1u);
  auto expect = [](const Result<DimStates>& s, const std::string& message) {
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, message);
    EXPECT_EQ(s.error().code, ExitCode::kUsage);
  };
  expect(sel({"latitude", Label{13.0}}, 2.0),
         "p[0].latitude: no latitude within tolerance 2 of 13 (the nearest is 10; as xarray: KeyError)");
  expect(sel({"latitude", LabelList{20.0, 100.0}}, 2.0),
         "p[0].latitude: no latitude within tolerance 2 of 100 (the nearest is 30; as xarray: KeyError)");
  expect(sel({"time", Label{std::string("2000-01-01 04:00")}}, std::string("1 hour")),
         "p[0].time: no time within tolerance \"1 hour\" of \"2000-01-01 04:00\" (the nearest is 6; as xarray: KeyError)");
  expect(sel({"time", Label{std::string("2000-01-01 04:00")}}, 2.0),
         "p[0].time: tolerance 2 for the time coordinate time must be a duration such as \"2h\"");
  expect(sel({"latitude", Label{13.0}}, std::string("2h")),
         "p[0].latitude: tolerance \"2h\" must be a number for latitude (a duration is for a time coordinate)");
  expect(sel({"latitude", Label{13.0}}, -1.0), "p[0].latitude: tolerance -1 must not be negative");
}

TEST(ApplyPreprocessors, IselSlicesRollsAndDrops) {
  auto s = run({{"p[0]", Isel{{{"time", PySlice{-4, std::nullopt, -2}}, {"latitude", std::int64_t{-1}}}}},
                {"p[1]", Roll{"longitude", -3}}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(image(*s->find("time")), (std::vector<std::int64_t>{6, 4, 2, 0}));
  EXPECT_EQ(s->find("latitude")->map.fixed, 6u);
  EXPECT_EQ(image(*s->find("longitude")), (std::vector<std::int64_t>{3, 4, 5, 6, 7, 0, 1, 2}));
}

TEST(ApplyPreprocessors, ErrorsNameTheStepAndDim) {
  auto expect = [](std::vector<Step> steps, const std::string& message) {
    auto s = run(std::move(steps));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, message);
    EXPECT_EQ(s.error().code, ExitCode::kUsage);
  };
  expect({{"p[0]", Isel{{{"height", std::int64_t{0}}}}}}, "p[0]: no dimension 'height' (dims: time, latitude, longitude)");
  expect({{"p[0]", Isel{{{"time", std::int64_t{10}}}}}}, "p[0].time: index 10 is out of range for length 10");
  expect({{"p[0]", Sel{{{"latitude", LabelRange{-10.0, 20.0}}}}}},
         "p[0].latitude: [-10, 20] selects nothing from latitude (30 .. -30)");
  expect({{"p[0]", Sel{{{"longitude", LabelRange{0.0, 400.0}}}}}}, "p[0].longitude: 400 is outside longitude (0 .. 315)");
  expect({{"p[0]", Sel{{{"latitude", Label{std::string("2000-01-01")}}}}}},
         "p[0].latitude: \"2000-01-01\" is a date but latitude has no CF time units");
  // Issue 25.5: NaN, as a number or as JSON's only spelling of it, a string.
  expect({{"p[0]", Sel{{{"latitude", Label{std::string("NaN")}}}}}}, "p[0].latitude: the label \"NaN\" is not a number");
  expect({{"p[0]", Sel{{{"latitude", Label{std::nan("")}}}}}}, "p[0].latitude: the label nan is not a number");
  expect({{"p[0]", Sel{{{"longitude", LabelRange{0.0, std::string("nan")}}}}}},
         "p[0].longitude: the label \"nan\" is not a number");
  expect({{"p[0]", Roll{"longitude", 2}}, {"p[1]", Sel{{{"longitude", LabelRange{0.0, 90.0}}}}}},
         "p[1].longitude: coordinate longitude is not monotonic");
}

TEST(Recommendations, MisalignedSelectionsOnly) {
  auto states = run({{"p[0]", Isel{{{"time", PySlice{2, 9, std::nullopt}}, {"longitude", PySlice{4, 8, std::nullopt}}}}}});
  ASSERT_TRUE(states.ok());
  auto arrays = choose_arrays(dataset(), std::vector<VariableChoice>{{"t2m", ""}});
  ASSERT_TRUE(arrays.ok());
  apply_dim_states(*arrays, *states);
  EXPECT_EQ((*arrays)[0].shape, (model::Shape{7, 7, 4}));
  const auto recs = recommendations(*arrays, *states);
  ASSERT_EQ(recs.size(), 1u);  // longitude 4..8 is aligned to its chunks of 4
  EXPECT_EQ(recs[0].dim, "time");
  EXPECT_EQ(recs[0].start, 2u);
  EXPECT_EQ(recs[0].stop, 9u);
  EXPECT_EQ(recs[0].aligned_start, 0u);
  EXPECT_EQ(recs[0].aligned_stop, 10u);
  EXPECT_DOUBLE_EQ(recs[0].amplification, 10.0 / 7.0);
  EXPECT_NE(recs[0].text.find("nearest aligned: [0, 10) = time 0 .. 54"), std::string::npos) << recs[0].text;
}

TEST(ApplyDimStates, DroppedDimsBecomeScalarCoordinates) {
  auto states = run({{"p[0]", Isel{{{"time", std::int64_t{3}}}}}});
  ASSERT_TRUE(states.ok());
  auto arrays = choose_arrays(dataset(), std::nullopt);
  ASSERT_TRUE(arrays.ok());
  apply_dim_states(*arrays, *states);
  const OutputArray& t2m = (*arrays)[0];
  EXPECT_EQ(t2m.dims, (std::vector<std::string>{"latitude", "longitude"}));
  ASSERT_NE(t2m.attributes.size(), 0u);
  EXPECT_EQ(t2m.attributes.back().name, "coordinates");
  EXPECT_EQ(std::get<std::string>(t2m.attributes.back().value.data), "time");
  const OutputArray& time = (*arrays)[1];
  EXPECT_EQ(time.name, "time");
  EXPECT_TRUE(time.shape.empty());
  EXPECT_EQ(time.map.dims[0].fixed, 3u);
}

}  // namespace
}  // namespace zpmpi::transform
