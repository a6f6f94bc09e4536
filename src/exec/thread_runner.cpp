#include "thread_runner.hpp"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace zpmpi::exec {

Status ThreadRunner::run(std::size_t n, const std::function<Status(std::size_t, int)>& task) {
  if (workers_ == 1 || n <= 1) {
    for (std::size_t i = 0; i < n; ++i) ZPMPI_RETURN_IF_ERROR(task(i, 0));
    return {};
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<Status> status(static_cast<std::size_t>(workers_));
  const auto work = [&](int w) {
    try {
      for (std::size_t i = next++; i < n && !failed; i = next++) {
        status[w] = task(i, w);
        if (!status[w].ok()) failed = true;
      }
    } catch (const std::exception& e) {  // an exception leaving a thread would terminate
      status[w] = runtime_error(std::string("unexpected failure: ") + e.what());
      failed = true;
    }
  };
  {
    std::vector<std::jthread> threads;
    const int used = static_cast<int>(std::min<std::size_t>(workers_, n));
    for (int w = 1; w < used; ++w) threads.emplace_back(work, w);
    work(0);
  }  // joins
  for (Status& s : status)
    if (!s.ok()) return s;
  return {};
}

}  // namespace zpmpi::exec
