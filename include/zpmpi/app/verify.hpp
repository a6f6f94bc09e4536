// `zpmpi verify --config job.json`: is the store exactly what this job writes?
//
// Every rank re-reads its share of the source through the same preprocessors and plan as
// a run, and hands each chunk's expected bytes to a ChunkVerifier instead of writing them:
// the store's chunk file is read and decoded and compared with them (NaN equals NaN in
// float arrays). Rank 0 writes the metadata and the one-chunk text and tile-index arrays
// as the run would into a scratch directory and compares each file with the store's.
// Problems are reported by key: "missing a/0.1.2", "corrupt a/0.1.2 (cannot decode: ...)",
// "differs a/0.1.2 (first at element 17)", "differs .zmetadata", and what the job does not
// write: "extra a/9.0.0", "extra old_var". A store path that is not there: "no store at PATH".
// Zarr v3: chunk files are "a/c/0/1/2"; an inner chunk of a shard file is found through the
// shard's index, which is checked first ("corrupt a/c/0/1 (shard index crc32c is ...)", once
// per shard); one absent from its index (or a shard file absent) must be all fill
// ("missing a/c/0/1 inner chunk [0, 3]" otherwise).
// Store files are opened without following links (zarr/store_entry.hpp): a link is a
// difference ("corrupt a/0.1.2 (a symbolic link, not a chunk file)", "corrupt a (a
// symbolic link, not a directory)" once for a linked array directory), never read through.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "zpmpi/codec/codec.hpp"
#include "zpmpi/model/array_layout.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/shard_index.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::app {

class ChunkVerifier {
 public:
  ChunkVerifier(std::filesystem::path store, codec::CodecSpec codec, zarr::ZarrFormat format = zarr::ZarrFormat::kV2)
      : store_(std::move(store)), codec_(codec), format_(format) {}

  /// Compares the chunk with grid index `index` of `array` in the store (its file,
  /// zarr::chunk_file_key) with `raw` (what it must hold, decoded);
  /// records a problem when it is missing, undecodable, different, or not a regular file
  /// (a link, a directory). An array directory that is a link records nothing here: it is
  /// compare_files' one line. Thread-safe; only an unreadable file that exists is an error.
  Status check(const model::ArrayLayout& array, const model::Shape& index, std::span<const std::byte> raw);

  /// The problems found so far, one phrase each.
  std::vector<std::string> problems() const;

 private:
  /// Shard indexes kept at once: workers check the chunks of a few shards at a time.
  static constexpr std::size_t kCachedIndexes = 64;

  void add(std::string problem);
  Status check_inner(const model::ArrayLayout& array, const model::Shape& index, std::span<const std::byte> raw);
  std::optional<zarr::ShardEntry> shard_entry(const std::filesystem::path& rel, std::uint64_t slots, std::uint64_t slot);
  void compare(const model::ArrayLayout& array, const std::string& name, std::span<const std::byte> encoded,
               std::span<const std::byte> raw);

  std::filesystem::path store_;
  codec::CodecSpec codec_;
  zarr::ZarrFormat format_;
  mutable std::mutex mutex_;
  std::vector<std::string> problems_;
  std::mutex index_mutex_;  ///< guards the two below
  std::map<std::filesystem::path, std::optional<std::vector<zarr::ShardEntry>>> indexes_;  ///< nullopt: bad
  std::set<std::filesystem::path> bad_shards_;  ///< reported once each
};

/// Every file below `expected` (written by this job into a scratch directory) compared
/// byte for byte with the same path below `store`: "missing KEY" or "differs KEY" (KEY
/// relative, e.g. "t2m/.zarray"), or "corrupt KEY (a directory, not a file)"; a link or a
/// file where a directory of the job should be is reported once, "corrupt t2m (a symbolic
/// link, not a directory)", and nothing below it is read. Files of the
/// store that `expected` lacks are judged by extra_entries.
std::vector<std::string> compare_files(const std::filesystem::path& expected, const std::filesystem::path& store);

/// What the store holds beyond this job's output: "extra KEY" for every entry of `store`
/// (not following links) that is neither a file `expected` has at the same path, nor, in
/// an array directory of `files` (array name -> its chunk or shard files), a file key of
/// that grid (those are ChunkVerifier's; in v3 the "c" tree is walked), nor the root's
/// ".zpmpi" directory (the run's statistics). E.g. "extra t2m/9.0.0" (outside the grid),
/// "extra t2m/c/0/.1.tmp3", "extra old_var" (an array directory the job does not write),
/// "extra notes.txt". A directory `expected` also has (a v3 text array's "c") is walked
/// alike; other directories are reported as one entry, not walked.
std::vector<std::string> extra_entries(const std::filesystem::path& expected, const std::filesystem::path& store,
                                       const std::map<std::string, zarr::ArrayFiles>& files);

}  // namespace zpmpi::app
