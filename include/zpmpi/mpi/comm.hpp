// Module `mpi` (DESIGN.md, "Modules"): the only place that names MPI. It moves strings,
// statuses and plain numbers between ranks and knows no struct of the other modules (app
// turns exec's Stats into ReduceFields). Depends on model (Result) and MPI's C API. Never:
// an MPI call from a worker thread (MPI_THREAD_FUNNELED), a collective that one rank may
// skip (each is called by every rank at the same point, listed in app/job_phases.hpp), a
// wait on a rank that gave up (failures are agreed; abort() is the last resort), getenv
// other than launch.hpp's detection of its launcher.
//
//   collectives.hpp    Collectives and Channel: what a job needs from its ranks, as an
//                      interface (the unit tests implement it with ranks on threads)
//   comm.hpp           Session: Collectives over MPI, with error agreement (below)
//   run_channel.hpp    RunChannel: non-blocking rounds that spread failures and progress
//   launch.hpp         how Open MPI is asked to start, before MPI_Init
//   library_version.hpp   the MPI library's version line
//
// The only door to MPI. Everything else in zpmpi is plain C++ that unit tests run without
// mpirun; this layer moves strings, statuses and numbers between ranks.
//
// Failure agreement: every rank calls agree() with its own status at the same points of
// the run (after writing chunks, after metadata: the collective points listed in
// app/job_phases.hpp); every rank gets back the same answer, the error of the lowest
// failing rank if any, so all ranks stop together and rank 0 prints the cause once. No rank ever waits on a rank that gave up.
//
// MPI failures: every MPI call's return code is checked (errors return, MPI_ERRORS_RETURN,
// instead of aborting without a word). A failed call becomes an Error naming the call and
// carrying MPI's own text ("MPI_Allreduce failed: MPI_ERR_OTHER: known error not in
// list"). A collective that failed on one rank leaves the others inside it or out of step,
// so no further collective can be trusted: the caller prints the error and calls abort(),
// which ends every rank (MPI_Abort) with that exit code. That is the last resort and the
// only way to be sure no rank hangs; the collectives therefore return Result<...> whose
// error means "MPI failed", apart from the answer (itself a Status) they carry.
//
// All of zpmpi's traffic goes over its own communicator (a duplicate of MPI_COMM_WORLD,
// freed before MPI_Finalize), so a library that also uses MPI cannot mix its messages
// with ours. MPI is initialised at MPI_THREAD_FUNNELED: worker threads never call MPI,
// only the main thread does (src/exec/executor.cpp's threads encode and write files).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "zpmpi/model/result.hpp"
#include "zpmpi/mpi/collectives.hpp"

namespace zpmpi::mpi {

/// MPI's thread support levels, in increasing order (MPI_THREAD_SINGLE ... MULTIPLE).
enum class ThreadLevel { kSingle, kFunneled, kSerialized, kMultiple };

/// The level zpmpi needs: only the main thread calls MPI.
inline constexpr ThreadLevel kRequiredThreadLevel = ThreadLevel::kFunneled;

/// "MPI_THREAD_FUNNELED" etc.
std::string_view thread_level_name(ThreadLevel level);

/// Ok when `provided` is at least kRequiredThreadLevel, else an error naming both levels.
Status check_thread_level(ThreadLevel provided);

/// The one-line error text of a failed MPI call: "<operation> failed: <MPI's text>", with
/// MPI's text on one line (its line breaks become spaces, surrounding blanks trimmed;
/// "error code N" when MPI gave no text).
std::string mpi_failure_text(std::string_view operation, int code, std::string_view mpi_text);

/// Test hook (app parses ZPMPI_TEST_MPI_FAIL="MPI_Allreduce@1", app/environment.hpp): every
/// call of `operation` on rank `rank` fails with MPI_ERR_OTHER without being made, as a
/// broken network would, so the integration tests can prove such a failure reaches the
/// user and no rank hangs. Empty: none.
struct InjectedFailure {
  std::string operation;
  int rank = -1;
  bool applies(std::string_view op, int at_rank) const {
    return !operation.empty() && op == operation && at_rank == rank;
  }
};

/// MPI_Init_thread on construction, MPI_Finalize on destruction (once per process). The
/// job drives it through Collectives (collectives.hpp), which tests fake.
class Session : public Collectives {
 public:
  /// Never throws: a failure to start is reported by status(). `inject`: see above.
  explicit Session(int* argc, char*** argv, InjectedFailure inject = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Ok when MPI started with the thread level zpmpi needs and its communicator exists.
  const Status& status() const { return status_; }
  /// True when status() failed in a way other ranks may not share (e.g. MPI_Comm_dup, a
  /// collective): the caller must abort() rather than return. False for a failure every
  /// rank sees alike (the thread level), where returning is clean.
  bool must_abort() const { return must_abort_; }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  /// Sends `value` from `root` to every rank (in place on the others).
  Status broadcast(std::string& value, int root = 0) const override;
  /// Broadcasts a Result<std::string> computed on `root`: all ranks get the value or the
  /// error. The outer Result fails only when MPI did.
  Result<Result<std::string>> broadcast(const Result<std::string>& value, int root = 0) const override;
  /// The collective status: ok if every rank is ok, else the lowest failing rank's error
  /// (its message, prefixed "rank N: " when N != 0, and its exit code). The outer Result
  /// fails only when MPI did.
  Result<Status> agree(const Status& local) const override;
  /// Combines every field over all ranks in place (every rank gets the result): sums and
  /// maxima of uint64 and double values, one MPI_Allreduce per kind present. Every rank
  /// must pass the same list (same kinds and ops in the same order).
  Status reduce(std::span<const ReduceField> fields) const override;
  /// Every rank's `values` (the same count on each), concatenated in rank order on `root`;
  /// empty on the other ranks.
  Result<std::vector<std::uint64_t>> gather(std::span<const std::uint64_t> values, int root = 0) const override;
  Result<std::vector<double>> gather(std::span<const double> values, int root = 0) const override;
  /// Collective: every rank's `value`, in rank order, at `root` (empty elsewhere).
  Result<std::vector<std::string>> gather(const std::string& value, int root = 0) const override;

  /// A new run channel (run_channel.hpp) on this session.
  Result<std::unique_ptr<Channel>> open_channel() const override;

  /// A name for where this process runs (MPI_Get_processor_name), for logs.
  Result<std::string> processor_name() const;

  /// Ends every rank of the job with `code` (MPI_Abort): the last resort after an MPI
  /// failure, when the ranks can no longer agree. Does not return.
  [[noreturn]] void abort(int code) const override;

 private:
  Status status_;
  InjectedFailure inject_;
  bool must_abort_ = false;
  bool initialized_ = false;
  int rank_ = 0;
  int size_ = 1;
  struct Comm;                  ///< holds the duplicated MPI_Comm (kept out of this header)
  std::unique_ptr<Comm> comm_;  ///< null until MPI_Comm_dup succeeded
};

}  // namespace zpmpi::mpi
