// apply_tiling: output dims, shapes, maps, fills and attributes of the tiled arrays, the
// coarse index coordinates, and every guard with its message.
#include "zpmpi/transform/tiling.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "test_variable.hpp"

namespace zpmpi::transform {
namespace {

/// time 10 (int hours), latitude 7 descending 30..-30, longitude 8 ascending 0..315, level 1;
/// t2m(time, latitude, longitude) f4 with NaN fill, n(time, longitude) i4 without fill,
/// lsm(latitude, longitude), q(time, level, latitude, longitude) f8.
model::Dataset dataset() {
  model::Dataset ds;
  ds.uri = "x.nc";
  ds.dims = {{"time", 10, true}, {"latitude", 7, false}, {"longitude", 8, false}, {"level", 1, false}};
  const auto var = testing::variable;
  ds.variables = {var("time", {"time"}, {10}, model::DType::i4), var("latitude", {"latitude"}, {7}, model::DType::f4),
                  var("longitude", {"longitude"}, {8}, model::DType::f4), var("level", {"level"}, {1}, model::DType::i4),
                  var("t2m", {"time", "latitude", "longitude"}, {10, 7, 8}, model::DType::f4),
                  var("n", {"time", "longitude"}, {10, 8}, model::DType::i4),
                  var("lsm", {"latitude", "longitude"}, {7, 8}, model::DType::f4),
                  var("q", {"time", "level", "latitude", "longitude"}, {10, 1, 7, 8}, model::DType::f8)};
  ds.variables[4].fill_value = model::Scalar{std::nan("")};
  return ds;
}

std::map<std::string, std::vector<double>> coords() {
  return {{"time", {-2147483648.0, 6, 12, 18, 24, 30, 36, 42, 48, 54}},
          {"latitude", {30, 20, 10, 0, -10, -20, -30}},
          {"longitude", {0, 45, 90, 135, 180, 225, 270, 315}},
          {"level", {850}}};
}

struct Tiling;
Result<Tiling> tile(std::vector<std::string> variables, std::vector<Step> steps,
                    const model::Dataset& ds = dataset());

struct Tiling {
  std::vector<OutputArray> arrays;
  std::vector<CoarseIndexArray> coarse;
  std::vector<Recommendation> recommendations;
};

Result<Tiling> tile(std::vector<std::string> variables, std::vector<Step> steps, const model::Dataset& ds) {
  std::vector<VariableChoice> choice;
  for (auto& v : variables) choice.push_back({v, ""});
  Tiling t;
  ZPMPI_ASSIGN_OR_RETURN(t.arrays, choose_arrays(ds, choice));
  ZPMPI_ASSIGN_OR_RETURN(DimStates states, apply_preprocessors(ds, coords(), steps));
  apply_dim_states(t.arrays, states);
  ZPMPI_ASSIGN_OR_RETURN(t.coarse, apply_tiling(t.arrays, {}, states));
  t.recommendations = tiling_recommendations(t.arrays, states);
  return t;
}

const OutputArray& find(const Tiling& t, const std::string& name) {
  for (const auto& a : t.arrays)
    if (a.name == name) return a;
  throw std::runtime_error("no array " + name);
}

void expect_error(const Result<Tiling>& r, const std::string& message) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, message);
  EXPECT_EQ(r.error().code, ExitCode::kUsage);
}

Tiled sizes(std::vector<std::pair<std::string, std::int64_t>> s, TileBoundary b = TileBoundary::kPad) {
  Tiled t;
  t.sizes = std::move(s);
  t.boundary = b;
  return t;
}

