// Resource bounds of a plan: max_chunks (refused from shapes alone, before any stage that
// loops over units), and warnings about many small chunk files.
#include "zpmpi/plan/chunk_warnings.hpp"

#include "plan_test_util.hpp"

namespace zpmpi::plan {
namespace {

using namespace testing;

PlanOptions with_max_chunks(std::uint64_t max_chunks, int jobs = 4) {
  PlanOptions o = opts(jobs, jobs);
  o.max_chunks = max_chunks;
  return o;
}

// Issue 10, defect 7: 1024^2 chunks of a 2^28 x 2^28 variable (2^36 chunks) planned for
// minutes. The count is arithmetic on the shapes, so the refusal is immediate.
TEST(MaxChunks, AHugeChunkCountIsRefusedFromTheShapes) {
  const Index n = Index{1} << 28;
  auto p = make_plan({spec("v", {n, n}, {1024, 1024}, {1024, 1024}, model::DType::u1)}, opts(4, 4));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message,
            "the plan has 68719476736 chunks, more than max_chunks 10000000 (array v: [262144, 262144] chunks of "
            "[1024, 1024]); choose larger chunks, or raise max_chunks if that many files are intended");
  EXPECT_EQ(p.error().code, ExitCode::kUsage);
}

TEST(MaxChunks, CountsEveryArrayAndNamesTheLargest) {
  const std::vector<model::ArrayLayout> specs = {spec("a", {10, 10}, {1, 1}, {10, 10}), spec("b", {30}, {1}, {30}),
                                        spec("empty", {0, 5}, {1, 1}, {1, 5})};
  EXPECT_TRUE(make_plan(specs, with_max_chunks(130)).ok());  // 100 + 30 + 0
  auto p = make_plan(specs, with_max_chunks(129));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message.substr(0, 74),
            "the plan has 130 chunks, more than max_chunks 129 (array a: [10, 10] chunk");
  auto zero = make_plan(specs, with_max_chunks(0));
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().message, "max_chunks must be at least 1, got 0");
}

TEST(MaxChunks, TravelsWithThePlan) {
  auto p = make_plan({spec("v", {100}, {1}, {1})}, with_max_chunks(100));
  ASSERT_TRUE(p.ok());
  auto back = plan_from_json(plan_to_json(*p));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->options.max_chunks, 100u);
  EXPECT_EQ(*back, *p);
}

TEST(SmallChunkWarnings, NameTheArrayTheChunkBytesAndTheCount) {
  auto p = make_plan({spec("tiny", {1000, 1000, 1000}, {1, 1, 1000}, {1, 1, 1000}),     // 10^6 x 4000 B
                      spec("few", {100, 1000}, {1, 1000}, {1, 1000}),                     // 100 x 4000 B
                      spec("edge", {10001, 250000}, {1, 250000}, {1, 250000}),            // 10001 x 1 MB
                      spec("just", {10001, 249999}, {1, 249999}, {1, 249999}),            // 10001 x 999996 B
                      spec("limit", {10000, 1000}, {1, 1000}, {1, 1000})},                // 10^4 x 4000 B
                     opts(4, 4, 100'000'000'000ULL));
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto w = small_chunk_warnings(*p);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], "array tiny: 1000000 chunk files of 4000 bytes each (uncompressed, chunks [1, 1, 1000]); a "
                  "parallel file system handles chunks of 1 MB or more far better: consider larger chunks");
  EXPECT_EQ(w[1].substr(0, 54), "array just: 10001 chunk files of 999996 bytes each (un");
}

// Issue 25, item 12: `zpmpi plan` on a huge grid ignored SIGTERM for minutes. The planner
// asks its StopCheck during the one pass over all units and returns its error at once.
TEST(StopCheck, EndsPlanningWithItsErrorAtTheNextQuestion) {
  const Index n = 4'000'000;  // 4M one-element units
  int asked = 0;
  const StopCheck stop = [&]() -> Status {
    if (++asked < 3) return {};
    return Error{"interrupted by SIGTERM while planning", ExitCode::kInterrupted};
  };
  auto p = make_plan({spec("v", {n}, {1}, {1}, model::DType::u1)}, with_max_chunks(n, 1), stop);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "interrupted by SIGTERM while planning");
  EXPECT_EQ(p.error().code, ExitCode::kInterrupted);
  EXPECT_EQ(asked, 3);  // stopped at the third question, not after the whole pass
}

TEST(StopCheck, IsAskedEveryStopCheckEveryUnitsAndChangesNothing) {
  const Index n = 3 * kStopCheckEvery + 5;
  int asked = 0;
  const StopCheck never = [&]() -> Status {
    ++asked;
    return {};
  };
  const std::vector<model::ArrayLayout> specs = {spec("v", {n}, {1}, {1}, model::DType::u1)};
  auto with = make_plan(specs, with_max_chunks(n, 2), never);
  auto without = make_plan(specs, with_max_chunks(n, 2));
  ASSERT_TRUE(with.ok() && without.ok());
  EXPECT_EQ(*with, *without);
  EXPECT_EQ(asked, 3);
}

TEST(StopCheck, ForEachBatchWhileStopsWhenAsked) {
  auto p = make_plan({spec("v", {100}, {1}, {1})}, with_max_chunks(100, 1));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->regions.size(), 1u);
  int seen = 0;
  EXPECT_FALSE(for_each_batch_while(*p, p->regions[0], [&](const Batch&) { return ++seen < 1; }));
  EXPECT_EQ(seen, 1);
  EXPECT_TRUE(for_each_batch_while(*p, p->regions[0], [&](const Batch&) { return true; }));
}

}  // namespace
}  // namespace zpmpi::plan
