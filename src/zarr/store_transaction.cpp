// Writing a store beside the old one and swapping it in: see store_transaction.hpp.
#include "zpmpi/zarr/store_transaction.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <thread>

#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/names.hpp"
#include "zpmpi/zarr/store_entry.hpp"
#include "zpmpi/zarr/linked_copy.hpp"
#include "zpmpi/zarr/store_replace.hpp"
#include "zpmpi/zarr/store_resume.hpp"

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace {

std::string and_others(std::size_t count) {
  return count > 1 ? " (and " + std::to_string(count - 1) + " other such entries)" : "";
}

/// A link is refused whatever it points at: replacing "the store" through it would either
/// replace the link (not what the user named) or rename inside another directory.
Error refuse_link(const StorePath& store) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(store.path, ec);
  const fs::path real = real_path(store.path, store.parent());
  return runtime_error("refusing to write store " + store.path.string() + " through a symbolic link (to " +
                       target.string() + "): zpmpi does not replace a store through a link; name the directory "
                       "itself (\"store\": \"" + real.string() + "\") or remove the link");
}

/// What may not be replaced whatever the lock says: the working directory or a directory
/// holding it (a rename cannot move a process's working directory), or a store that holds
/// the source or the job file.
Status refuse_holders(const StorePath& store, const fs::path& cwd, const std::vector<ProtectedPath>& protect) {
  const std::string& s = store.path.string();
  if (is_within(cwd, store.path))
    return runtime_error("refusing to write store " + s + ": it " +
                         (cwd == store.path ? std::string("is the working directory")
                                            : "holds the working directory " + cwd.string()) +
                         "; run zpmpi from another directory");
  for (const auto& p : protect) {
    if (p.path.empty()) continue;
    const fs::path lexical = (p.path.is_absolute() ? p.path : cwd / p.path).lexically_normal();
    if (is_within(lexical, store.path) || is_within(real_path(p.path, cwd), store.path))
      return runtime_error("refusing to overwrite " + s + ": it holds " + p.what + " " + p.path.string());
  }
  return {};
}

/// Under the lock: may the existing `store` be replaced at all?
Status check_replaceable(const StorePath& store) {
  const std::string& s = store.path.string();
  struct stat st{}, parent{};
  if (::lstat(store.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !is_zarr_store(store.path))
    return runtime_error("refusing to overwrite " + s + ": not a zarr store");
  if (::stat(store.parent().c_str(), &parent) == 0 && parent.st_dev != st.st_dev)
    return runtime_error("refusing to overwrite " + s +
                         ": it is a mount point, and a store is replaced by renaming a new one over it");
  const ForeignEntries foreign = find_foreign_entries(store.path);
  if (foreign.count > 0)
    return runtime_error("refusing to overwrite " + s + ": it holds " + foreign.first.string() +
                         ", which is not part of a Zarr store" + and_others(foreign.count) +
                         "; zpmpi deletes only Zarr stores");
  return {};
}

void remove_leftovers(const StorePath& store, const std::function<void(const std::string&)>& notify,
                      const fs::path& keep = {}) {
  for (const Leftover& left : find_leftovers(store)) {
    if (!keep.empty() && left.path == keep) continue;
    if (!left.marked) {
      notify("left " + left.path.string() + " in place: it is named like a zpmpi copy of " + store.path.string() +
             " but has no " + kMarkerName + " marker; if it is the old store moved aside by a run killed while "
             "swapping, `mv " + shell_quote(left.path.string()) + " " + shell_quote(store.path.string()) +
             "` restores it, otherwise remove it");
      continue;
    }
    const Status removed = remove_zarr_tree(left.path);
    notify(removed.ok() ? "removed " + left.path.string() + ", the unfinished copy of a zpmpi run that did not end"
                        : "could not remove the unfinished copy of an earlier run: " + removed.error().message);
  }
}

/// A run killed between the two renames of a swap without RENAME_EXCHANGE (store_replace.hpp)
/// left no store at PARENT/NAME and the old one aside at .NAME.zpmpi-old-*, still marked
/// if zpmpi wrote it (its stats and record): that is the only copy, so it goes back to
/// NAME before anything judges or removes leftovers. Several candidates: the user picks.
Status restore_store_moved_aside(const StorePath& store, const std::function<void(const std::string&)>& notify) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(store.path, ec))) return {};
  std::vector<fs::path> aside;
  for (const Leftover& left : find_leftovers(store))
    if (left.path.filename().string().find(".zpmpi-old-") != std::string::npos) aside.push_back(left.path);
  if (aside.empty()) return {};
  if (aside.size() > 1) {
    std::string names;
    for (const fs::path& p : aside) names += (names.empty() ? "" : ", ") + p.string();
    return runtime_error("store " + store.path.string() + " is absent and runs killed while swapping moved " +
                         std::to_string(aside.size()) + " old stores aside: " + names +
                         "; restore the right one with mv to " + store.path.string() + ", then run again");
  }
  if (::rename(aside[0].c_str(), store.path.c_str()) != 0)
    return runtime_error("cannot restore the old store " + aside[0].string() + " to " + store.path.string() + ": " +
                         std::strerror(errno));
  notify("restored " + store.path.string() + " from " + aside[0].string() +
         ", where a run killed while swapping had moved it");
  return {};
}

