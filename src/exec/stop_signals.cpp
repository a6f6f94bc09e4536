// The stop-signal flag: see stop_signals.hpp.
#include "zpmpi/exec/stop_signals.hpp"

#include <csignal>

#include <atomic>

namespace zpmpi::exec {
namespace {

std::atomic<int> received{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int signal) {
  int none = 0;
  received.compare_exchange_strong(none, signal);  // the first signal is the one reported
}

}  // namespace

void install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaction(s, &action, nullptr);
}

int stop_signal() { return received.load(std::memory_order_relaxed); }

std::string signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
  }
  return "signal " + std::to_string(signal);
}

void set_stop_signal_for_tests(int signal) { received.store(signal); }

}  // namespace zpmpi::exec
