// One writer per store: the lock record, who holds it, and each refusal's message.
#include "zpmpi/zarr/store_lock.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "store_test_util.hpp"

namespace zpmpi::zarr {
namespace {

using namespace testing;

StorePath store_in(const fs::path& dir) { return StorePath{"s.zarr", dir / "s.zarr"}; }

/// A pid that existed and is gone: a child that exited and was reaped.
long gone_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

/// The state letter of /proc/PID/stat ("R", "S", "Z", ...).
std::string stat_state(pid_t pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close == std::string::npos ? "" : stat.substr(close + 2, 1);
}

void write_lock(const fs::path& dir, ProcessIdentity who) { spit(dir / ".s.zarr.zpmpi-lock", lock_record(who, dir / "s.zarr")); }

/// A host name that is not this machine's, whatever this machine is called.
std::string other_host(const std::string& preferred) {
  return ProcessIdentity::self().host == preferred ? preferred + "-other" : preferred;
}

TEST(ProcessIdentity, SelfAndItsRecordRoundTrip) {
  // The SLURM job is the caller's to give (app reads SLURM_JOB_ID).
  const ProcessIdentity me = ProcessIdentity::self("998877");
  EXPECT_FALSE(me.host.empty());
  EXPECT_EQ(me.pid, ::getpid());
  EXPECT_FALSE(me.start_time.empty());
  EXPECT_EQ(me.start_time, process_start_time(::getpid()));
  EXPECT_EQ(me.slurm_job_id, "998877");
  EXPECT_EQ(me.describe(), "host " + me.host + ", pid " + std::to_string(me.pid) + ", SLURM job 998877");
  const std::string record = lock_record(me, "/x/s.zarr");
  EXPECT_EQ(record.substr(0, 13), "zpmpi-lock 1\n");
  EXPECT_NE(record.find("\nstore=/x/s.zarr\n"), std::string::npos);
  const ProcessIdentity back = parse_lock_record(record);
  EXPECT_EQ(back.host, me.host);
  EXPECT_EQ(back.pid, me.pid);
  EXPECT_EQ(back.start_time, me.start_time);
  EXPECT_EQ(back.boot_id, me.boot_id);
  EXPECT_EQ(back.slurm_job_id, "998877");
  EXPECT_TRUE(parse_lock_record("garbage\nhost=x\npid=3\n").host.empty());
  EXPECT_EQ(process_start_time(gone_pid()), "");
}

TEST(HolderState, RunningGoneOrUnknown) {
  ProcessIdentity me = ProcessIdentity::self();
  EXPECT_EQ(holder_state(me), HolderState::kRunning);
  ProcessIdentity reused = me;
  reused.start_time = "1";  // the pid now belongs to another process
  EXPECT_EQ(holder_state(reused), HolderState::kGone);
  ProcessIdentity rebooted = me;
  rebooted.boot_id = "another-boot";
  EXPECT_EQ(holder_state(rebooted), HolderState::kGone);
  ProcessIdentity gone = me;
  gone.pid = gone_pid();
  EXPECT_EQ(holder_state(gone), HolderState::kGone);
  // Killed but not reaped (an orphan whose reaper is slow): a zombie holds nothing.
  const pid_t zombie = ::fork();
  if (zombie == 0) ::_exit(0);
  while (stat_state(zombie) != "Z") ::usleep(1000);
  ProcessIdentity dead = me;
  dead.pid = zombie;
  dead.start_time = process_start_time(zombie);
  EXPECT_EQ(holder_state(dead), HolderState::kGone);
  int status = 0;
  ::waitpid(zombie, &status, 0);
  ProcessIdentity elsewhere = me;
  elsewhere.host = other_host("another-node");
  EXPECT_EQ(holder_state(elsewhere), HolderState::kUnknown);
  EXPECT_EQ(holder_state(ProcessIdentity{}), HolderState::kUnknown);
}

TEST(StoreLock, OneHolderAtATimeAndReleaseRemovesTheFile) {
  const fs::path dir = fresh_dir("lock_one");
  const StorePath store = store_in(dir);
  EXPECT_EQ(lock_path(store), dir / ".s.zarr.zpmpi-lock");
  {
    auto first = StoreLock::acquire(store);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first->path(), dir / ".s.zarr.zpmpi-lock");
    EXPECT_EQ(parse_lock_record(slurp(first->path())).pid, ::getpid());
    EXPECT_EQ(names_in(dir), (std::vector<std::string>{".s.zarr.zpmpi-lock"}));  // no private file left
    auto second = StoreLock::acquire(store);
    ASSERT_FALSE(second.ok());
    const ProcessIdentity me = ProcessIdentity::self();
    EXPECT_EQ(second.error().code, ExitCode::kRuntime);
    EXPECT_EQ(second.error().message.rfind("store " + (dir / "s.zarr").string() +
                                               " is being written by another zpmpi run (" + me.describe() + ", since ",
                                           0),
              0u)
        << second.error().message;
    EXPECT_NE(second.error().message.find("wait for it to end (lock " + (dir / ".s.zarr.zpmpi-lock").string() + ")"),
              std::string::npos);
    first->release();
    EXPECT_FALSE(fs::exists(dir / ".s.zarr.zpmpi-lock"));
    auto third = StoreLock::acquire(store);
    ASSERT_TRUE(third.ok());
  }  // the destructor releases
  EXPECT_TRUE(names_in(dir).empty());
}

TEST(StoreLock, AStaleLockIsReportedWithTheRmCommandAndKept) {
  const fs::path dir = fresh_dir("lock_stale");
  ProcessIdentity gone = ProcessIdentity::self();
  gone.pid = gone_pid();
  write_lock(dir, gone);
  const std::string before = slurp(dir / ".s.zarr.zpmpi-lock");
  auto r = StoreLock::acquire(store_in(dir));
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("has a stale lock " + (dir / ".s.zarr.zpmpi-lock").string() + " of a zpmpi run that is gone (" +
                   gone.describe()),
            std::string::npos)
      << m;
  // The command to copy: the path quoted for the shell where it needs it (spaces).
  const std::string rm = "rm " + shell_quote((dir / ".s.zarr.zpmpi-lock").string());
  EXPECT_EQ(m.substr(m.size() - rm.size()), rm);
  EXPECT_EQ(slurp(dir / ".s.zarr.zpmpi-lock"), before);  // never removed automatically
}

