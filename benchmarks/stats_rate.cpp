// Micro-benchmark of the statistics chunk loop (issue 28's cost), Google Benchmark: ns per
// value of stats::add_chunk on one output chunk of the rechunk case, (24, 145, 288) values
// (1,002,240; 4 MB of float32: beyond L2, as the write's chunks are), ERA5-like t2m
// (250 K + waves + noise), one group:
//   f4        float32, _FillValue NaN, none missing (what the benchmark cases write)
//   f4_gaps   the same with 1 % NaN scattered (every tile has a missing value)
//   f8        float64, _FillValue NaN
//   i2_f8     packed int16, scale 0.002 and offset 270 (decoded in float64), fill -32767
//   i2_f4     packed int16, scale 0.002 only (decoded in float32, as xarray does)
// and, for before/after in the same run, `per_value_*`: the loop before the row kernel
// (commit 1256c6d: each value masked, decoded and added to ChunkAccumulator::add alone),
// copied here. The figure to read is the counter s/value (CPU time per value, "0.76n": 0.76 ns).
//
// Build and run: cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DZPMPI_BENCHMARKS=ON &&
//   cmake --build build-bench --target stats_rate && build-bench/benchmarks/stats_rate
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <vector>

#include "zpmpi/stats/chunk_statistics.hpp"

namespace {

using namespace zpmpi;

const model::Shape kChunk{24, 145, 288};

model::ArrayLayout layout(model::DType dtype) {
  model::ArrayLayout a;
  a.name.assign(3, 'v');
  a.dtype = dtype;
  a.shape = kChunk;
  a.chunks = kChunk;
  return a;
}

/// The chunk's values in kelvin, C order; `gaps`: 1 % NaN.
std::vector<double> field(bool gaps) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 0.05);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> xs;
  for (model::Index t = 0; t < kChunk[0]; ++t)
    for (model::Index y = 0; y < kChunk[1]; ++y)
      for (model::Index x = 0; x < kChunk[2]; ++x) {
        const double v = 250 + 30 * std::cos(y * 0.02) + 5 * std::sin(x * 0.05 + t * 0.2) + noise(rng);
        xs.push_back(gaps && u(rng) < 0.01 ? NAN : v);
      }
  return xs;
}

template <class T>
std::vector<std::byte> stored(const std::vector<double>& xs, double scale, double offset) {
  std::vector<std::byte> raw(xs.size() * sizeof(T));
  for (std::size_t i = 0; i < xs.size(); ++i) {
    T v;
    if constexpr (std::is_integral_v<T>) v = std::isnan(xs[i]) ? T(-32767) : static_cast<T>(std::lround((xs[i] - offset) / scale));
    else v = static_cast<T>(xs[i]);
    std::memcpy(raw.data() + i * sizeof(T), &v, sizeof(T));
  }
  return raw;
}

struct Case {
  model::DType dtype;
  stats::ValueDecoding decoding;
  std::vector<std::byte> raw;
};

Case make_case(const std::string& name) {
  Case c;
  const bool gaps = name == "f4_gaps";
  const std::vector<double> xs = field(gaps);
  c.decoding.missing = {NAN};
  if (name == "f4" || name == "f4_gaps") c.dtype = model::DType::f4, c.raw = stored<float>(xs, 1, 0);
  if (name == "f8") c.dtype = model::DType::f8, c.raw = stored<double>(xs, 1, 0);
  if (name == "i2_f8" || name == "i2_f4") {
    c.dtype = model::DType::i2;
    c.decoding.missing = {-32767};
    c.decoding.scale_factor = 0.002;
    if (name == "i2_f8") c.decoding.add_offset = 270;
    c.decoding.scaled_in_float32 = name == "i2_f4";
    c.raw = stored<std::int16_t>(xs, 0.002, name == "i2_f8" ? 270 : 0);
  }
  c.decoding.dtype = c.dtype;
  return c;
}

