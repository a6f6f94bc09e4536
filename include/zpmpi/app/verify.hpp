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
// Store files are opened without following links (zarr/store_entry.hpp): a link is a
// difference ("corrupt a/0.1.2 (a symbolic link, not a chunk file)", "corrupt a (a
// symbolic link, not a directory)" once for a linked array directory), never read through.
#pragma once

#include <filesystem>
#include <map>
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
  /// records a problem when it is missing, undecodable, different, or not a regular file
  /// (a link, a directory). An array directory that is a link records nothing here: it is
  /// compare_files' one line. Thread-safe; only an unreadable file that exists is an error.
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
/// relative, e.g. "t2m/.zarray"), or "corrupt KEY (a directory, not a file)"; a link or a
/// file where a directory of the job should be is reported once, "corrupt t2m (a symbolic
/// link, not a directory)", and nothing below it is read. Files of the
/// store that `expected` lacks are judged by extra_entries.
std::vector<std::string> compare_files(const std::filesystem::path& expected, const std::filesystem::path& store);

/// What the store holds beyond this job's output: "extra KEY" for every entry of `store`
/// (not following links) that is neither a file `expected` has at the same path, nor, in
/// an array directory of `grids` (array name -> chunks per dim), a chunk key inside that
/// grid (those are ChunkVerifier's), nor the root's ".zpmpi" directory (the run's
/// statistics). E.g. "extra t2m/9.0.0" (outside the grid), "extra old_var" (an array
/// directory the job does not write), "extra notes.txt". Directories are reported as one
/// entry, not walked.
std::vector<std::string> extra_entries(const std::filesystem::path& expected, const std::filesystem::path& store,
                                       const std::map<std::string, model::Shape>& grids);

}  // namespace zpmpi::app
