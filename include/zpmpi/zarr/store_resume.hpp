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
// complete: a resumed run keeps every chunk file present and writes the others. Which are
// present is chunk_files.hpp's (included here): one readdir per directory of chunk files,
// not a stat per chunk.
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
#include "zpmpi/zarr/chunk_files.hpp"

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

}  // namespace zpmpi::zarr
