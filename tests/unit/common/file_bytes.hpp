// Whole files as bytes, for tests that compare what was written with what was expected.
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace zpmpi::testing {

/// Every byte of `p` (empty when it cannot be read).
inline std::vector<std::byte> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> v(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) v[i] = static_cast<std::byte>(c[i]);
  return v;
}

inline void write_file(const std::filesystem::path& p, const std::vector<std::byte>& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace zpmpi::testing
