// `zpmpi verify --config job.json`: is the store exactly what this job writes?
//
// Every rank re-reads its share of the source through the same preprocessors and plan as
// a run, and hands each chunk's expected bytes to a ChunkVerifier instead of writing them:
// the store's chunk file is read and decoded and compared with them (NaN equals NaN in
// float arrays). Rank 0 writes the metadata and the one-chunk text and tile-index arrays
// as the run would into a scratch directory and compares each file with the store's.
// Problems are reported by key: "missing a/0.1.2", "corrupt a/0.1.2 (cannot decode: ...)",
// "differs a/0.1.2 (first at element 17)", "metadata .zmetadata differs".
#pragma once

#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::app {

class ChunkVerifier {
 public:
  ChunkVerifier(std::filesystem::path store, codec::CodecSpec codec)
      : store_(std::move(store)), codec_(codec) {}

  /// Compares chunk `key` of `array` in the store with `raw` (what it must hold, decoded);
  /// records a problem when it is missing, undecodable or different. Thread-safe; only
  /// an unreadable file that exists is an error.
  Status check(const model::ArrayLayout& array, const std::string& key, std::span<const std::byte> raw);

  /// The problems found so far, one phrase each.
  std::vector<std::string> problems() const;

 private:
  void add(std::string problem);
  std::filesystem::path store_;
  codec::CodecSpec codec_;
  mutable std::mutex mutex_;
  std::vector<std::string> problems_;
};

/// Every file below `expected` (written by this job into a scratch directory) compared
/// byte for byte with the same path below `store`: "missing KEY" or "differs KEY" (KEY
/// relative, e.g. "t2m/.zarray"). Files of the store that `expected` lacks are not judged.
std::vector<std::string> compare_files(const std::filesystem::path& expected, const std::filesystem::path& store);

}  // namespace zpmpi::app
