// Replacing a store by rename: the run's copy, the swap, and copies a killed run left.
//
// A run never writes into the store path. It builds its store in a hidden sibling in the
// same parent (so the same file system, where rename is atomic):
//   PARENT/.NAME.zpmpi-new-HOST-PID      the copy being built, with a marker directory
//                                        ".zpmpi" inside from the moment it is created
// and, once the copy is complete, swaps it in:
//   - Linux renameat2(RENAME_EXCHANGE) swaps the two directories in one step; the old store
//     is then at the copy's name, marked (its own marker, or a new empty one), and removed.
//   - Where the file system refuses the exchange (EINVAL/ENOSYS/ENOTSUP: Lustre, NFS), the
//     old store is renamed to PARENT/.NAME.zpmpi-old-HOST-PID and the copy to PARENT/NAME,
//     two renames between which PARENT/NAME is briefly absent.
//   - With no old store the copy is renamed to PARENT/NAME (RENAME_NOREPLACE where
//     supported), so PARENT/NAME never holds an incomplete store.
// After the swap the new store keeps of its marker only the run's statistics
// (.zpmpi/stats.json, store_contents.hpp) and its record (.zpmpi/record.json,
// store_resume.hpp); the owner goes.
// A copy is zpmpi's own only when its name has the pattern above *and* it holds the marker;
// a run that holds the store's lock removes such leftovers of killed runs - after putting
// back an old store a run killed between the two renames left aside with PARENT/NAME
// absent (store_transaction.cpp): a store zpmpi wrote keeps its marker, so the marker alone
// does not tell an old store from a copy. A leftover
// without the marker is reported, never removed: it may be an old store moved aside by a
// run killed between the two renames, and then it is the only copy.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/store_lock.hpp"
#include "zpmpi/zarr/store_path.hpp"

namespace zpmpi::zarr {

/// PARENT/.NAME.zpmpi-new-HOST-PID
std::filesystem::path build_copy_path(const StorePath& store, const ProcessIdentity& who);
/// PARENT/.NAME.zpmpi-old-HOST-PID
std::filesystem::path aside_path(const StorePath& store, const ProcessIdentity& who);

/// The entries of PARENT named like a copy of this store (either pattern), directories
/// only, with whether each holds the marker.
struct Leftover {
  std::filesystem::path path;
  bool marked = false;
};
std::vector<Leftover> find_leftovers(const StorePath& store);

/// How the swap went, for the caller to remove the old store and tell the user.
struct Swapped {
  std::filesystem::path old_store;  ///< where the old store is now; empty if there was none
};

/// Puts the complete copy `built` at `store` (see above). `store_exists` says whether an
/// old store is expected there (checked by the caller under the lock); `allow_exchange`
/// false forces the two-rename path (tests). The old store is marked (see above) and the
/// new one keeps only .zpmpi/stats.json and .zpmpi/record.json, if the copy had them. On error nothing is lost: the old store is at `store`
/// again (or, if even the rename back failed, the error says where it is), and `built`
/// is where it was. Errors name the paths.
Result<Swapped> swap_into_place(const std::filesystem::path& built, const StorePath& store,
                                const std::filesystem::path& aside, bool store_exists, bool allow_exchange = true);

}  // namespace zpmpi::zarr
