// The run channel: how ranks learn, while they work, that another rank failed or was
// interrupted, and how far the whole job has got - without ever waiting for each other.
//
// The pattern is mpiFileUtils' mfu_progress: rounds of one non-blocking MPI_Iallreduce
// (sum) over a communicator of the channel's own (a duplicate of MPI_COMM_WORLD). Each
// rank contributes its RankState; a round completes when every rank has joined it, and
// then every rank sees the same Totals. poll() is called from the work loop (the main
// thread, between chunks): it tests the round in flight and, when it has completed and
// at least `min_interval` has passed, starts the next with the rank's current state. So a
// rank that fails at minute 1 is known to every rank a round or two later (a chunk or two
// of work plus the interval), not when they finish their work.
//
// Termination: a round whose totals are *final* (some rank failed or was interrupted, or
// every rank is done) is the last one; every rank sees the same final round, so all stop
// issuing rounds at the same one and the communicator is quiet when the channel is closed.
// finish() is what a rank calls when it has no more work (done, failed or interrupted):
// it keeps joining rounds until a final one.
//
// Progress for reports (the HPC issue's progress line) rides on the same rounds: the
// chunks and bytes fields are summed; read them from the Totals poll() returns.
//
// Only the main thread may call this object (MPI_THREAD_FUNNELED). A failed MPI call
// is returned as an error; the caller then ends the job (Session::abort), as for any
// other collective.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "zpmpi/model/result.hpp"
#include "zpmpi/mpi/comm.hpp"

namespace zpmpi::mpi {

/// RankState and Totals: collectives.hpp.
class RunChannel : public Channel {
 public:
  /// Collective (every rank, same point): duplicates MPI_COMM_WORLD for the channel.
  /// `min_interval`: the least time between the starts of two rounds on this rank.
  static Result<RunChannel> open(const Session& session,
                                 std::chrono::milliseconds min_interval = std::chrono::milliseconds(20));

  RunChannel(RunChannel&&) noexcept;
  RunChannel& operator=(RunChannel&&) noexcept;
  ~RunChannel() override;  ///< frees the communicator (the rounds must have reached a final one)

  /// Non-blocking: tests the round in flight; starts the next one with `mine` when the
  /// last has completed (and was not final) and min_interval has passed. Returns the
  /// totals of the last completed round (rounds == 0 before the first completes).
  Result<Totals> poll(const RankState& mine) override;

  /// Blocks (testing with short sleeps) until a final round has completed, contributing
  /// `mine` (done must be set) to each new round. Returns the final totals.
  Result<Totals> finish(const RankState& mine) override;

  /// The totals of the last completed round.
  const Totals& totals() const { return totals_; }

 private:
  struct State;
  explicit RunChannel(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  Totals totals_;
};

}  // namespace zpmpi::mpi
