// Helpers shared by the codec tests.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "zpmpi/codec/codec.hpp"

namespace zpmpi::codec::testing {

/// Compressible but not trivial: a random 3001-byte pattern repeated, with one byte in
/// 16 replaced by noise, so matches are short and a stronger level finds more of them.
inline std::vector<std::byte> sample(std::size_t n) {
  std::mt19937 rng(7);
  std::vector<std::byte> pattern(3001);
  for (auto& b : pattern) b = static_cast<std::byte>(rng());
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = (rng() & 15) == 0 ? static_cast<std::byte>(rng()) : pattern[i % pattern.size()];
  return v;
}

/// Incompressible bytes: the worst case for max_encoded_size.
inline std::vector<std::byte> noise(std::size_t n) {
  std::mt19937 rng(11);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

/// `n` float32 values of a smooth field with a little noise, as ERA5's 2 m temperature:
/// the high bytes of neighbours agree, so a byte shuffle over 4-byte elements pays.
inline std::vector<std::byte> floats(std::size_t n) {
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = 280.0f + 15.0f * std::sin(0.001f * static_cast<float>(i)) + noise(rng);
  std::vector<std::byte> bytes(n * sizeof(float));
  std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

inline std::vector<std::byte> bytes_of(std::string_view hex) {
  std::vector<std::byte> v;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    v.push_back(static_cast<std::byte>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return v;
}

/// Encodes into a buffer of exactly max_encoded_size bytes, as the executor does.
inline std::vector<std::byte> encode(const Codec& c, const std::vector<std::byte>& raw, std::size_t element_size = 1) {
  std::vector<std::byte> out(c.max_encoded_size(raw.size()));
  auto n = c.encode(raw, out, element_size);
  EXPECT_TRUE(n.ok()) << n.error().message;
  out.resize(n.ok() ? n.value() : 0);
  return out;
}

/// The specs of the codecs added for Zarr v3 (the fields after id stay at their defaults).
inline CodecSpec gzip(int level) {
  CodecSpec s{CodecId::kGzip};
  s.level = level;
  return s;
}
inline CodecSpec blosc(BloscName cname, int clevel, int shuffle) {
  CodecSpec s{CodecId::kBlosc};
  s.cname = cname;
  s.clevel = clevel;
  s.shuffle = shuffle;
  return s;
}

}  // namespace zpmpi::codec::testing
