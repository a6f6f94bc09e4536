// A TaskRunner for the source tests: runs tasks on `n` threads, as the executor's workers do.
#pragma once

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "zpmpi/source/source.hpp"

namespace zpmpi::testing {

class ThreadRunner : public source::TaskRunner {
 public:
  explicit ThreadRunner(int n) : n_(n) {}
  int workers() const override { return n_; }
  Status run(std::size_t count, const std::function<Status(std::size_t, int)>& task) override {
    std::atomic<std::size_t> next{0};
    std::mutex m;
    Status first;
    std::vector<std::thread> threads;
    for (int w = 0; w < n_; ++w)
      threads.emplace_back([&, w] {
        for (std::size_t i; (i = next++) < count;) {
          auto st = task(i, w);
          std::lock_guard lock(m);
          if (!st.ok() && first.ok()) first = st;
        }
      });
    for (auto& t : threads) t.join();
    ++runs;
    return first;
  }
  int runs = 0;

 private:
  int n_;
};

}  // namespace zpmpi::testing
