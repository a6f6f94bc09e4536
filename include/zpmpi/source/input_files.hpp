// What identifies an input file: enough of what a run read to see that it changed.
//
// A store is only as good as the files it was made from, and a file can change under a
// run (a requeued download rewriting it, a member of a set replaced by a newer version)
// or between a killed run and its --resume. A Source names the files it reads
// (Source::input_files): the netCDF file, every member of a multi-file set, a kerchunk
// set's reference file and every file its chunks point into.
//
// A local file is identified by one stat(2) (links followed: what is read is the target):
// its size, modification time (ns) and inode. An in-place rewrite changes the mtime (and
// mostly the size); a file replaced by a rename (how xarray/cp/rsync usually replace one)
// changes the inode even when size and mtime are kept. The device is not part of it: a
// network file system's device number may differ from one node or boot to the next.
// An http(s) url is identified by the url alone: asking the server would cost a request
// per file, and many servers report neither a stable ETag nor Last-Modified.
// Example: /data/era5.nc {size 15102784, mtime_ns 1767312000123456789, inode 4211}.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zpmpi/model/result.hpp"

namespace zpmpi::source {

struct InputFile {
  std::string uri;            ///< the path or url, as the source opens it
  bool local = false;         ///< false: a url; size, mtime_ns and inode are then 0
  std::int64_t size = 0;      ///< bytes
  std::int64_t mtime_ns = 0;  ///< modification time, ns since the epoch
  std::uint64_t inode = 0;
  bool operator==(const InputFile&) const = default;
};

/// True for a url (it has "://"), false for a local path.
bool is_url(const std::string& uri);

/// `uri` identified by one stat(2) (a url: by its text). Errors (ExitCode::kRuntime): a
/// local file that cannot be stat'ed, named with the reason.
Result<InputFile> identify_input(const std::string& uri);

/// Each of `uris` identified once, in order, a uri named twice kept once. Errors: the
/// first file that cannot be stat'ed.
Result<std::vector<InputFile>> identify_inputs(const std::vector<std::string>& uris);

}  // namespace zpmpi::source
