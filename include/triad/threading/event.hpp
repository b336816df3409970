// Event: a flag that threads can wait for.
//
// Python: threading.Event
//
// The flag starts false. set() makes it true and wakes every waiter; clear() makes it false
// again; wait() blocks until it is true. Unlike a "notification" an Event can be reused.
//
//   triad::Event ready;
//   std::thread worker([&] { load_config(); ready.set(); });
//   if (!ready.wait(2s)) throw std::runtime_error("config took too long");
//
// Memory ordering: everything written before set() is visible to a thread after its wait()
// returns true or its is_set() returns true.
//
// Cost: is_set() is one load; set() on a set event and set()/clear() with nobody waiting
// are one atomic instruction each and make no system call.
//
// Thread safety: all members may be called concurrently. Not copyable, not movable.
#pragma once

#include <atomic>
#include <cstdint>

#include "triad/core/detail/spinlock.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"

namespace triad {

class Event {
 public:
  Event() noexcept = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() = default;

  // True if the flag is set. Never blocks.
  [[nodiscard]] bool is_set() const noexcept {
    return (state_.load(std::memory_order_acquire) & kSet) != 0;
  }

  // Sets the flag and wakes all waiters. Blocks: no. Throws: nothing.
  void set() noexcept {
    const std::uint32_t old = state_.fetch_or(kSet, std::memory_order_acq_rel);
    if ((old & kWaiters) != 0) wake_all();
  }

  // Clears the flag; later wait() calls block until the next set(). Blocks: no.
  void clear() noexcept { state_.fetch_and(~kSet, std::memory_order_relaxed); }

  // Waits until the flag is set. Python: wait(timeout=None).
  // Blocks: while the flag is false, until set() or the timeout.
  // Yields a green thread: yes (parks through the parking interface).
  // Thread safety: safe from any thread. Throws: nothing.
  // Timeout: absent = wait forever; zero or negative = don't wait (just report the flag).
  // Returns: true if the flag was set (the caller was woken by set(), or found it set);
  //   false if the timeout expired first (Python returns the flag, which is then false).
  bool wait(Timeout timeout = {}) {
    if (is_set()) return true;
    return wait_slow(Deadline::after(timeout));
  }

 private:
  static constexpr std::uint32_t kSet = 1;
  static constexpr std::uint32_t kWaiters = 2;  // the wait list may be non-empty

  void wake_all() noexcept;
  bool wait_slow(Deadline deadline);

  std::atomic<std::uint32_t> state_{0};
  detail::SpinLock guard_;  // guards waiters_
  WaitList waiters_;
};

}  // namespace triad