TEST(Tiling, PaddedDimsOrderAndMaps) {
  // Sizes listed out of the dataset's order: the grid follows the dataset (time, latitude, longitude).
  auto t = tile({"t2m", "q", "lsm"}, {{"p[0]", sizes({{"longitude", 3}, {"time", 4}, {"latitude", 7}})}});
  ASSERT_TRUE(t.ok()) << t.error().message;
  const auto& t2m = find(*t, "t2m");
  EXPECT_EQ(t2m.dims, (std::vector<std::string>{"batch_dim", "time_fine", "latitude_fine", "longitude_fine"}));
  EXPECT_EQ(t2m.shape, (model::Shape{9, 4, 7, 3}));  // 3 x 1 x 3 tiles
  EXPECT_EQ(t2m.map.tile->grid, (model::Shape{3, 1, 3}));
  EXPECT_EQ(t2m.alignment, (model::Shape{1, 4, 7, 3}));
  EXPECT_TRUE(std::isnan(std::get<double>(*t2m.fill_value)));
  const auto& q = find(*t, "q");
  EXPECT_EQ(q.dims, (std::vector<std::string>{"batch_dim", "time_fine", "level", "latitude_fine", "longitude_fine"}));
  EXPECT_EQ(q.shape, (model::Shape{9, 4, 1, 7, 3}));
  EXPECT_EQ(q.map.tile->axis, (std::vector<std::int64_t>{0, -1, 1, 2}));
  const auto& lsm = find(*t, "lsm");  // broadcast along the time tiles
  EXPECT_EQ(lsm.shape, (model::Shape{9, 7, 3}));
  EXPECT_EQ(lsm.map.tile->axis, (std::vector<std::int64_t>{1, 2}));
  // A padded float without _FillValue pads with NaN; an int coordinate with a value no
  // element holds (the time coordinate holds INT32_MIN here, so the next one).
  EXPECT_TRUE(std::isnan(std::get<double>(*find(*t, "longitude").fill_value)));
  EXPECT_EQ(find(*t, "time").fill_value, (model::Scalar{std::int64_t{-2147483647}}));
  EXPECT_EQ(find(*t, "time").dims, (std::vector<std::string>{"batch_dim", "time_fine"}));
  EXPECT_FALSE(find(*t, "latitude").fill_value);  // 7 = one tile of 7: no padding
  EXPECT_EQ(find(*t, "level").dims, (std::vector<std::string>{"level"}));  // untouched
  EXPECT_FALSE(find(*t, "level").map.tile);
  ASSERT_EQ(t->coarse.size(), 3u);
  EXPECT_EQ(t->coarse[1].array.name, "latitude_coarse");
  EXPECT_EQ(t->coarse[1].axis, 1u);
  EXPECT_EQ(t->coarse[1].array.shape, (model::Shape{9}));
  EXPECT_EQ(t->coarse[1].array.dtype, model::DType::i8);
  // The reverse-lookup attributes, on data variables only.
  auto attr = [&](const OutputArray& a, const std::string& name) -> const model::AttrValue* {
    for (const auto& x : a.attributes)
      if (x.name == name) return &x.value;
    return nullptr;
  };
  ASSERT_TRUE(attr(t2m, "tiler_tile_sizes"));
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(attr(t2m, "tiler_tile_sizes")->data), (std::vector<std::int64_t>{4, 7, 3}));
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(attr(t2m, "tiler_original_sizes")->data),
            (std::vector<std::int64_t>{10, 7, 8}));
  EXPECT_EQ(std::get<std::vector<std::string>>(attr(t2m, "tiler_batch_dims")->data),
            (std::vector<std::string>{"time_coarse", "latitude_coarse", "longitude_coarse"}));
  EXPECT_EQ(std::get<std::string>(attr(t2m, "tiler_boundary")->data), "pad");
  EXPECT_FALSE(attr(find(*t, "time"), "tiler_tile_sizes"));
}

TEST(Tiling, TrimAndExactGrids) {
  auto t = tile({"t2m"}, {{"p[0]", sizes({{"time", 4}, {"longitude", 3}}, TileBoundary::kTrim)}});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(find(*t, "t2m").shape, (model::Shape{4, 4, 7, 3}));  // 2 x 2 tiles, latitude untiled
  EXPECT_FALSE(find(*t, "time").fill_value);  // trimmed: never padded
  auto e = tile({"t2m"}, {{"p[0]", sizes({{"time", 5}, {"longitude", 4}}, TileBoundary::kExact)}});
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(find(*e, "t2m").shape, (model::Shape{4, 5, 7, 4}));
}

TEST(Tiling, AfterReverseAndSel) {
  auto t = tile({"t2m"}, {{"p[0]", ReverseAxis{"latitude"}}, {"p[1]", Sel{{{"latitude", LabelRange{-20.0, 20.0}}}}},
                          {"p[2]", Tiled{{{"latitude", 2}}, TileBoundary::kPad, true, {}}}});
  ASSERT_TRUE(t.ok()) << t.error().message;
  const auto& a = find(*t, "t2m");
  EXPECT_EQ(a.shape, (model::Shape{3, 10, 2, 8}));  // latitude -20..20: 5 rows, 3 tiles
  EXPECT_EQ(a.map.pieces({{2, 0, 0, 0}, {1, 10, 2, 8}})[0].source, (model::Box{{0, 1, 0}, {10, 1, 8}}));  // lat 20
}

