// One writer per store: an exclusive lock file beside the store.
//
// The lock is PARENT/.NAME.zpmpi-lock (beside the store, not in it, because the store
// directory itself is swapped at the end of a run). It is created atomically and
// exclusively, in a way that works on NFS and Lustre: the holder's record is written to a
// private file first and then hard-linked to the lock name (link(2) fails with EEXIST if
// the lock exists, on every POSIX file system), so a lock that exists always holds a
// complete record. Where hard links are not supported it falls back to
// open(O_CREAT|O_EXCL). The record is plain text, one key=value a line:
//
//   zpmpi-lock 1
//   host=node042
//   pid=81234
//   start_time=1234567        (field 22 of /proc/PID/stat: clock ticks after boot)
//   boot_id=6f1c...           (/proc/sys/kernel/random/boot_id)
//   slurm_job_id=998877       (empty outside SLURM)
//   store=/scratch/cache/era5.zarr
//
// A run that finds the lock is refused (exit 1) with who holds it. On the same host the
// holder can be checked: a pid that is gone, or alive with another start time or boot id
// (pid reuse), makes the lock *stale*; the message then gives the exact `rm` command. A
// lock from another host cannot be checked: the message names the holder and the `rm` to
// use if that job is gone. Locks are never removed automatically: a wrong guess would let
// two writers into one store.
#pragma once

#include <filesystem>
#include <string>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/store_path.hpp"

namespace zpmpi::zarr {

/// Who a process is, well enough to tell later whether it still runs.
struct ProcessIdentity {
  std::string host;
  long pid = 0;
  std::string start_time;  ///< /proc/PID/stat field 22; empty if unknown
  std::string boot_id;
  std::string slurm_job_id;

  /// This process, in the SLURM job `slurm_job_id` (app reads SLURM_JOB_ID; empty: none).
  static ProcessIdentity self(std::string slurm_job_id = {});
  /// "host H, pid P[, SLURM job J]".
  std::string describe() const;
};

/// The record of a lock file (see above); the identity fields stay empty when missing.
std::string lock_record(const ProcessIdentity& who, const std::filesystem::path& store);
ProcessIdentity parse_lock_record(const std::string& text);

enum class HolderState {
  kRunning,  ///< same host, the pid runs with the recorded start time
  kGone,     ///< same host, the pid is gone or is another process now (stale lock)
  kUnknown,  ///< another host (or an unreadable record): cannot be checked from here
};
HolderState holder_state(const ProcessIdentity& holder);

/// "/proc/PID/stat" field 22 of `pid`, empty if the process does not exist.
std::string process_start_time(long pid);

/// `path` quoted for a POSIX shell when it needs it (for the `rm` command in messages).
std::string shell_quote(const std::string& path);

/// PARENT/.NAME.zpmpi-lock
std::filesystem::path lock_path(const StorePath& store);

/// A held lock; removes its file when released or destroyed. Move-only.
class StoreLock {
 public:
  /// Takes the lock of `store` for this process. Errors (all exit 1): the lock is held
  /// (running, stale or unknown holder, each with its message), or the lock file cannot be
  /// created (the error names it).
  /// With `replace_stale` (--resume: the same job again), a lock whose holder is known to
  /// be gone (same host, process ended) is replaced instead of refused; it is moved aside
  /// and checked before removal, so a lock another run has just taken is never removed.
  /// `slurm_job_id` goes into the lock's record (ProcessIdentity::self).
  static Result<StoreLock> acquire(const StorePath& store, bool replace_stale = false,
                                   const std::string& slurm_job_id = {});

  StoreLock(StoreLock&& other) noexcept;
  StoreLock& operator=(StoreLock&& other) noexcept;
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;
  ~StoreLock();

  /// Removes the lock file if it still holds this lock's record (so a lock someone
  /// removed by hand and another run took is left alone). Idempotent.
  void release();
  const std::filesystem::path& path() const { return path_; }

 private:
  static Result<StoreLock> take(const StorePath& store, const std::string& slurm_job_id);  ///< one attempt, no replacing
  StoreLock(std::filesystem::path path, std::string record) : path_(std::move(path)), record_(std::move(record)) {}
  std::filesystem::path path_;
  std::string record_;
  bool held_ = true;
};

}  // namespace zpmpi::zarr