void set_rate(benchmark::State& state) {
  const double n = static_cast<double>(model::num_elements(kChunk));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  // CPU seconds per value, printed with an SI prefix: "s/value=0.76n" is 0.76 ns
  state.counters["s/value"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void add_chunk_rate(benchmark::State& state, const std::string& name) {
  const Case c = make_case(name);
  const model::ArrayLayout a = layout(c.dtype);
  const stats::Selection all{{}, {{0, kChunk[0]}, {0, kChunk[1]}, {0, kChunk[2]}}};
  for (auto _ : state) {
    std::vector<stats::Moments> groups(1);
    stats::add_chunk(a, c.decoding, all, {0, 0, 0}, c.raw, groups);
    benchmark::DoNotOptimize(groups);
  }
  set_rate(state);
}

// ---- before: the per-value loop of commit 1256c6d, copied (chunk_statistics.cpp) ----

template <class T>
double decoded(T v, const stats::ValueDecoding& d) {
  if (!d.scale_factor && !d.add_offset) return static_cast<double>(v);
  if (d.scaled_in_float32) {
    float x = static_cast<float>(v);
    if (d.scale_factor) x *= static_cast<float>(*d.scale_factor);
    if (d.add_offset) x += static_cast<float>(*d.add_offset);
    return x;
  }
  double x = static_cast<double>(v);
  if (d.scale_factor) x *= *d.scale_factor;
  if (d.add_offset) x += *d.add_offset;
  return x;
}

template <class T>
class Mask {
 public:
  explicit Mask(const stats::ValueDecoding& d) : plain_(!d.scale_factor && !d.add_offset) {
    for (const double m : d.missing)
      if (!std::isnan(m)) values_.push_back(static_cast<std::conditional_t<std::is_same_v<T, float>, float, double>>(m));
  }
  bool masked(T v) const {
    bool is = false;
    if constexpr (std::is_floating_point_v<T>) is = std::isnan(v);
    for (const auto m : values_) is |= (std::is_same_v<T, float> ? v == m : static_cast<double>(v) == m);
    return is;
  }
  std::optional<double> value(T v, const stats::ValueDecoding& d) const {
    if (plain_) return static_cast<double>(v);
    const double x = decoded(v, d);
    return std::isnan(x) ? std::nullopt : std::optional(x);
  }

 private:
  std::vector<std::conditional_t<std::is_same_v<T, float>, float, double>> values_;
  bool plain_;
};

template <class T>
void per_value_rows(const Case& c, stats::ChunkAccumulator& acc, std::uint64_t& missing) {
  const Mask<T> mask(c.decoding);
  const model::Index row = kChunk[2], rows = model::num_elements(kChunk) / row;
  for (model::Index r = 0; r < rows; ++r) {
    stats::ChunkAccumulator local = acc;
    std::uint64_t miss = 0;
    const std::byte* p = c.raw.data() + r * row * sizeof(T);
    for (model::Index j = 0; j < row; ++j) {
      T v;
      std::memcpy(&v, p + j * sizeof(T), sizeof(T));
      const std::optional<double> x = mask.masked(v) ? std::nullopt : mask.value(v, c.decoding);
      if (x) local.add(*x);
      else ++miss;
    }
    acc = local;
    missing += miss;
  }
}

void per_value_rate(benchmark::State& state, const std::string& name) {
  const Case c = make_case(name);
  for (auto _ : state) {
    stats::ChunkAccumulator acc;
    std::uint64_t missing = 0;
    if (c.dtype == model::DType::f4) per_value_rows<float>(c, acc, missing);
    if (c.dtype == model::DType::f8) per_value_rows<double>(c, acc, missing);
    if (c.dtype == model::DType::i2) per_value_rows<std::int16_t>(c, acc, missing);
    stats::Moments m;
    m.add(acc.moments());
    m.add_missing(missing);
    benchmark::DoNotOptimize(m);
  }
  set_rate(state);
}

}  // namespace

int main(int argc, char** argv) {
  for (const char* name : {"f4", "f4_gaps", "f8", "i2_f8", "i2_f4"}) {
    benchmark::RegisterBenchmark((std::string("per_value_") + name).c_str(), per_value_rate, std::string(name))
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string("add_chunk_") + name).c_str(), add_chunk_rate, std::string(name))
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
