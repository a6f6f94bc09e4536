#include "task_pool.hpp"

#include <algorithm>

namespace zpmpi::exec {

TaskPool::TaskPool(int workers) {
  const int n = std::max(workers, 1);
  threads_.reserve(static_cast<std::size_t>(n));
  for (int w = 0; w < n; ++w) threads_.emplace_back([this, w] { work(w); });
}

TaskPool::~TaskPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  threads_.clear();  // joins, after the queue has run dry
}

void TaskPool::submit(Task task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void TaskPool::work(int worker) {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task(worker);
  }
}

}  // namespace zpmpi::exec
