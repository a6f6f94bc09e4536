// make_plan's input checks: every bad option or inconsistent spec is a usage error.
#include "plan_test_util.hpp"

namespace zpmpi::plan {
namespace {

using namespace testing;

void expect_usage_error(const Result<RegionPlan>& p, const std::string& text) {
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ExitCode::kUsage);
  EXPECT_NE(p.error().message.find(text), std::string::npos) << p.error().message;
}

TEST(Validate, Options) {
  const auto s = spec("v", {4}, {2}, {4});
  expect_usage_error(make_plan({s}, opts(0, 1)), "num_jobs must be at least 1, got 0");
  expect_usage_error(make_plan({s}, opts(-3, 1)), "num_jobs");
  expect_usage_error(make_plan({s}, opts(1, 0)), "ranks must be at least 1");
  expect_usage_error(make_plan({s}, opts(1, 1, 2'000'000'000, 0)), "workers");
}

TEST(Validate, ChunksMustBePositive) {
  expect_usage_error(make_plan({spec("v", {4}, {0}, {4})}, opts(1, 1)), "array v: chunk sizes must be positive");
  expect_usage_error(make_plan({spec("v", {4, 4}, {1, 1}, {4, 0})}, opts(1, 1)), "chunk sizes must be positive");
}

TEST(Validate, TextArraysAreNeverPlanned) {
  auto s = spec("names", {4}, {4}, {4});
  s.text = model::TextType{model::TextType::Kind::fixed_bytes, 8};
  expect_usage_error(make_plan({s}, opts(1, 1)), "array names: is a text array, written whole by rank 0, never planned");
}

TEST(Validate, RanksMustAgree) {
  expect_usage_error(make_plan({spec("v", {4}, {2, 2}, {4})}, opts(1, 1)), "differ in rank");
  expect_usage_error(make_plan({spec("v", {4}, {2}, {4, 4})}, opts(1, 1)), "differ in rank");
  auto s = spec("v", {4, 4}, {2, 2}, {4, 4});
  s.map = model::IndexMap::identity({4});
  expect_usage_error(make_plan({s}, opts(1, 1)), "differ in rank");
  s = spec("v", {4, 4}, {2, 2}, {4, 4});
  s.source.chunks = {4};
  expect_usage_error(make_plan({s}, opts(1, 1)), "one entry per source dim (2)");
}

TEST(Validate, MapMustProduceTheShape) {
  auto s = spec("v", {4, 4}, {2, 2}, {4, 4});
  s.map = model::IndexMap::identity({4, 5});
  expect_usage_error(make_plan({s}, opts(1, 1)), "output shape [4, 5] is not the shape [4, 4]");
}

TEST(Validate, DroppedSourceDimsAreFine) {
  // A scalar selection drops a source dim: source rank 2, output rank 1.
  auto s = spec("v", {4}, {2}, {4});
  s.map.dims.insert(s.map.dims.begin(), model::DimMap::at(7));
  s.source.shape = {10, 4};
  s.source.chunks = {1, 4};
  auto p = make_plan({s}, opts(2, 2));
  ASSERT_TRUE(p.ok()) << p.error().message;
  expect_exact_cover(*p);
}

TEST(Validate, NamesAreUnique) {
  expect_usage_error(make_plan({spec("v", {4}, {2}, {4}), spec("v", {8}, {2}, {4})}, opts(1, 1)),
                     "array v is listed twice");
}

TEST(Validate, SizesBeyond64Bits) {
  const Index big = 1ULL << 40;
  expect_usage_error(make_plan({spec("v", {big, big}, {big, big}, {big, big})}, opts(1, 1)), "more than 2^64 bytes");
  // Each array fits, together they do not.
  const Index half = 1ULL << 61;
  expect_usage_error(make_plan({spec("a", {half}, {1ULL << 20}, {1ULL << 20}, model::DType::f4),
                                spec("b", {half}, {1ULL << 20}, {1ULL << 20}, model::DType::f4)},
                               opts(1, 1)),
                     "more than 2^64 bytes");
}

TEST(Validate, NoArraysIsAnEmptyPlan) {
  auto p = make_plan({}, opts(4, 2));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->arrays.empty());
  EXPECT_TRUE(p->regions.empty());
  EXPECT_EQ(p->total_bytes, 0u);
}

}  // namespace
}  // namespace zpmpi::plan
