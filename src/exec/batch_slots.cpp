#include "batch_slots.hpp"

#include <algorithm>

namespace zpmpi::exec {

Status guarded(const std::function<Status()>& task) {
  try {
    return task();
  } catch (const std::exception& e) {
    return runtime_error(std::string("unexpected failure: ") + e.what());
  }
}

BatchSlots::BatchSlots(int slots, int workers, const std::function<Status()>& check) : check_(check) {
  if (slots <= 1) return;
  for (int i = 0; i < slots; ++i) slots_.push_back(std::make_unique<Slot>());
  pool_.emplace(workers);
}

BatchSlots::~BatchSlots() { failed_ = true; }  // before pool_ joins: tasks still queued do nothing

Slot* BatchSlots::acquire(int in_flight) {
  const std::size_t n = std::min(slots_.size(), static_cast<std::size_t>(in_flight));
  Slot* slot = nullptr;
  std::unique_lock lock(mutex_);
  wait(lock, [&] {
    for (std::size_t i = 0; i < n && !slot; ++i)
      if (!slots_[i]->busy) slot = slots_[i].get();
    return failed_ || slot;
  });
  if (failed_) return nullptr;
  slot->busy = true;
  return slot;
}

void BatchSlots::release(Slot* slot) {
  {
    std::lock_guard lock(mutex_);
    slot->busy = false;
  }
  changed_.notify_all();
}

Status BatchSlots::drain() {
  std::unique_lock lock(mutex_);
  wait(lock, [&] { return std::none_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->busy; }); });
  return failure_;
}

void BatchSlots::fail(Status status) {
  if (status.ok()) return;
  {
    std::lock_guard lock(mutex_);
    if (failure_.ok()) failure_ = std::move(status);
    failed_ = true;
  }
  changed_.notify_all();
}

void BatchSlots::fit(int used, std::uint64_t hyperslab_bytes, std::uint64_t stored_bytes) {
  constexpr std::uint64_t kRounding = model::ByteBuffer::kHugePageBytes;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    const bool kept = static_cast<int>(i) < used;
    if (!kept || slot.hyperslab.capacity() > hyperslab_bytes + kRounding) slot.hyperslab.release();
    if (!kept || slot.stored.capacity() > stored_bytes + kRounding) slot.stored.release();
    slot.read.reset();
  }
}

void BatchSlots::wait(std::unique_lock<std::mutex>& lock, const std::function<bool()>& done) {
  while (!changed_.wait_for(lock, kPollWait, done)) {
    if (!check_) continue;
    lock.unlock();
    fail(check_());
    lock.lock();
  }
}

}  // namespace zpmpi::exec
