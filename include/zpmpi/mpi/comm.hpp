// The only door to MPI. Everything else in zpmpi is plain C++ that unit tests run without
// mpirun; this layer moves strings, statuses and counters between ranks.
//
// Failure agreement: every rank calls agree() with its own status at the same points of
// the run (after planning, after writing chunks, after metadata); every rank gets back the
// same answer, the error of the lowest failing rank if any, so all ranks stop together
// and rank 0 prints the cause once. No rank ever waits on a rank that gave up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zpmpi/model/result.hpp"

namespace zpmpi::mpi {

/// MPI_Init on construction, MPI_Finalize on destruction (once per process).
class Session {
 public:
  Session(int* argc, char*** argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  /// Sends `value` from `root` to every rank (in place on the others).
  void broadcast(std::string& value, int root = 0) const;
  /// Broadcasts a Result<std::string> computed on `root`: all ranks get the value or the error.
  Result<std::string> broadcast(const Result<std::string>& value, int root = 0) const;
  /// The collective status: ok if every rank is ok, else the lowest failing rank's error
  /// (its message, prefixed "rank N: " when N != 0, and its exit code).
  Status agree(const Status& local) const;
  /// Element-wise sums and maxima over all ranks (every rank gets the result).
  std::vector<std::uint64_t> sum(const std::vector<std::uint64_t>& values) const;
  std::vector<double> max(const std::vector<double>& values) const;
  /// A name for where this process runs (MPI_Get_processor_name), for logs.
  std::string processor_name() const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace zpmpi::mpi
