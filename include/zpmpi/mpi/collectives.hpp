// What a job needs from its ranks, as an interface: mpi::Session (comm.hpp) implements it
// over MPI and mpi::RunChannel (run_channel.hpp) implements Channel; the job's unit tests
// implement both with ranks on threads (tests/unit/app/fake_session.hpp), so the job's
// phases (app/job_phases.hpp) run without mpirun.
//
// Every method is a collective unless it says otherwise: every rank calls it, at the same
// point of the run, in the same order. The contracts are Session's (comm.hpp): the outer
// Result fails only when the transport did (MPI failed); the caller then ends every rank
// with abort(), the one way to be sure no rank waits forever.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "zpmpi/model/result.hpp"

namespace zpmpi::mpi {

/// How a value of a reduction combines over ranks.
enum class Op { kSum, kMax };

/// One value of a reduction: where it lives (replaced in place by the result) and how it
/// combines. Built from a field list (see exec::fields(Stats&)): the MPI layer knows no struct.
struct ReduceField {
  std::variant<std::uint64_t*, double*> value;
  Op op = Op::kSum;
};

/// What one rank reports in a round of the run channel.
struct RankState {
  bool failed = false;       ///< this rank has stopped with an error
  bool interrupted = false;  ///< this rank has stopped on a signal (resumable)
  bool done = false;         ///< this rank has no more work (set with failed/interrupted too)
  std::uint64_t chunks = 0;  ///< chunk files written so far (progress)
  std::uint64_t bytes = 0;   ///< chunk bytes written so far (progress)
};

/// The sums of one completed round over all ranks.
struct Totals {
  std::uint64_t failed = 0;       ///< ranks that failed
  std::uint64_t interrupted = 0;  ///< ranks interrupted by a signal
  std::uint64_t done = 0;         ///< ranks with no more work
  std::uint64_t chunks = 0;       ///< chunk files written, all ranks
  std::uint64_t bytes = 0;        ///< chunk bytes written, all ranks
  std::uint64_t rounds = 0;       ///< rounds completed so far (0: no totals yet)
  int ranks = 1;

  /// Some rank failed or was interrupted: every rank should stop taking work.
  bool stop() const { return failed > 0 || interrupted > 0; }
  /// The last round: stop(), or every rank is done.
  bool final() const { return stop() || done == static_cast<std::uint64_t>(ranks); }
};

/// Rounds that tell every rank, while it works, whether another failed and how far the
/// job has got, without waiting (run_channel.hpp). Not a collective per call: only the
/// main thread of each rank calls it.
class Channel {
 public:
  virtual ~Channel() = default;
  /// Non-blocking: the totals of the last completed round (rounds == 0 before the first).
  virtual Result<Totals> poll(const RankState& mine) = 0;
  /// Blocks until a final round has completed, contributing `mine` (done set). Every rank
  /// calls it once, when it has no more work.
  virtual Result<Totals> finish(const RankState& mine) = 0;
};

class Collectives {
 public:
  virtual ~Collectives() = default;

  /// Not collective: this rank and the number of ranks.
  virtual int rank() const = 0;
  virtual int size() const = 0;

  /// Sends `value` from `root` to every rank (in place on the others).
  virtual Status broadcast(std::string& value, int root = 0) const = 0;
  /// Every rank gets `root`'s value or its error.
  virtual Result<Result<std::string>> broadcast(const Result<std::string>& value, int root = 0) const = 0;
  /// Ok if every rank is ok, else the lowest failing rank's error ("rank N: " prefixed
  /// when N != 0, its exit code kept).
  virtual Result<Status> agree(const Status& local) const = 0;
  /// Every field combined over all ranks in place (sums and maxima); same list on each rank.
  virtual Status reduce(std::span<const ReduceField> fields) const = 0;
  /// Every rank's values (same count on each) in rank order on `root`; empty elsewhere.
  virtual Result<std::vector<std::uint64_t>> gather(std::span<const std::uint64_t> values, int root = 0) const = 0;
  virtual Result<std::vector<double>> gather(std::span<const double> values, int root = 0) const = 0;
  virtual Result<std::vector<std::string>> gather(const std::string& value, int root = 0) const = 0;
  /// Opens the run channel (collective: every rank, same point).
  virtual Result<std::unique_ptr<Channel>> open_channel() const = 0;

  /// Not collective: ends every rank with `code` after a transport failure. Does not return.
  [[noreturn]] virtual void abort(int code) const = 0;
};

}  // namespace zpmpi::mpi
