// What --resume needs from a copy that an interrupted or killed run left.
//
// Every run writes, in its copy's marker folder, PARENT/.NAME.zpmpi-new-HOST-PID/.zpmpi/,
// a resume record (resume.json): a JSON object whose top-level keys are what the store's
// content depends on - the job's keys that shape the output ("config.chunks",
// "config.preprocessors", ...), the source's files and description ("source.files",
// "source.description") and a digest of the output metadata ("output"). --resume adopts a
// copy only when its record equals the new run's, key by key; otherwise it is refused
// with the keys that differ. At the swap the record becomes the finished store's own,
// STORE/.zpmpi/record.json (beside stats.json): a --resume that finds the store complete
// compares it with the new run's and refuses a store another job wrote. Under that name
// it never makes a copy adoptable: an old store moved aside to be removed, and killed
// halfway, is never taken for an interrupted run of the job.
//
// Chunk files are written to a temporary name and renamed, so a chunk file that exists is
// complete: a resumed run keeps every chunk file present and writes the others. It lists
// each array directory once (rank 0), removing stale temporary files on the way: resume
// costs one readdir of the array directory per array, not a stat per chunk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/result.hpp"

namespace zpmpi::zarr {

inline constexpr const char* kResumeRecordName = "resume.json";
/// The record a finished store keeps (STORE/.zpmpi/record.json): the same object.
inline constexpr const char* kStoreRecordName = "record.json";

/// Writes `record` to COPY/.zpmpi/resume.json (atomically). Errors name the file.
Status write_resume_record(const std::filesystem::path& copy, const boost::json::object& record);

/// The record of `copy`, nullopt when it has none (a copy of an older zpmpi) or it is not
/// a JSON object. Read without following links (store_entry.hpp): a link at the copy, its
/// marker or the record is an error naming it, never a record (a planted link could
/// make another job's copy look like this job's).
Result<std::optional<boost::json::object>> read_resume_record(const std::filesystem::path& copy);

/// The record of the finished store at `store` (its record.json, or the resume.json of a
/// run killed just after its swap), nullopt when it has none (written by an older zpmpi or
/// another tool). A link is an error, as for read_resume_record.
Result<std::optional<boost::json::object>> read_store_record(const std::filesystem::path& store);

/// One phrase per top-level key whose value differs (or is in one record only):
/// "config.chunks (was {"time":1}, now {"time":2})", "config.new (not recorded by
/// WHO)"; long values are shortened. `who` names the side `was` comes from. Empty when
/// the records are equal.
std::vector<std::string> record_differences(const boost::json::object& was, const boost::json::object& now,
                                            std::string_view who = "the interrupted run");

/// A 64-bit FNV-1a digest as 16 hex digits (stable across builds and hosts).
std::string digest(std::string_view text);

/// What one listing of an array directory found.
struct ChunkListing {
  std::vector<bool> present;       ///< by linear chunk index, C order of `grid`
  std::uint64_t count = 0;         ///< chunk files found
  std::uint64_t removed_temps = 0; ///< stale temporary files removed (".KEY.tmpN")
};

/// The chunk index of `name` ("i.j.k") in `grid` (chunks per dim), as a linear C-order
/// index; nullopt when the name is not a chunk key of this grid ("3.0" of a 2 x 4 grid).
std::optional<std::uint64_t> chunk_index(std::string_view name, const model::Shape& grid);

/// Lists the array directory `array` of `store` once, reached without following links
/// (store_entry.hpp): removes stale temporary chunk files (".KEY.tmpN"), and marks every
/// regular file "i.j.k" whose index lies inside `grid` (chunks per dim; a rank-0 array
/// has the one key "0"). A link at a chunk key is not a chunk (the run writes the chunk,
/// replacing the link). A missing directory lists as empty. Errors (named): the array
/// directory, or the store, is a link; the directory cannot be read.
Result<ChunkListing> list_chunks(const std::filesystem::path& store, const std::string& array, const model::Shape& grid);

}  // namespace zpmpi::zarr
