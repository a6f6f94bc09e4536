// A file a run writes outside its store (the --stats summary): judged, like the store path,
// before anything runs, because writing it replaces whatever is there.
//
// It must not be:
//   - a file the job reads or is: any local file of the source, the job file (the same
//     file by device and inode, so every spelling, link or hard link counts);
//   - inside the store ("out.zarr/.zmetadata" would make the store unreadable), or the
//     store's path itself;
//   - inside the store's siblings that zpmpi owns: its copies PARENT/.NAME.zpmpi-new-*,
//     PARENT/.NAME.zpmpi-old-* and its lock PARENT/.NAME.zpmpi-lock (store_replace.hpp,
//     store_lock.hpp), which a run renames, removes or reads as a whole.
// Paths are compared as written (made absolute) and resolved (store_path.hpp, real_path).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/store_transaction.hpp"

namespace zpmpi::zarr {

/// Refuses `file` (as configured) when it is one of the above. `key` names where it was
/// configured ("--stats", "job.json: stats") and starts the message, e.g.
///   "--stats era5.nc: refusing to write the run's summary over the source era5.nc"
///   "--stats out.zarr/.zmetadata: refusing to write the run's summary inside the store /w/out.zarr"
/// `store` is the configured store path, `protect` what the job reads (relative to `cwd`;
/// empty `cwd`: the process's working directory). Errors are usage errors (exit 2).
Status check_side_file(const std::string& key, const std::string& file, const std::string& store,
                       const std::vector<ProtectedPath>& protect, std::filesystem::path cwd = {});

}  // namespace zpmpi::zarr
