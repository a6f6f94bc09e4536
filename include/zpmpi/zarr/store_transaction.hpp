// Writing a store so that a run that fails, or is killed, never costs the user the old one.
//
//   begin()   rank 0, before anything touches the store:
//               resolve the path once (store_path.hpp) and refuse what cannot be replaced
//               safely - a symbolic link (named with its target), the working directory
//               or a directory holding it, a store holding the source or the job file;
//               take the store's lock (store_lock.hpp: one writer per store);
//               under the lock: an existing path needs `overwrite`, must be a Zarr store
//               with nothing foreign in it (store_contents.hpp) and not a mount point;
//               remove copies killed runs left (marked ones only; each one is reported);
//               create this run's copy PARENT/.NAME.zpmpi-new-HOST-PID with its marker and
//               the empty store skeleton (store_replace.hpp).
//   build_path()  where every rank writes chunks and rank 0 the metadata.
//   (append: the store must exist and be complete; the copy starts as hard links to its
//    files (linked_copy.hpp), and --resume with the append done finds nothing to do.)
//   commit()  after .zmetadata (v3: the root zarr.json) is written and every rank agreed:
//             swap the copy in, remove the old store (only its Zarr entries), release the lock.
//   abandon() on any failure (also from the destructor): remove this run's copy only,
//             release the lock. The store path is left exactly as it was.
// Every refusal is an error with exit code 1 naming the path and the reason.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/store_format.hpp"
#include "zpmpi/zarr/store_lock.hpp"
#include "zpmpi/zarr/store_path.hpp"

namespace zpmpi::zarr {

/// A file the store must not hold, e.g. {"the source", "era5.nc"}.
struct ProtectedPath {
  std::string what;
  std::filesystem::path path;
};

struct StoreRequest {
  std::string store;                         ///< as configured
  bool overwrite = false;                    ///< an existing store may be replaced
  std::vector<std::string> array_names;      ///< one sub-directory each
  std::vector<ProtectedPath> protect;        ///< the source, the job file (relative to cwd)
  std::filesystem::path cwd;                 ///< empty: the process's working directory
  std::function<void(const std::string&)> notify;  ///< leftovers removed or kept, an old store left
  /// What the store's content depends on (store_resume.hpp), written into the copy's
  /// marker folder so that a later --resume can check it.
  boost::json::object resume_record{};
  /// --resume: a stale lock of a run that is gone is replaced, and a copy a killed or
  /// interrupted run left is adopted (renamed to this run's copy) when its record equals
  /// `resume_record`; a copy with another record is refused, naming what differs. With no
  /// copy to adopt and the store there complete (.zmetadata, or v3's root zarr.json with its
  /// consolidated metadata): complete() when the store's own record (store_resume.hpp)
  /// equals `resume_record` - the leftovers of a run killed while removing its old store
  /// are then removed (marked ones; the others are notified) - and refused naming what
  /// differs, or that the store has no record, otherwise. With neither, the run starts
  /// afresh (resumed() is false).
  bool resume = false;
  /// Written into the lock and owner records (ProcessIdentity::slurm_job_id); app reads it.
  std::string slurm_job_id{};
  /// Test hook (ZPMPI_TEST_HOLD_STORE_LOCK=FILE, app/environment.hpp): begin() waits (at
  /// most 300 s) after taking the lock until this file exists, so the integration tests can
  /// hold a store's lock while a second run tries it. Empty: no wait.
  std::string hold_lock_until{};
  /// The format of the store this run writes: the copy's skeleton (create_store) and the
  /// array names it accepts (check_name). An old store of either format may be replaced,
  /// and --resume finds a store complete by either format's completion document
  /// (complete_store_format, store_contents.hpp); the resume record tells the two jobs apart.
  ZarrFormat format = ZarrFormat::kV2;
  /// Append mode (app/append.hpp): set, the store must exist and be complete, and is
  /// replaced by its appended copy without `overwrite`; the copy starts as hard links to the
  /// store's files but those rewritten (zarr/linked_copy.hpp).
  struct Append {
    /// The store's completion document as the append's checks read it: under the lock it
    /// must still be the same, else another run changed the store meanwhile (refused).
    std::string document;
    std::set<std::filesystem::path> rewritten;  ///< relative paths the run writes again
  };
  std::optional<Append> append{};
};

class StoreTransaction {
 public:
  /// See above (and StoreRequest::hold_lock_until).
  static Result<StoreTransaction> begin(StoreRequest request);

  /// --resume of a run that has nothing left to do (an append whose data the store holds):
  /// takes the store's lock (a stale one is replaced), puts back a store a killed swap left
  /// aside, removes the marked copies killed runs left (each notified), releases the lock.
  static Status tidy(const StoreRequest& request);

  StoreTransaction(StoreTransaction&& other) noexcept;
  StoreTransaction& operator=(StoreTransaction&&) = delete;
  StoreTransaction(const StoreTransaction&) = delete;
  ~StoreTransaction();

  const std::filesystem::path& path() const { return store_.path; }
  const std::filesystem::path& build_path() const { return build_; }
  /// This run adopted the copy of an interrupted run (--resume): its chunk files stay.
  bool resumed() const { return resumed_; }
  /// --resume found no copy to adopt and a complete store (complete_store_format) at the path:
  /// the run being resumed has finished. No copy was made; there is nothing to write.
  bool complete() const { return complete_; }

  /// Puts the complete copy in place (see store_replace.hpp). Errors leave the store path
  /// as it was and the copy where it is (the caller then abandons). A failure to remove the
  /// old store after the swap is not an error: the new store is in place; it is notified.
  Status commit();

  /// An interrupted run (a stop signal): keeps this run's copy where it is, with every
  /// complete chunk, for --resume, and releases the lock. Idempotent.
  void keep();

  /// Removes this run's copy (only if not committed) and releases the lock. Idempotent.
  /// Errors: the copy could not be removed completely (the message names what is left).
  Status abandon();

 private:
  StoreTransaction(StorePath store, StoreLock lock, std::filesystem::path build, std::filesystem::path aside,
                   bool existed, std::function<void(const std::string&)> notify);

  StorePath store_;
  StoreLock lock_;
  std::filesystem::path build_;
  std::filesystem::path aside_;
  bool existed_ = false;  ///< an old store was at the path when the lock was taken
  bool active_ = true;    ///< the copy is ours to remove
  bool resumed_ = false;  ///< the copy was adopted from an interrupted run
  bool complete_ = false; ///< --resume found the store complete and no copy: nothing to do
  std::function<void(const std::string&)> notify_;
};

}  // namespace zpmpi::zarr
