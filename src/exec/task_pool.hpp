// Worker threads that outlive a batch. The pipelined executor queues on them, in the order
// queued, the decoding of one batch's source chunks and the writing of another's output
// chunks, while the reading thread (the caller, which keeps every library call) fetches
// the next batch. Each thread has a fixed number (0 .. workers-1), so that a task can use
// that worker's buffers and codec without sharing them.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace zpmpi::exec {

class TaskPool {
 public:
  using Task = std::function<void(int worker)>;

  explicit TaskPool(int workers);
  /// Runs every task still queued, then joins the threads.
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  int workers() const { return static_cast<int>(threads_.size()); }
  /// Queues `task`; any thread may call it, a task too. A task must not throw (the pool
  /// would terminate): it reports its own errors.
  void submit(Task task);

 private:
  void work(int worker);

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::jthread> threads_;  ///< last: started once the rest exists
};

}  // namespace zpmpi::exec
