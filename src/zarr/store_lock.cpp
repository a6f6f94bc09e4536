// The one-writer lock of a store: see store_lock.hpp.
#include "zpmpi/zarr/store_lock.hpp"

#include "zpmpi/zarr/file_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace {

std::string read_small_file(const fs::path& path, bool* ok = nullptr) {
  std::ifstream in(path, std::ios::binary);
  if (ok) *ok = static_cast<bool>(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

/// Writes `text` to a new file `path` (O_EXCL), so a partly written record is never
/// mistaken for someone else's. Returns 0 or the errno.
int create_with(const fs::path& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  if (const int err = write_all(fd, std::as_bytes(std::span(text)))) {
    ::close(fd);
    ::unlink(path.c_str());
    return err;
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return err;
  }
  return 0;
}

std::string local_time(std::time_t t) {
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

/// The command that removes `path` as it is: `rm -r` for a directory with entries,
/// `rmdir` for an empty one (plain `rm` removes neither), `rm` for anything else (a link
/// itself, not its target).
std::string remove_command(const fs::path& path) {
  struct stat st{};
  const std::string quoted = shell_quote(path.string());
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return "rm " + quoted;
  std::error_code ec;
  return (fs::is_empty(path, ec) && !ec ? "rmdir " : "rm -r ") + quoted;
}

/// The refusal for a lock that exists, by what can be known about its holder.
Error held(const StorePath& store, const fs::path& lock) {
  bool readable = false;
  const ProcessIdentity holder = parse_lock_record(read_small_file(lock, &readable));
  struct stat st{};
  const std::string since = ::stat(lock.c_str(), &st) == 0 ? ", since " + local_time(st.st_mtime) : "";
  const std::string rm = remove_command(lock);
  const std::string& s = store.path.string();
  if (::lstat(lock.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return runtime_error("store " + s + " is locked by " + lock.string() + ", which is " +
                         (S_ISDIR(st.st_mode) ? "a directory" : "not a regular file") +
                         ", not a zpmpi lock; if no zpmpi run is writing this store, remove it: " + rm);
  if (holder.host.empty() || holder.pid <= 0)
    return runtime_error("store " + s + " is locked by " + lock.string() +
                         ", which does not say who holds it; if no zpmpi run is writing this store, "
                         "remove the lock: " + rm);
  switch (holder_state(holder)) {
    case HolderState::kRunning:
      return runtime_error("store " + s + " is being written by another zpmpi run (" + holder.describe() + since +
                           "); one run writes a store at a time: wait for it to end (lock " + lock.string() + ")");
    case HolderState::kGone:
      return runtime_error("store " + s + " has a stale lock " + lock.string() + " of a zpmpi run that is gone (" +
                           holder.describe() + since + "); if no other run is writing this store, remove it: " +
                           rm);
    case HolderState::kUnknown:
      break;
  }
  return runtime_error("store " + s + " is locked by a zpmpi run on another host (" + holder.describe() + since +
                       "), which cannot be checked from here; if that run has ended" +
                       (holder.slurm_job_id.empty() ? std::string() : " (squeue -j " + holder.slurm_job_id + ")") +
                       ", remove the lock: " + rm);
}

}  // namespace

ProcessIdentity ProcessIdentity::self(std::string slurm_job_id) {
  ProcessIdentity who;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) who.host = host;
  if (who.host.empty()) who.host = "unknown-host";
  who.pid = static_cast<long>(::getpid());
  who.start_time = process_start_time(who.pid);
  who.boot_id = first_line(read_small_file("/proc/sys/kernel/random/boot_id"));
  who.slurm_job_id = std::move(slurm_job_id);
  return who;
}

std::string ProcessIdentity::describe() const {
  std::string text = "host " + host + ", pid " + std::to_string(pid);
  if (!slurm_job_id.empty()) text += ", SLURM job " + slurm_job_id;
  return text;
}

std::string lock_record(const ProcessIdentity& who, const fs::path& store) {
  return "zpmpi-lock 1\nhost=" + who.host + "\npid=" + std::to_string(who.pid) + "\nstart_time=" + who.start_time +
         "\nboot_id=" + who.boot_id + "\nslurm_job_id=" + who.slurm_job_id + "\nstore=" + store.string() + "\n";
}

ProcessIdentity parse_lock_record(const std::string& text) {
  ProcessIdentity who;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != "zpmpi-lock 1") return who;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "host") who.host = value;
    else if (key == "pid") who.pid = std::strtol(value.c_str(), nullptr, 10);
    else if (key == "start_time") who.start_time = value;
    else if (key == "boot_id") who.boot_id = value;
    else if (key == "slurm_job_id") who.slurm_job_id = value;
  }
  return who;
}

