// Semaphore and BoundedSemaphore: a counter of permits.
//
// Python: threading.Semaphore, threading.BoundedSemaphore
//
// acquire() takes one permit, blocking while there are none; release(n) returns n permits
// and wakes up to n waiters. A BoundedSemaphore also refuses to be released above its
// initial value, which catches "released more often than acquired" bugs.
//
//   triad::BoundedSemaphore slots(3);       // at most 3 downloads at a time
//   void download(const Url& url) {
//     slots.acquire();                      // Python: with slots:
//     fetch(url);
//     slots.release();
//   }
//
// Waiters get permits in FIFO order: a release hands its permits directly to the waiters at
// the head of the queue (a running thread's try_acquire() can still take a permit in the
// instant between a release and that hand-off). A release (and an acquire) that finds nobody
// waiting is one atomic instruction and makes no system call. Memory ordering: what a thread wrote
// before release() is visible to the thread whose acquire() takes that permit.
//
// Thread safety: all members may be called concurrently. Not copyable, not movable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "triad/core/detail/spinlock.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"
#include "triad/threading/detail/sync_common.hpp"

namespace triad {

class Semaphore {
 public:
  // Throws: ValueError("semaphore initial value must be >= 0") if value < 0.
  explicit Semaphore(std::ptrdiff_t value = 1);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  ~Semaphore() = default;

  // Takes one permit. Python: acquire(blocking=True, timeout=None).
  // Blocks: if blocking and no permit is available, until one is released to this caller or
  //   the timeout expires.
  // Yields a green thread: yes (parks through the parking interface).
  // Thread safety: safe from any thread.
  // Throws: ValueError("can't specify a timeout for a non-blocking call") if !blocking and a
  //   timeout is given.
  // Timeout: absent = wait forever; zero or negative = don't wait.
  // Returns: true if a permit was taken.
  bool acquire(bool blocking = true, Timeout timeout = {}) {
    detail::check_acquire_args(blocking, timeout);
    if (try_acquire()) return true;
    if (!blocking) return false;
    return acquire_slow(Deadline::after(timeout));
  }
  // Same as acquire(true, timeout).
  bool acquire(Timeout timeout) { return acquire(true, timeout); }

  // Non-blocking and timed forms (the names of std::counting_semaphore).
  [[nodiscard]] bool try_acquire() noexcept {
    std::ptrdiff_t v = value_.load(std::memory_order_relaxed);
    while (v > 0) {
      if (value_.compare_exchange_weak(v, v - 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }
  template <class Rep, class Period>
  [[nodiscard]] bool try_acquire_for(const std::chrono::duration<Rep, Period>& d) {
    return acquire(true, Timeout(d));
  }
  template <class C, class D>
  [[nodiscard]] bool try_acquire_until(const std::chrono::time_point<C, D>& tp) {
    return try_acquire() || acquire_slow(detail::deadline_from(tp));
  }

  // Returns n permits, waking up to n waiters. Python: release(n=1).
  // Blocks: no. Thread safety: safe from any thread (not only acquirers).
  // Throws: ValueError("n must be one or more") if n < 1; BoundedSemaphore:
  //   ValueError("Semaphore released too many times") if the value would exceed its initial
  //   value (then nothing is released).
  void release(std::size_t n = 1);

  // The number of permits available now (Python's private _value). A snapshot.
  [[nodiscard]] std::ptrdiff_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 protected:
  // BoundedSemaphore: value + n may not exceed `bound`.
  Semaphore(std::ptrdiff_t value, std::ptrdiff_t bound);

 private:
  bool acquire_slow(Deadline deadline);
  void wake_waiters();

  std::atomic<std::ptrdiff_t> value_;
  std::atomic<std::size_t> n_waiters_{0};  // nodes in waiters_ (changed under guard_)
  const std::ptrdiff_t bound_;             // -1: unbounded
  detail::SpinLock guard_;
  WaitList waiters_;
};

// A Semaphore whose value may never exceed its initial value.
// Python: threading.BoundedSemaphore. release() beyond the initial value throws
// ValueError("Semaphore released too many times").
class BoundedSemaphore : public Semaphore {
 public:
  // Throws: ValueError("semaphore initial value must be >= 0") if value < 0.
  explicit BoundedSemaphore(std::ptrdiff_t value = 1);
};

}  // namespace triad
