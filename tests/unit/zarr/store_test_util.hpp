// Helpers shared by the store tests: a fresh directory per test, file contents, listings.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace zpmpi::zarr::testing {

namespace fs = std::filesystem;

/// An empty directory of its own for each test, under the build tree (canonical, so paths
/// compare equal to what the store code resolves).
inline fs::path fresh_dir(const std::string& name) {
  fs::path p = fs::path(ZPMPI_TEST_TMP) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return fs::canonical(p);
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void spit(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

inline std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Every entry below `dir` (relative path -> contents; directories as "<dir>"), to prove a
/// tree is exactly as it was.
inline std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = e.path().lexically_relative(dir).string();
    out[rel] = e.is_symlink() ? "<link " + fs::read_symlink(e.path()).string() + ">"
               : e.is_directory() ? "<dir>" : slurp(e.path());
  }
  return out;
}

/// A small finished store as zarr-python or zpmpi leaves it.
inline void make_store(const fs::path& store, const std::string& chunk = "old chunk") {
  spit(store / ".zgroup", "{\"zarr_format\": 2}");
  spit(store / ".zattrs", "{}");
  spit(store / ".zmetadata", "{}");
  spit(store / "t2m" / ".zarray", "{}");
  spit(store / "t2m" / ".zattrs", "{}");
  spit(store / "t2m" / "0.0.0", chunk);
  spit(store / "t2m" / "1.0.0", chunk + "1");
}

}  // namespace zpmpi::zarr::testing