TEST(StoreLock, ALockFromAnotherHostNamesItsHolderAndTheRmCommand) {
  const fs::path dir = fresh_dir("lock_other_host");
  ProcessIdentity other = ProcessIdentity::self();
  other.host = other_host("node042");
  other.pid = 81234;
  other.slurm_job_id = "4711";
  write_lock(dir, other);
  auto r = StoreLock::acquire(store_in(dir));
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("is locked by a zpmpi run on another host (host " + other.host + ", pid 81234, SLURM job 4711, since "),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("if that run has ended (squeue -j 4711), remove the lock: rm " +
                   shell_quote((dir / ".s.zarr.zpmpi-lock").string())),
            std::string::npos)
      << m;
}

TEST(StoreLock, AnUnreadableLockStillRefusesAndSaysHowToClearIt) {
  const fs::path dir = fresh_dir("lock_garbled");
  spit(dir / ".s.zarr.zpmpi-lock", "");
  auto r = StoreLock::acquire(store_in(dir));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "store " + (dir / "s.zarr").string() + " is locked by " +
                                   (dir / ".s.zarr.zpmpi-lock").string() +
                                   ", which does not say who holds it; if no zpmpi run is writing this store, "
                                   "remove the lock: rm " + shell_quote((dir / ".s.zarr.zpmpi-lock").string()));
}

