// The clock the executor's stage seconds (Stats::seconds_*) are measured with.
#pragma once

#include <chrono>

namespace zpmpi::exec {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace zpmpi::exec
