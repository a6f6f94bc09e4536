// The words of a failed write into a store, shared by the files written whole (store.cpp)
// and in pieces (streamed_file.cpp).
#pragma once

#include <filesystem>
#include <string>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/file_write.hpp"
#include "zpmpi/zarr/store_entry.hpp"

namespace zpmpi::zarr {

/// `failure` (one level of a store, on the way to `target`) is not a directory zpmpi may
/// enter: "S/t2m is a symbolic link where a store entry should be; ...", "S/t2m/c/0 is not
/// a directory where the store has one", "cannot write S/t2m/c/0/1: S/t2m/c: EACCES text".
Error not_entered(const EntryFailure& failure, const std::filesystem::path& target);

/// Writing `path` through its temporary `tmp` (an entry name in the same directory) failed
/// at `failure`'s step: "cannot rename S/t2m/.0.1.tmp3 to S/t2m/0.1: Is a directory",
/// "cannot write S/t2m/0.1: No space left on device", a link at the temporary as above.
Error write_failed(const FileWriteFailure& failure, const std::filesystem::path& path, const std::string& tmp);

}  // namespace zpmpi::zarr
