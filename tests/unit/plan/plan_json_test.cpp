// The plan's JSON: exact round trip (64-bit numbers, every fill value kind, index maps),
// determinism, and runtime errors for anything malformed.
#include <cmath>
#include <cstring>
#include <limits>

#include "plan_test_util.hpp"

namespace zpmpi::plan {
namespace {

using namespace testing;

Result<RegionPlan> sample_plan() {
  auto s = spec("t2m", {30, 37, 72}, {4, 10, 20}, {7, 10, 16});
  s.fill_value = model::Scalar{9.969209968386869e+36};  // netCDF's default float fill
  auto packed = spec("d2m", {30, 37, 72}, {4, 10, 20}, {5, 37, 72}, model::DType::i2);
  packed.fill_value = model::Scalar{std::int64_t{-32767}};
  auto u = spec("flags", {30}, {30}, {30}, model::DType::u8);
  u.fill_value = model::Scalar{std::uint64_t{18446744073709551615ULL}};
  auto rolled = spec("sst", {30, 72}, {10, 72}, {10, 72}, model::DType::f8);
  rolled.map.dims[1].segments = {{0, 36, 36, 1}, {36, 36, 0, 1}};
  rolled.map.dims.insert(rolled.map.dims.begin(), model::DimMap::at(3));
  rolled.source.shape = {5, 30, 72};
  rolled.source.chunks = {1, 10, 72};
  rolled.source.chunked = false;
  rolled.source.name = "sea_surface_temperature";
  rolled.fill_value = model::Scalar{-0.0};
  // Tiled (latitude 37 by 10 and longitude 72 by 16, padded) after a fixed time index.
  auto tiled = spec("tiles", {20, 10, 16}, {1, 10, 16}, {1, 10, 16});
  tiled.map = model::IndexMap::identity({30, 37, 72});
  tiled.map.dims[0] = model::DimMap::at(2);
  tiled.map.tile = model::TileStage{{4, 5}, {0, 1}, {10, 16}};
  tiled.source.name = "t2m";
  tiled.source.shape = {30, 37, 72};
  tiled.source.chunks = {7, 10, 16};
  tiled.fill_value = model::Scalar{-1e20};
  // expand_dims: sst(time 30, longitude 72) with a new dim of 3 between them.
  auto expanded = spec("members", {30, 72}, {10, 72}, {10, 72});
  expanded.map.new_dims = {3};
  expanded.map.order = {0, 2, 1};
  expanded.shape = {30, 3, 72};
  expanded.chunks = {10, 1, 72};
  expanded.alignment = {10, 3, 72};
  return make_plan({s, packed, u, rolled, spec("scalar", {}, {}, {}), spec("empty", {0, 3}, {1, 3}, {1, 3}), tiled,
                    expanded},
                   opts(5, 2, 50'000, 2));
}

TEST(PlanJson, RoundTripsExactly) {
  auto a = sample_plan();
  ASSERT_TRUE(a.ok()) << a.error().message;
  const std::string text = plan_to_json(*a);
  auto back = plan_from_json(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *a);
  EXPECT_EQ(plan_to_json(*back), text);
  // -0.0 == 0.0, so check the sign bit of the round-tripped fill by hand.
  EXPECT_TRUE(std::signbit(std::get<double>(*back->arrays[3].layout.fill_value)));
}

TEST(PlanJson, ShardsRoundTripAndAreCheckedOnTheWayIn) {
  auto s = spec("t2m", {30, 37, 72}, {4, 10, 20}, {4, 10, 20});
  s.shards = {8, 40, 80};  // past the shape at the edge, like a chunk
  auto p = make_plan({s, spec("time", {30}, {30}, {30})}, opts(3, 2));
  ASSERT_TRUE(p.ok()) << p.error().message;
  const std::string text = plan_to_json(*p);
  EXPECT_NE(text.find(R"("shards":[8,40,80])"), std::string::npos);
  EXPECT_NE(text.find(R"("shards":[])"), std::string::npos);  // the unsharded array
  auto back = plan_from_json(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *p);
  EXPECT_EQ(back->arrays[0].layout.shards, (Shape{8, 40, 80}));
  std::string bad = text;
  bad.replace(bad.find(R"("shards":[8,40,80])"), 18, R"("shards":[6,40,80])");
  auto refused = plan_from_json(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("shards [6, 40, 80] must be a positive multiple of chunks"), std::string::npos)
      << refused.error().message;
}

TEST(PlanJson, IsCompactAndKeepsFillKinds) {
  auto a = sample_plan();
  ASSERT_TRUE(a.ok());
  const std::string text = plan_to_json(*a);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.find(": "), std::string::npos);
  EXPECT_NE(text.find(R"("fill_value":{"i":-32767})"), std::string::npos);
  EXPECT_NE(text.find(R"("fill_value":{"u":18446744073709551615})"), std::string::npos);
  EXPECT_NE(text.find(R"("fill_value":{"f":"9.969209968386869e+36"})"), std::string::npos);
  EXPECT_NE(text.find(R"("dtype":"i2")"), std::string::npos);
  EXPECT_NE(text.find(R"({"fixed":3})"), std::string::npos);
}

TEST(PlanJson, DeterministicPlans) {
  auto a = sample_plan(), b = sample_plan();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(plan_to_json(*a), plan_to_json(*b));
}

TEST(PlanJson, NonFiniteAndAwkwardDoubles) {
  const double values[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(), 5e-324, 1.7976931348623157e308,
                           0.1, 1.3927926388013963e-143, 5.409760742964738e124, 1e23, -1.0};
  for (double v : values) {
    auto s = spec("v", {4}, {2}, {2}, model::DType::f8);
    s.fill_value = model::Scalar{v};
    auto p = make_plan({s}, opts(1, 1));
    ASSERT_TRUE(p.ok());
    auto back = plan_from_json(plan_to_json(*p));
    ASSERT_TRUE(back.ok()) << back.error().message;
    const double w = std::get<double>(*back->arrays[0].layout.fill_value);
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(w));
    } else {
      EXPECT_EQ(std::memcmp(&v, &w, sizeof v), 0) << v;
    }
  }
}

TEST(PlanJson, SixtyFourBitNumbersStayExact) {
  const Index big = 3'000'000'000ULL;
  auto p = make_plan({spec("v", {big, 200'000}, {1'000'000, 1000}, {1'000'000, 1000}, model::DType::f8)},
                     opts(4096, 4096, 18'000'000'000'000'000'000ULL));
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto back = plan_from_json(plan_to_json(*p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *p);
  EXPECT_EQ(back->options.memory_limit, 18'000'000'000'000'000'000ULL);
  EXPECT_EQ(back->total_bytes, big * 200'000 * 8);
}

TEST(PlanJson, MalformedInputIsARuntimeError) {
  auto a = sample_plan();
  ASSERT_TRUE(a.ok());
  const std::string good = plan_to_json(*a);
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  const std::vector<std::string> bad{
      "",
      "{",
      "[]",
      R"({"options": 3})",
      replaced(R"("dtype":"i2")", R"("dtype":"x9")"),
      replaced(R"("num_ranks":2)", R"("num_ranks":0)"),
      replaced(R"("num_ranks":2)", R"("num_ranks":99999999999)"),
      replaced(R"("num_jobs":5)", R"("num_jobs":"5")"),
      replaced(R"({"i":-32767})", R"({"q":1})"),
      replaced(R"({"f":"9.969209968386869e+36"})", R"({"f":"nine"})"),
      replaced(R"("regions":[{)", R"("regions":[{"array":9,"unit_begin":0,"unit_end":1,"job":0,"rank":0,"bytes":1},{)"),
      replaced(R"("regions":[{)", R"("regions":[{"array":0,"unit_begin":0,"unit_end":0,"job":0,"rank":0,"bytes":0},{)"),
      replaced(R"("regions":[{)", R"("regions":[{"array":0,"unit_begin":0,"unit_end":1,"job":0,"rank":7,"bytes":0},{)"),
      replaced(R"("regions":[{)", R"("regions":[{"array":0,"unit_begin":0,"unit_end":99999,"job":0,"rank":0,"bytes":0},{)"),
      replaced(R"("regions":[{)", R"("regions":[{"extra":1,)"),
      replaced(R"("unit":[)", R"("unit":[0,)"),
      replaced(R"("batch_chunks":[)", R"("batch_chunks":[1,)"),
      replaced(R"("name":"t2m")", R"("name":"d2m")"),
      replaced(R"(,"total_bytes")", R"(,"total_bytez")"),
      replaced(R"("tile":{"grid":[4,5])", R"("tile":{"grid":[4,0])"),
      replaced(R"("new_dims":[3],"order":[0,2,1])", R"("new_dims":[3],"order":[])"),
      replaced(R"("new_dims":[3],"order":[0,2,1])", R"("new_dims":[3],"order":[0,1])"),
      replaced(R"("new_dims":[3],)", ""),
      replaced(R"("axis":[0,1])", R"("axis":[0,2])"),
      replaced(R"("axis":[0,1])", R"("axis":[0])"),
      replaced(R"("tile":[10,16])", R"("tile":[10,0])"),
      replaced(R"("tile":null)", R"("tile":{"grid":[1],"axis":[0],"tile":[1],"x":1})"),
      replaced(R"("tile":null)", R"("tile":null,"extra":1)"),
  };
  for (const auto& text : bad) {
    auto p = plan_from_json(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.error().code, ExitCode::kRuntime);
    EXPECT_EQ(p.error().message.rfind("plan: ", 0), 0u) << p.error().message;
  }
}

}  // namespace
}  // namespace zpmpi::plan
