// The executor's workers for one batch's work, now (source::TaskRunner): the calling thread
// and workers - 1 started for the call (a thread start costs tens of microseconds, far
// below one chunk's work). Batches in flight use the TaskPool instead (task_pool.hpp).
#pragma once

#include "zpmpi/source/source.hpp"

namespace zpmpi::exec {

class ThreadRunner final : public source::TaskRunner {
 public:
  explicit ThreadRunner(int workers) : workers_(workers) {}
  int workers() const override { return workers_; }
  /// Tasks are taken from an atomic counter; the first error stops the rest from starting
  /// and is returned. On a started thread an exception from a task is such an error (it
  /// would end the process); on the calling thread it propagates.
  Status run(std::size_t n, const std::function<Status(std::size_t, int)>& task) override;

 private:
  int workers_;
};

}  // namespace zpmpi::exec
