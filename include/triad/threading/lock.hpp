// Lock: a primitive (non-recursive) mutual-exclusion lock.
//
// Python: threading.Lock
//
// A Lock is either locked or unlocked. acquire() takes it, blocking while another holder has
// it; release() gives it back. As in Python (and unlike std::mutex) a Lock is not owned:
// any thread may release it, which makes it usable as a binary signal between threads.
// It meets the standard Lockable and TimedLockable requirements, so std::scoped_lock,
// std::unique_lock and std::lock work with it.
//
//   triad::Lock lock;
//   {
//     std::scoped_lock guard(lock);          // Python: with lock:
//     ++shared_counter;
//   }
//   if (lock.acquire(true, 50ms)) { ...; lock.release(); }   // lock.acquire(timeout=0.05)
//
// Memory ordering: everything written before a release() is visible to the thread whose
// acquire() then succeeds.
//
// Implementation: one atomic word. An uncontended acquire and release are one atomic
// instruction each and make no call into the library; contended acquirers spin briefly and
// then park through the parking interface (so a green thread yields instead of blocking its
// OS thread). Waiters are woken in FIFO order; a released lock may be taken by a running
// thread before the woken one (barging, for throughput), but a waiter that has been passed
// over for about a millisecond gets the lock handed to it directly, so nobody starves.
//
// Thread safety: all members may be called concurrently. Not copyable, not movable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "triad/core/detail/spinlock.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"
#include "triad/threading/detail/sync_common.hpp"

namespace triad {

class Lock {
 public:
  Lock() noexcept = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
  ~Lock() = default;

  // Acquires the lock. Python: acquire(blocking=True, timeout=-1).
  // Blocks: if blocking and the lock is held, until it is released or the timeout expires.
  // Yields a green thread: yes (parks through the parking interface).
  // Thread safety: safe from any thread.
  // Throws: ValueError("can't specify a timeout for a non-blocking call") if !blocking and a
  //   timeout is given.
  // Timeout: absent = wait forever; zero or negative = don't wait (same as blocking=false).
  // Returns: true if the lock was acquired.
  bool acquire(bool blocking = true, Timeout timeout = {}) {
    detail::check_acquire_args(blocking, timeout);
    if (try_fast()) return true;
    if (!blocking) return try_acquire_once();
    return acquire_slow(Deadline::after(timeout));
  }
  // Same as acquire(true, timeout): `lock.acquire(100ms)` is Python's acquire(timeout=0.1).
  bool acquire(Timeout timeout) { return acquire(true, timeout); }

  // Releases the lock; any thread may release it (as in Python). Wakes one waiter, if any.
  // Blocks: no. Throws: RuntimeError("release unlocked lock") if the lock is not locked.
  void release() {
    std::uint32_t expected = kLocked;
    if (state_.compare_exchange_strong(expected, 0, std::memory_order_release,
                                       std::memory_order_relaxed)) {
      return;
    }
    release_slow();
  }

  // True if the lock is held (by anyone). A snapshot: it may change at once.
  [[nodiscard]] bool locked() const noexcept {
    return (state_.load(std::memory_order_relaxed) & kLocked) != 0;
  }

  // Lockable / TimedLockable (std::scoped_lock, std::unique_lock, std::lock).
  // lock() = acquire(); unlock() = release() (throws RuntimeError if unlocked);
  // try_lock() = acquire(false); try_lock_for/until = acquire with that time limit.
  void lock() { acquire(); }
  void unlock() { release(); }
  [[nodiscard]] bool try_lock() noexcept { return try_fast() || try_acquire_once(); }
  template <class Rep, class Period>
  [[nodiscard]] bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
    return acquire(true, Timeout(d));
  }
  template <class C, class D>
  [[nodiscard]] bool try_lock_until(const std::chrono::time_point<C, D>& tp) {
    return try_fast() || acquire_slow(detail::deadline_from(tp));
  }

 private:
  static constexpr std::uint32_t kLocked = 1;
  static constexpr std::uint32_t kParked = 2;  // the wait list may be non-empty

  bool try_fast() noexcept {
    std::uint32_t expected = 0;
    return state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  bool try_acquire_once() noexcept;
  bool acquire_slow(Deadline deadline);
  void release_slow();

  std::atomic<std::uint32_t> state_{0};
  detail::SpinLock guard_;         // guards waiters_ and next_fair_ns_
  WaitList waiters_;               // FIFO of parked acquirers
  std::int64_t next_fair_ns_ = 0;  // steady-clock ns after which release hands off
};

}  // namespace triad
