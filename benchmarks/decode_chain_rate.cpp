// Decode rate of one ERA5-like chunk through DecodeChain, on one core, against the plain
// zlib inflate (libz, what numcodecs.Zlib and HDF5's deflate filter use).
//
// The chunk: 24 x 721 x 1440 float32 (99.7 MB), a smooth field (temperature-like waves
// over latitude, longitude and time) plus Gaussian noise of 0.05 K, stored as numcodecs
// writes filters [shuffle(4)] + compressor zlib(level=1): shuffle, then zlib level 1 with
// libz (numcodecs.Zlib is Python's zlib, i.e. libz: the bytes are the same).
//
// Build and run from the checkout, after the project's build (build/):
//   g++ -O2 -std=c++20 -Iinclude benchmarks/decode_chain_rate.cpp build/libzpmpi_codec.a
//       build/libzpmpi_model.a -ldeflate -lblosc -lzstd -llz4 -lz -lboost_json -o build/decode_chain_rate
//   build/decode_chain_rate [repeats]
// Prints MB/s of decoded bytes (1 MB = 10^6 bytes) per second of the thread's CPU time, the
// median of `repeats` rounds (5) that each run every variant once, for:
//   chain      DecodeChain zlib(level=1) <- shuffle(4): libdeflate inflate + SSE2 unshuffle
//   libz+loop  libz's uncompress, then a byte-by-byte unshuffle loop (the plain way)
//   libz       libz's uncompress alone (no unshuffle)
//   libdeflate the chain's inflate alone (DecodeChain zlib, no filter)
//   unshuffle  the chain's unshuffle alone (DecodeChain shuffle(4), compressor null)
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <vector>

#include <boost/json/parse.hpp>

#include "zpmpi/codec/decode_chain.hpp"

namespace {

using Bytes = std::vector<std::byte>;
using zpmpi::codec::DecodeChain;
using zpmpi::codec::DecodeScratch;

constexpr std::size_t kT = 24, kLat = 721, kLon = 1440;

Bytes era5_like() {
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> v(kT * kLat * kLon);
  for (std::size_t t = 0; t < kT; ++t)
    for (std::size_t y = 0; y < kLat; ++y) {
      const double lat = (90.0 - 0.25 * static_cast<double>(y)) * M_PI / 180.0;
      for (std::size_t x = 0; x < kLon; ++x) {
        const double lon = 0.25 * static_cast<double>(x) * M_PI / 180.0;
        const double field = 250.0 + 40.0 * std::cos(lat) + 8.0 * std::sin(3 * lon + 0.26 * static_cast<double>(t)) *
                                                                 std::cos(2 * lat);
        v[(t * kLat + y) * kLon + x] = static_cast<float>(field) + noise(rng);
      }
    }
  Bytes b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

Bytes shuffle4(const Bytes& raw) {
  const std::size_t n = raw.size() / 4;
  Bytes out(raw.size());
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < 4; ++j) out[j * n + i] = raw[i * 4 + j];
  return out;
}

Bytes zlib1(const Bytes& raw) {
  uLongf n = compressBound(raw.size());
  Bytes out(n);
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 1) != Z_OK)
    std::abort();
  out.resize(n);
  return out;
}