namespace {

/// The fields of /proc/PID/stat from field 3 (state) on; empty if the process does not exist.
std::vector<std::string> stat_fields(long pid) {
  const std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  // "pid (comm) state ppid ...": comm may hold spaces and ')', so split after the last ')'.
  const auto close = stat.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream in(stat.substr(close + 1));
  for (std::string f; in >> f;) fields.push_back(f);
  return fields;
}

/// The start time (field 22) among stat_fields; empty if absent.
std::string start_time_of(const std::vector<std::string>& fields) { return fields.size() > 19 ? fields[19] : ""; }

}  // namespace

std::string process_start_time(long pid) { return start_time_of(stat_fields(pid)); }

HolderState holder_state(const ProcessIdentity& holder) {
  const ProcessIdentity me = ProcessIdentity::self();
  if (holder.host.empty() || holder.pid <= 0 || holder.host != me.host) return HolderState::kUnknown;
  if (!holder.boot_id.empty() && !me.boot_id.empty() && holder.boot_id != me.boot_id) return HolderState::kGone;
  // kill(pid, 0) sees processes /proc may hide (hidepid); EPERM means it exists.
  if (::kill(static_cast<pid_t>(holder.pid), 0) != 0 && errno == ESRCH) return HolderState::kGone;
  const auto fields = stat_fields(holder.pid);
  // A killed process its parent has not reaped yet (a zombie) writes nothing any more.
  if (!fields.empty() && (fields[0] == "Z" || fields[0] == "X")) return HolderState::kGone;
  const std::string start = start_time_of(fields);
  if (!start.empty() && !holder.start_time.empty() && start != holder.start_time) return HolderState::kGone;
  return HolderState::kRunning;
}

std::string shell_quote(const std::string& path) {
  const bool plain = !path.empty() && path.find_first_not_of(
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+,:@%") == std::string::npos;
  if (plain) return path;
  std::string quoted = "'";
  for (char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

fs::path lock_path(const StorePath& store) {
  std::string name = ".";  // built by appending: GCC 12 warns (-Wrestrict) on "." + string
  name += store.name();
  name += ".zpmpi-lock";
  return store.parent() / name;
}

Result<StoreLock> StoreLock::acquire(const StorePath& store, bool replace_stale, const std::string& slurm_job_id) {
  auto taken = take(store, slurm_job_id);
  if (taken.ok() || !replace_stale) return taken;
  const fs::path lock = lock_path(store);
  bool readable = false;
  const std::string stale = read_small_file(lock, &readable);
  const ProcessIdentity holder = parse_lock_record(stale);
  if (!readable || holder.host.empty() || holder.pid <= 0 || holder_state(holder) != HolderState::kGone) return taken;
  // Move it aside, then make sure what moved is the stale record (another run may have
  // replaced it meanwhile: then put that one back) before removing it.
  const ProcessIdentity me = ProcessIdentity::self();
  const fs::path aside = lock.string() + ".stale." + me.host + "." + std::to_string(me.pid);
  if (::rename(lock.c_str(), aside.c_str()) != 0) return taken;
  if (read_small_file(aside) != stale) {
    (void)::link(aside.c_str(), lock.c_str());
    ::unlink(aside.c_str());
    return taken;
  }
  ::unlink(aside.c_str());
  return take(store, slurm_job_id);
}

Result<StoreLock> StoreLock::take(const StorePath& store, const std::string& slurm_job_id) {
  const fs::path lock = lock_path(store);
  const ProcessIdentity me = ProcessIdentity::self(slurm_job_id);
  const std::string record = lock_record(me, store.path);
  const fs::path own = lock.string() + "." + me.host + "." + std::to_string(me.pid);
  const auto cannot = [&](int err) {
    return runtime_error("cannot create the lock " + lock.string() + " of store " + store.path.string() + ": " +
                         std::strerror(err));
  };
  ::unlink(own.c_str());  // a leftover of an earlier process with this pid
  if (const int err = create_with(own, record)) return cannot(err);
  int err = ::link(own.c_str(), lock.c_str()) == 0 ? 0 : errno;
  if (err != 0 && err != EEXIST) {
    struct stat st{};
    if (::stat(own.c_str(), &st) == 0 && st.st_nlink == 2) {
      err = 0;  // NFS: the link was made but the reply was lost
    } else if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == ENOSYS) {
      err = create_with(lock, record);  // no hard links here: exclusive create instead
    }
  }
  ::unlink(own.c_str());
  if (err == EEXIST) return held(store, lock);
  if (err != 0) return cannot(err);
  return StoreLock(lock, record);
}

StoreLock::StoreLock(StoreLock&& other) noexcept
    : path_(std::move(other.path_)), record_(std::move(other.record_)), held_(other.held_) {
  other.held_ = false;
}

StoreLock& StoreLock::operator=(StoreLock&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    record_ = std::move(other.record_);
    held_ = other.held_;
    other.held_ = false;
  }
  return *this;
}

StoreLock::~StoreLock() { release(); }

void StoreLock::release() {
  if (!held_) return;
  held_ = false;
  bool readable = false;
  if (read_small_file(path_, &readable) == record_ && readable) ::unlink(path_.c_str());
}

}  // namespace zpmpi::zarr
