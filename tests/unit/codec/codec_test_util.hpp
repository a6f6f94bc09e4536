// Helpers shared by the codec tests.
#pragma once

#include <cstddef>
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

inline std::vector<std::byte> bytes_of(std::string_view hex) {
  std::vector<std::byte> v;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    v.push_back(static_cast<std::byte>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return v;
}

/// Encodes into a buffer of exactly max_encoded_size bytes, as the executor does.
inline std::vector<std::byte> encode(const Codec& c, const std::vector<std::byte>& raw) {
  std::vector<std::byte> out(c.max_encoded_size(raw.size()));
  auto n = c.encode(raw, out);
  EXPECT_TRUE(n.ok()) << n.error().message;
  out.resize(n.ok() ? n.value() : 0);
  return out;
}

}  // namespace zpmpi::codec::testing