TEST(Tiling, Guards) {
  expect_error(tile({"t2m"}, {{"preprocessors[0]", Tiled{{{"latitude", 2}}, TileBoundary::kPad, true, {}}}}),
               "preprocessors[0].latitude: coordinate latitude is not strictly ascending (30 .. -30); reverse it "
               "first ({\"type\": \"reverse_axis\", \"dim\": \"latitude\"}) or set validate_axis_order to false");
  // Rolled by 3: 225 270 315 0 45 ...; tiles of 2: tile 1 holds 315, 0.
  expect_error(tile({"t2m"}, {{"preprocessors[0]", Roll{"longitude", 3}},
                              {"preprocessors[1]", sizes({{"longitude", 2}})}}),
               "preprocessors[1].longitude: tile 1 (of 4 along longitude) crosses a discontinuity of longitude (a "
               "jump of more than 180 inside a tile, period 360); roll or select longitude so that no tile spans it");
  expect_error(tile({"t2m"}, {{"preprocessors[0]", Roll{"longitude", 3}},
                              {"preprocessors[1]", sizes({{"longitude", 8}})}}),
               "preprocessors[1].longitude: tile 0 (of 1 along longitude) crosses a discontinuity of longitude (a "
               "jump of more than 180 inside a tile, period 360); roll or select longitude so that no tile spans it");
  Tiled custom = sizes({{"longitude", 8}});
  custom.discontinuity_periods = {};  // no period: no check
  EXPECT_TRUE(tile({"t2m"}, {{"p[0]", Roll{"longitude", 3}}, {"p[1]", custom}}).ok());
  expect_error(tile({"t2m"}, {{"preprocessors[0]", sizes({{"latitude", 2}}, TileBoundary::kExact)}}),
               "preprocessors[0].latitude: length 7 is not a multiple of the tile 2 (boundary \"exact\")");
  expect_error(tile({"t2m"}, {{"preprocessors[0]", sizes({{"latitude", 8}}, TileBoundary::kTrim)}}),
               "preprocessors[0].latitude: boundary \"trim\" leaves no tile: length 7 is less than the tile 8");
  expect_error(tile({"n"}, {{"preprocessors[0]", sizes({{"time", 3}})}}),
               "preprocessors[0]: tiling pads time (10 = 3 x 3 + 1), and n is an integer variable without "
               "_FillValue (xarray would turn it into floats with NaN padding); use tile sizes that divide the dims, "
               "boundary \"trim\", floats ({\"type\": \"astype\", \"dtype\": \"float32\"} under variables.n), "
               "or leave n out");
  EXPECT_TRUE(tile({"n"}, {{"p[0]", sizes({{"time", 5}})}}).ok());
  expect_error(tile({"lsm"}, {{"preprocessors[0]", sizes({{"time", 2}})}}),
               "preprocessors[0].time: no array to write has the dim time");
  expect_error(tile({"t2m"}, {{"preprocessors[0]", sizes({{"height", 2}})}}),
               "preprocessors[0]: no dimension 'height' (dims: time, latitude, longitude, level)");
  expect_error(tile({"t2m"}, {{"preprocessors[0]", Isel{{{"time", std::int64_t{0}}}}},
                              {"preprocessors[1]", sizes({{"time", 2}})}}),
               "preprocessors[1].time: the dim was dropped by an earlier selection");
}

TEST(Tiling, RecommendsTileSizesAlignedToSourceChunks) {
  model::Dataset ds = dataset();
  ds.variables[4].chunked = true;
  ds.variables[4].source_chunks = {5, 7, 4};  // t2m
  auto t = tile({"t2m"}, {{"p[0]", sizes({{"time", 2}, {"latitude", 3}, {"longitude", 3}})}}, ds);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->recommendations.size(), 2u);  // latitude: one chunk along it, nothing to cut
  // time: tiles [0,2) [2,4) [4,6) [6,8) [8,10) decode 5+5+10+5+5 = 30 rows for 10.
  EXPECT_EQ(t->recommendations[0].text,
            "time: tiles of 2 cut source chunks of 5 (read amplification 3.00); nearest aligned tile size: 1");
  EXPECT_EQ(t->recommendations[0].aligned_tile, 1u);
  // longitude: [0,3) [3,6) [6,8) decode 4+8+4 = 16 for 8; 2 and 4 are as near: the larger.
  EXPECT_EQ(t->recommendations[1].text,
            "longitude: tiles of 3 cut source chunks of 4 (read amplification 2.00); nearest aligned tile size: 4");
  // A unit of the plan holds the tiles that share source chunks: along longitude (tiles of
  // 2 in chunks of 4) the 4 tiles of a row; latitude (one tile of 7 = the chunk) ends it.
  auto grouped = tile({"t2m"}, {{"p[0]", sizes({{"time", 5}, {"latitude", 7}, {"longitude", 2}})}}, ds);
  ASSERT_TRUE(grouped.ok());
  EXPECT_EQ(find(*grouped, "t2m").alignment, (model::Shape{4, 5, 7, 2}));
  EXPECT_EQ(find(*t, "t2m").alignment[0], 45u);  // every tile shares: the whole 5 x 3 x 3 grid
  // Multiples and divisors of the chunk are aligned.
  auto aligned = tile({"t2m"}, {{"p[0]", sizes({{"time", 10}, {"longitude", 2}})}}, ds);
  ASSERT_TRUE(aligned.ok());
  EXPECT_TRUE(aligned->recommendations.empty());
  // Not for an unchunked variable.
  auto contiguous = tile({"t2m"}, {{"p[0]", sizes({{"time", 2}})}});
  ASSERT_TRUE(contiguous.ok());
  EXPECT_TRUE(contiguous->recommendations.empty());
}

}  // namespace
}  // namespace zpmpi::transform