/// Seconds of CPU time this thread has used: the machine is shared, so wall-clock time
/// would count the time other processes held the core.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Runs every variant once per round, `repeats` rounds (so a busy spell hits all of them),
/// and returns each one's median rate in MB/s of `bytes` decoded.
std::vector<double> median_mbps(int repeats, std::size_t bytes, const std::vector<std::function<void()>>& variants) {
  std::vector<std::vector<double>> rates(variants.size());
  for (int r = 0; r < repeats; ++r)
    for (std::size_t v = 0; v < variants.size(); ++v) {
      const double t0 = cpu_seconds();
      variants[v]();
      rates[v].push_back(static_cast<double>(bytes) / (cpu_seconds() - t0) / 1e6);
    }
  std::vector<double> medians;
  for (auto& r : rates) {
    std::sort(r.begin(), r.end());
    medians.push_back(r[r.size() / 2]);
  }
  return medians;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const Bytes raw = era5_like();
  const Bytes stored = zlib1(shuffle4(raw));
  const Bytes plain = zlib1(raw);
  std::printf("chunk %zux%zux%zu float32: %.1f MB, shuffle+zlib(1) %.1f MB (ratio %.2f), zlib(1) alone %.1f MB\n", kT,
              kLat, kLon, raw.size() / 1e6, stored.size() / 1e6, double(raw.size()) / stored.size(), plain.size() / 1e6);

  auto chain = DecodeChain::from_zarr(boost::json::parse(R"({"id": "zlib", "level": 1})"),
                                      boost::json::parse(R"([{"id": "shuffle", "elementsize": 4}])"), "<f4");
  auto inflate_only = DecodeChain::from_zarr(boost::json::parse(R"({"id": "zlib", "level": 1})"),
                                             boost::json::parse("null"), "<f4");
  if (!chain.ok() || !inflate_only.ok()) return 1;
  DecodeScratch scratch;
  Bytes out(raw.size()), tmp(raw.size());

  auto unshuffle_only = DecodeChain::from_zarr(boost::json::parse("null"),
                                               boost::json::parse(R"([{"id": "shuffle", "elementsize": 4}])"), "<f4");
  if (!unshuffle_only.ok()) return 1;
  const Bytes shuffled = shuffle4(raw);
  const auto libz = [&] {
    uLongf n = tmp.size();
    if (uncompress(reinterpret_cast<Bytef*>(tmp.data()), &n, reinterpret_cast<const Bytef*>(stored.data()),
                   stored.size()) != Z_OK)
      std::abort();
  };
  const std::vector<std::function<void()>> variants = {
      [&] { if (!chain->decode(stored, out, scratch).ok()) std::abort(); },
      [&] {
        libz();
        const std::size_t e = tmp.size() / 4;
        for (std::size_t i = 0; i < e; ++i)
          for (std::size_t j = 0; j < 4; ++j) out[i * 4 + j] = tmp[j * e + i];
      },
      libz,
      [&] { if (!inflate_only->decode(stored, tmp, scratch).ok()) std::abort(); },
      [&] { if (!unshuffle_only->decode(shuffled, out, scratch).ok()) std::abort(); },
      [&] { std::memcpy(out.data(), shuffled.data(), out.size()); },
  };
  // Each variant that ends in `out` must give the chunk back.
  for (std::size_t v : {0, 1, 4}) {
    std::fill(out.begin(), out.end(), std::byte{0});
    variants[v]();
    if (out != raw) return std::printf("variant %zu: wrong result\n", v), 1;
  }
  const auto r = median_mbps(repeats, raw.size(), variants);
  const double chain_rate = r[0], libz_loop_rate = r[1], libz_rate = r[2], deflate_rate = r[3], unshuffle_rate = r[4],
               copy_rate = r[5];
  std::printf("decode MB/s of thread CPU time (median of %d rounds, one core):\n", repeats);
  std::printf("  chain zlib(level=1) <- shuffle(4)  %7.0f\n", chain_rate);
  std::printf("  libz uncompress + unshuffle loop   %7.0f\n", libz_loop_rate);
  std::printf("  libz uncompress alone              %7.0f\n", libz_rate);
  std::printf("  libdeflate inflate alone (chain)   %7.0f\n", deflate_rate);
  std::printf("  unshuffle(4) alone (chain)         %7.0f\n", unshuffle_rate);
  std::printf("  memcpy of the chunk (memory speed) %7.0f\n", copy_rate);
  std::printf("  chain / libz+loop: %.2fx; scratch held %.1f MB\n", chain_rate / libz_loop_rate,
              scratch.capacity() / 1e6);
  return 0;
}
