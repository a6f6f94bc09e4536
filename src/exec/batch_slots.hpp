// Batches in flight (plan::ArrayPlan::batches_in_flight > 1): while the reading thread
// fetches one batch's source chunks, the workers decode another's and write a third's
// chunks. Each batch in flight holds a Slot (its buffers, kept for the batches that take
// the slot in turn); its tasks run on the TaskPool, the decoding first, then the chunks.
//
// BatchSlots owns the slots, the pool and the rank's first error: acquire() waits for a
// free slot, queue() runs a stage's tasks and then the next stage, the last of them
// releases the slot, drain() waits for all. The first error (fail()) stops the tasks not
// yet started; whoever waits keeps calling the run's check (another rank's stop, the
// progress rounds), which the reading thread must not stop doing while it waits.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "task_pool.hpp"
#include "zpmpi/model/byte_buffer.hpp"
#include "zpmpi/plan/region_plan.hpp"
#include "zpmpi/source/source.hpp"

namespace zpmpi::exec {

/// A batch in flight: its buffers, kept across the batches it takes in turn, and the
/// tasks it has left.
struct Slot {
  model::ByteBuffer hyperslab;
  model::ByteBuffer stored;  ///< the batch's stored source chunks, fetched ahead
  plan::Batch batch;
  std::unique_ptr<source::DeferredRead> read;
  std::atomic<std::size_t> left{0};  ///< tasks of the current stage (decode, then write) not done
  bool busy = false;                 ///< guarded by BatchSlots' mutex
};

/// `task()`, with an exception turned into an error (a pool thread must not throw).
Status guarded(const std::function<Status()>& task);

class BatchSlots {
 public:
  static constexpr std::chrono::milliseconds kPollWait{200};

  /// `slots` batches in flight on `workers` pool threads; with slots <= 1 neither slots
  /// nor threads (batches are then run one at a time, and only the error is kept here).
  /// `check`: the run's check (ExecOptions::check, may be empty), called every kPollWait
  /// while waiting; it must outlive this.
  BatchSlots(int slots, int workers, const std::function<Status()>& check);
  /// Stops the tasks still queued from doing anything, then joins the pool.
  ~BatchSlots();

  bool in_flight() const { return pool_.has_value(); }
  int workers() const { return pool_->workers(); }
  const std::vector<std::unique_ptr<Slot>>& slots() const { return slots_; }

  /// One of the first `in_flight` slots once it is free, now busy; nullptr when a task
  /// has failed (drain() then has the error).
  Slot* acquire(int in_flight);
  void release(Slot* slot);
  /// Waits until no batch is in flight; the first error, if any.
  Status drain();
  /// Records the first error (ok is ignored); tasks not yet started then do nothing.
  void fail(Status status);

  /// No batch in flight: frees the buffers the next array's batches will not use (a slot
  /// past its `used` first ones; a hyperslab buffer above `hyperslab_bytes`, a stored one
  /// above `stored_bytes`, beyond a huge page's rounding), and every slot's read.
  void fit(int used, std::uint64_t hyperslab_bytes, std::uint64_t stored_bytes);

  /// Queues task(i, worker) for i < n on the pool (skipped once a task has failed); after
  /// the last, then(slot) without an error, else the slot is released. Never leaves the
  /// slot busy: a task that cannot be queued (out of memory) counts as done, with its
  /// error. slot->read stays until the reading thread reuses the slot: ending it may end
  /// a source's file (multi-file), a library call the workers must not make.
  template <class Task, class Then>
  void queue(Slot* slot, std::size_t n, Task task, Then then);

 private:
  /// Waits (holding `lock`) until `done`, running the check every kPollWait.
  void wait(std::unique_lock<std::mutex>& lock, const std::function<bool()>& done);

  const std::function<Status()>& check_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::mutex mutex_;
  std::condition_variable changed_;  ///< a slot freed, or a task failed
  Status failure_;                   ///< the first error; guarded by mutex_
  std::atomic<bool> failed_{false};
  std::optional<TaskPool> pool_;  ///< last: joined first, while what its tasks use exists
};

template <class Task, class Then>
void BatchSlots::queue(Slot* slot, std::size_t n, Task task, Then then) {
  auto finished = [this, slot, then]() {
    if (--slot->left > 0) return;
    if (!failed_) {
      try {
        then(slot);
        return;
      } catch (const std::exception& e) {
        fail(runtime_error(std::string("unexpected failure: ") + e.what()));
      }
    }
    release(slot);
  };
  slot->left = n + 1;  // + 1 until every task is queued
  std::size_t queued = 0;
  try {
    for (; queued < n; ++queued)
      pool_->submit([this, task, finished, queued](int w) {
        if (!failed_) task(queued, w);
        finished();
      });
  } catch (const std::exception& e) {
    fail(runtime_error(std::string("unexpected failure: ") + e.what()));
    slot->left -= n - queued;
  }
  finished();
}

}  // namespace zpmpi::exec
