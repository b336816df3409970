// A tiny test-and-test-and-set lock guarding primitives' internal state (waiter lists,
// counters). Held for a few dozen instructions at most and never across a park, so spinning
// (then yielding the CPU) beats a futex here. Satisfies Lockable.
#pragma once

#include <atomic>

#include "triad/core/detail/cpu_relax.hpp"

namespace triad::detail {

class SpinLock {
 public:
  void lock() noexcept {
    for (;;) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      unsigned spins = 0;
      while (locked_.load(std::memory_order_relaxed)) detail::backoff(spins);
    }
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace triad::detail
