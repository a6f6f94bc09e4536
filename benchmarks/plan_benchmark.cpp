// Micro-benchmark of the planner (Google Benchmark): 4096 ranks x 1e6 output chunks.
//
// One float32 array of shape {1000, 1000, 1000} with output chunks {1, 1, 1000} and equal
// source chunks: 1e6 units of one chunk each, cut into num_jobs = num_ranks = 4096 regions.
// Besides make_plan it times what rank 0 and the other ranks do with the plan next: the
// JSON that is broadcast, its parsing, and finding one rank's regions and batches.
//
// Build and run: cmake -S . -B build-bench -DZPMPI_BENCHMARKS=ON &&
//   cmake --build build-bench --target plan_benchmark && build-bench/benchmarks/plan_benchmark
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>

#include "zpmpi/plan/region_plan.hpp"

namespace {

using namespace zpmpi;

constexpr int kRanks = 4096;

std::vector<model::ArrayLayout> specs() {
  model::ArrayLayout s;
  s.name = s.source.name = "t2m";
  s.dtype = model::DType::f4;
  s.shape = {1000, 1000, 1000};
  s.chunks = {1, 1, 1000};
  s.alignment = {1, 1, 1000};
  s.source.chunked = true;
  s.map = model::IndexMap::identity(s.shape);
  s.source.shape = s.shape;
  s.source.chunks = s.alignment;
  return {s};
}

plan::PlanOptions options() {
  plan::PlanOptions o;
  o.num_jobs = kRanks;
  o.num_ranks = kRanks;
  return o;
}

plan::RegionPlan must_plan() {
  auto p = plan::make_plan(specs(), options());
  if (!p.ok()) {
    std::cerr << "make_plan failed: " << p.error().message << "\n";
    std::abort();
  }
  return std::move(p).value();
}

void BM_MakePlan(benchmark::State& state) {
  const auto arrays = specs();
  const auto opts = options();
  std::size_t regions = 0;
  for (auto _ : state) {
    auto p = plan::make_plan(arrays, opts);
    if (!p.ok()) {
      state.SkipWithError(p.error().message.c_str());
      return;
    }
    regions = p->regions.size();
    benchmark::DoNotOptimize(p);
  }
  state.counters["regions"] = static_cast<double>(regions);
  state.counters["chunks_per_s"] = benchmark::Counter(1e6, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MakePlan)->Unit(benchmark::kMillisecond);

void BM_PlanToJson(benchmark::State& state) {
  const auto p = must_plan();
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto json = plan::plan_to_json(p);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_PlanToJson)->Unit(benchmark::kMillisecond);

void BM_PlanFromJson(benchmark::State& state) {
  const auto json = plan::plan_to_json(must_plan());
  for (auto _ : state) {
    auto p = plan::plan_from_json(json);
    if (!p.ok()) {
      state.SkipWithError(p.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_PlanFromJson)->Unit(benchmark::kMillisecond);

// What one rank does with the plan: find its regions, then walk their batches.
void BM_OneRankBatches(benchmark::State& state) {
  const auto p = must_plan();
  std::size_t batches = 0;
  for (auto _ : state) {
    batches = 0;
    for (const auto& r : plan::regions_of_rank(p, kRanks - 1))
      plan::for_each_batch(p, r, [&](const plan::Batch& b) {
        benchmark::DoNotOptimize(b);
        ++batches;
      });
  }
  state.counters["batches"] = static_cast<double>(batches);
}
BENCHMARK(BM_OneRankBatches)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