/// The record differences as one phrase: "a (was 1, now 2); b (...)".
std::string joined(const std::vector<std::string>& differences) {
  std::string list;
  for (const auto& d : differences) list += (list.empty() ? "" : "; ") + d;
  return list;
}

/// --resume: the copy a killed or interrupted run left (marked, with a resume record), or
/// empty when there is none. Refused when the only copies were made for another job.
Result<fs::path> find_resumable(const StorePath& store, const boost::json::object& record) {
  std::vector<std::string> differences;
  fs::path other;
  for (const Leftover& left : find_leftovers(store)) {
    if (!left.marked || left.path.filename().string().find(".zpmpi-new-") == std::string::npos) continue;
    auto was = read_resume_record(left.path);
    if (!was.ok())
      return runtime_error("cannot resume store " + store.path.string() + ": " + was.error().message +
                           ", or run without --resume to start again");
    if (!*was) continue;
    const std::vector<std::string> diff = record_differences(**was, record);
    if (diff.empty()) return left.path;
    differences = diff;
    other = left.path;
  }
  if (differences.empty()) return fs::path();
  return runtime_error("cannot resume store " + store.path.string() + ": the job differs from the interrupted run's (" +
                       other.string() + "): " + joined(differences) +
                       "; run without --resume to start again (the partial copy is then removed)");
}

/// --resume: the copy is written on as it is, so it must hold nothing but store entries -
/// above all no symbolic link, through which its writes would land elsewhere.
Status check_adoptable(const StorePath& store, const fs::path& copy) {
  const ForeignEntries foreign = find_foreign_entries(copy);
  if (foreign.count == 0) return {};
  std::error_code ec;
  const bool link = fs::is_symlink(fs::symlink_status(foreign.first, ec));
  return runtime_error("cannot resume store " + store.path.string() + ": the interrupted run's copy holds " +
                       (link ? "a symbolic link " + foreign.first.string() + " where a store entry should be"
                             : foreign.first.string() + ", which is not part of a Zarr store") +
                       and_others(foreign.count) + "; zpmpi writes nothing in a store through a link or beside "
                       "foreign files: remove it, or run without --resume to start again");
}

/// --resume, no copy to adopt, a complete store in place: it is this job's output only if
/// the store's record (store_resume.hpp) equals the job's. Errors name what differs.
Status check_complete_store(const StorePath& store, const boost::json::object& record) {
  const std::string& s = store.path.string();
  const std::string redo = "; run without --resume and with --overwrite to write it again for this job";
  auto was = read_store_record(store.path);
  if (!was.ok()) return runtime_error("cannot resume store " + s + ": " + was.error().message + redo);
  if (!*was)
    return runtime_error("cannot resume store " + s + ": it is complete, but holds no record of the job that wrote "
                         "it (an older zpmpi or another tool), so it may not be this job's output" + redo);
  const std::vector<std::string> differences = record_differences(**was, record, "the store");
  if (differences.empty()) return {};
  return runtime_error("cannot resume store " + s + ": it is complete, but was written by another job: " +
                       joined(differences) + redo);
}