// Issue 25, item 12: a lock planted as a directory was reported with `rm PATH`, which
// cannot remove a directory.
TEST(StoreLock, ALockThatIsADirectoryNamesTheCommandThatRemovesIt) {
  const fs::path dir = fresh_dir("lock_directory");
  const fs::path lock = dir / ".s.zarr.zpmpi-lock";
  fs::create_directory(lock);
  for (const bool empty : {true, false}) {
    if (!empty) spit(lock / "something", "x");
    for (const bool replace_stale : {false, true}) {
      auto r = StoreLock::acquire(store_in(dir), replace_stale);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().message, "store " + (dir / "s.zarr").string() + " is locked by " + lock.string() +
                                       ", which is a directory, not a zpmpi lock; if no zpmpi run is writing this "
                                       "store, remove it: " + (empty ? "rmdir " : "rm -r ") + shell_quote(lock.string()));
    }
  }
  EXPECT_TRUE(fs::is_directory(lock));  // never removed automatically
}

TEST(StoreLock, ReleaseLeavesALockThatIsNoLongerItsOwn) {
  const fs::path dir = fresh_dir("lock_taken_over");
  auto lock = StoreLock::acquire(store_in(dir));
  ASSERT_TRUE(lock.ok());
  spit(dir / ".s.zarr.zpmpi-lock", "zpmpi-lock 1\nhost=other\npid=5\n");  // removed by hand, taken by another run
  lock->release();
  EXPECT_EQ(slurp(dir / ".s.zarr.zpmpi-lock"), "zpmpi-lock 1\nhost=other\npid=5\n");
}

TEST(StoreLock, AnUncreatableLockNamesItself) {
  const fs::path dir = fresh_dir("lock_uncreatable");
  auto r = StoreLock::acquire(StorePath{"x", dir / "missing" / "s.zarr"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot create the lock " + (dir / "missing" / ".s.zarr.zpmpi-lock").string() +
                                   " of store " + (dir / "missing" / "s.zarr").string() + ": No such file or directory");
}

TEST(ShellQuote, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_quote("/scratch/a-b_c/.s.zarr.zpmpi-lock"), "/scratch/a-b_c/.s.zarr.zpmpi-lock");
  EXPECT_EQ(shell_quote("/my dir/x"), "'/my dir/x'");
  EXPECT_EQ(shell_quote("/it's"), "'/it'\\''s'");
}

}  // namespace
}  // namespace zpmpi::zarr

namespace zpmpi::zarr {
namespace {

TEST(StoreLock, ResumeReplacesTheStaleLockOfARunThatIsGone) {
  const fs::path dir = fresh_dir("lock_resume_stale");
  ProcessIdentity gone = ProcessIdentity::self();
  gone.pid = gone_pid();
  write_lock(dir, gone);
  auto r = StoreLock::acquire(store_in(dir), /*replace_stale=*/true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(parse_lock_record(slurp(dir / ".s.zarr.zpmpi-lock")).pid, ::getpid());
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{".s.zarr.zpmpi-lock"}));  // nothing aside is left
}

TEST(StoreLock, ResumeNeverReplacesALiveOrUncheckableLock) {
  const fs::path dir = fresh_dir("lock_resume_live");
  write_lock(dir, ProcessIdentity::self());  // running: this process
  const std::string live = slurp(dir / ".s.zarr.zpmpi-lock");
  EXPECT_FALSE(StoreLock::acquire(store_in(dir), true).ok());
  EXPECT_EQ(slurp(dir / ".s.zarr.zpmpi-lock"), live);
  ProcessIdentity elsewhere = ProcessIdentity::self();
  elsewhere.host = other_host("another-node");
  write_lock(dir, elsewhere);
  const std::string remote = slurp(dir / ".s.zarr.zpmpi-lock");
  EXPECT_FALSE(StoreLock::acquire(store_in(dir), true).ok());
  EXPECT_EQ(slurp(dir / ".s.zarr.zpmpi-lock"), remote);
}

}  // namespace
}  // namespace zpmpi::zarr