/// Append, under the lock: the store is still the one whose completion document the
/// append's checks read (StoreRequest::Append::document).
Status check_append_target(const StorePath& store, const StoreRequest::Append& append, ZarrFormat format) {
  const std::string& s = store.path.string();
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(store.path, ec))) return runtime_error("append: no store at " + s);
  ZPMPI_RETURN_IF_ERROR(check_replaceable(store));
  const auto key = format == ZarrFormat::kV3 ? fs::path(kV3MetadataKey) : fs::path(".zmetadata");
  const StoreFileRead now = read_store_file(store.path, key);
  if (now.kind != EntryKind::kFile || now.bytes != append.document)
    return runtime_error("append: store " + s + " changed while this run was checking it (another run?); run again");
  return {};
}

void hold_for_tests(const std::string& until) {
  if (until.empty()) return;
  for (int i = 0; i < 300 * 50 && !fs::exists(until); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

/// Makes `build` this run's copy: the adopted one renamed to it (from now on this run's,
/// like a fresh one) or a fresh directory; the leftovers of other runs removed between.
Status make_copy(const StorePath& store, const fs::path& adopted, const fs::path& build,
                 const std::function<void(const std::string&)>& notify) {
  if (!adopted.empty() && adopted != build && ::rename(adopted.c_str(), build.c_str()) != 0)
    return runtime_error("cannot resume store " + store.path.string() + ": cannot rename " + adopted.string() +
                         " to " + build.string() + ": " + std::strerror(errno));
  remove_leftovers(store, notify, adopted.empty() ? fs::path() : build);
  std::error_code ec;
  if (adopted.empty() && (!fs::create_directory(build, ec) || ec))
    return runtime_error("cannot create " + build.string() + " for store " + store.path.string() + ": " +
                         (ec ? ec.message() : "it exists"));
  return {};
}

/// What the copy holds before any chunk: the marker first (so a copy killed at any later
/// point is recognisable as zpmpi's), the owner and resume records, the skeleton.
Status fill_copy(const StorePath& store, const fs::path& build, const ProcessIdentity& me, const StoreRequest& request) {
  std::error_code ec;
  fs::create_directory(build / kMarkerName, ec);
  if (ec) return runtime_error("cannot create " + (build / kMarkerName).string() + ": " + ec.message());
  const std::string owner = lock_record(me, store.path);
  ZPMPI_RETURN_IF_ERROR(write_store_file(build, fs::path(kMarkerName) / "owner", std::as_bytes(std::span(owner)), "owner.tmp"));
  ZPMPI_RETURN_IF_ERROR(write_resume_record(build, request.resume_record));
  return create_store(build, request.array_names, request.format);
}

}  // namespace

Result<StoreTransaction> StoreTransaction::begin(StoreRequest request) {
  std::error_code ec;
  fs::path cwd = request.cwd.empty() ? fs::current_path(ec) : request.cwd;
  if (ec) return runtime_error("cannot read the working directory: " + ec.message());
  cwd = real_path(cwd, "/");
  ZPMPI_ASSIGN_OR_RETURN(StorePath store, resolve_store_path(request.store, cwd));
  for (const auto& name : request.array_names)
    ZPMPI_RETURN_IF_ERROR(check_array_name(store.path, name, request.format));
  const auto notify = request.notify ? request.notify : [](const std::string&) {};

  if (fs::is_symlink(fs::symlink_status(store.path, ec))) return refuse_link(store);
  ZPMPI_RETURN_IF_ERROR(refuse_holders(store, cwd, request.protect));
  // Missing parents are created, so "cache/era5.zarr" works in a fresh directory; the
  // lock lives there too.
  fs::create_directories(store.parent(), ec);
  if (ec) return runtime_error("cannot create store " + store.path.string() + ": " + ec.message());
  ZPMPI_ASSIGN_OR_RETURN(StoreLock lock, StoreLock::acquire(store, request.resume, request.slurm_job_id));

  // Under the lock, the path is ours to judge: another zpmpi run cannot change it now.
  ZPMPI_RETURN_IF_ERROR(restore_store_moved_aside(store, notify));
  const fs::file_status st = fs::symlink_status(store.path, ec);
  const bool existed = fs::exists(st);
  fs::path adopted;
  if (request.resume) {
    ZPMPI_ASSIGN_OR_RETURN(adopted, find_resumable(store, request.resume_record));
    if (!adopted.empty()) ZPMPI_RETURN_IF_ERROR(check_adoptable(store, adopted));
    // No copy left and a complete store in place: the run being resumed ended (or was
    // killed after its swap, maybe while removing the old store: that leftover goes). If
    // the store is this job's, there is nothing to do; the lock goes with `done`.
    if (adopted.empty() && existed && !fs::is_symlink(st) && complete_store_format(store.path) &&
        (!request.append || check_complete_store(store, request.resume_record).ok())) {
      ZPMPI_RETURN_IF_ERROR(check_complete_store(store, request.resume_record));
      remove_leftovers(store, notify);
      StoreTransaction done(store, std::move(lock), {}, {}, existed, notify);
      done.active_ = false;
      done.complete_ = true;
      return done;
    }
  }
  if (request.append) {
    ZPMPI_RETURN_IF_ERROR(check_append_target(store, *request.append, request.format));
  } else if (existed) {
    if (!request.overwrite)
      return runtime_error("store " + store.path.string() +
                           " exists; pass --overwrite (or \"overwrite\": true) to replace it");
    if (fs::is_symlink(st)) return refuse_link(store);
    ZPMPI_RETURN_IF_ERROR(check_replaceable(store));
  }
  const ProcessIdentity me = ProcessIdentity::self(request.slurm_job_id);
  const fs::path build = build_copy_path(store, me);
  ZPMPI_RETURN_IF_ERROR(make_copy(store, adopted, build, notify));
  // From here the transaction owns the copy: a failure below removes it.
  StoreTransaction tx(store, std::move(lock), build, aside_path(store, me), existed, notify);
  tx.resumed_ = !adopted.empty();
  ZPMPI_RETURN_IF_ERROR(fill_copy(store, build, me, request));
  if (request.append) {
    auto linked = link_store_files(store.path, build, request.append->rewritten);
    if (!linked.ok()) return linked.error();
  }
  hold_for_tests(request.hold_lock_until);
  return tx;
}

StoreTransaction::StoreTransaction(StorePath store, StoreLock lock, fs::path build, fs::path aside, bool existed,
                                   std::function<void(const std::string&)> notify)
    : store_(std::move(store)),
      lock_(std::move(lock)),
      build_(std::move(build)),
      aside_(std::move(aside)),
      existed_(existed),
      notify_(std::move(notify)) {}

StoreTransaction::StoreTransaction(StoreTransaction&& other) noexcept
    : store_(std::move(other.store_)),
      lock_(std::move(other.lock_)),
      build_(std::move(other.build_)),
      aside_(std::move(other.aside_)),
      existed_(other.existed_),
      active_(other.active_),
      resumed_(other.resumed_),
      complete_(other.complete_),
      notify_(std::move(other.notify_)) {
  other.active_ = false;
}

StoreTransaction::~StoreTransaction() { (void)abandon(); }

Status StoreTransaction::commit() {
  if (!active_) return runtime_error("internal: store " + store_.path.string() + " committed twice or abandoned");
  std::error_code ec;
  if (fs::exists(fs::symlink_status(store_.path, ec)) != existed_)
    return runtime_error("store " + store_.path.string() + " was " + (existed_ ? "removed" : "created") +
                         " by something else while this run was writing it; not replacing it");
  ZPMPI_ASSIGN_OR_RETURN(Swapped swapped, swap_into_place(build_, store_, aside_, existed_));
  active_ = false;  // the copy is the store now
  if (!swapped.old_store.empty()) {
    const Status removed = remove_zarr_tree(swapped.old_store);
    if (!removed.ok())
      notify_("the new store is in place, but the old one was not removed completely: " + removed.error().message);
  }
  lock_.release();
  return {};
}

void StoreTransaction::keep() {
  active_ = false;  // no longer ours to remove: the next --resume adopts it
  lock_.release();
}

Status StoreTransaction::abandon() {
  Status removed;
  if (active_) {
    active_ = false;
    removed = remove_zarr_tree(build_);
  }
  lock_.release();
  return removed;
}

}  // namespace zpmpi::zarr
