// Condition: a condition variable bound to a lock.
//
// Python: threading.Condition
//
// Threads that hold the condition's lock wait() for a state change; a thread that changed
// the state, holding the same lock, notify()s one or more of them. wait() releases the lock
// while it waits and re-acquires it before returning. A default-constructed Condition owns
// an RLock (Python's default); it can instead use a Lock or RLock of yours, which must
// outlive it. The Condition itself is Lockable, delegating to its lock, so std::unique_lock
// and std::scoped_lock work on it as on the lock (Python: `with cond:`).
//
//   triad::Condition cond;
//   std::deque<int> items;
//   // consumer                                    // producer
//   std::unique_lock guard(cond);                  { std::scoped_lock guard(cond);
//   cond.wait_for([&] { return !items.empty(); });   items.push_back(1);
//   int item = items.front(); items.pop_front();     cond.notify(); }
//
// Wake order: notify(n) wakes the n longest-waiting threads, in FIFO order. A woken waiter
// must still re-acquire the lock, so it returns only after the notifier releases it.
// wait() may not return spuriously, but another thread may change the state between the
// notify and the waiter's return: test the predicate in a loop, or use wait_for(predicate).
//
// Thread safety: all members may be called concurrently (notify and wait require holding
// the lock, as in Python). Not copyable, not movable.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include "triad/core/detail/spinlock.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/rlock.hpp"

namespace triad {

class Condition {
 public:
  // Uses a new RLock of its own (Python: Condition()).
  Condition();
  // Uses `lock`, which must outlive the Condition (Python: Condition(lock)). With a Lock,
  // "owning" the lock means it is locked (by anyone), as in Python.
  explicit Condition(Lock& lock) noexcept;
  explicit Condition(RLock& lock) noexcept;
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;
  ~Condition();

  // The lock's acquire/release (same blocking, throwing and timeout rules as the lock's).
  bool acquire(bool blocking = true, Timeout timeout = {});
  bool acquire(Timeout timeout) { return acquire(true, timeout); }
  void release();
  void lock() { acquire(); }
  void unlock() { release(); }
  [[nodiscard]] bool try_lock() { return acquire(false); }
  template <class Rep, class Period>
  [[nodiscard]] bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
    return acquire(true, Timeout(d));
  }

  // Releases the lock, waits for a notify or the timeout, re-acquires the lock.
  // An RLock held recursively is fully released and its recursion count restored.
  // Blocks: yes, until notified or the timeout expires, then until the lock is re-acquired
  //   (that part has no timeout, as in Python).
  // Yields a green thread: yes (parks through the parking interface).
  // Thread safety: safe from any thread that holds the lock.
  // Throws: RuntimeError("cannot wait on un-acquired lock") if the caller does not hold it.
  // Timeout: absent = wait forever; zero or negative = don't wait for a notify (the lock is
  //   still released and re-acquired).
  // Returns: true if notified, false if the timeout expired.
  bool wait(Timeout timeout = {}) { return wait_until(Deadline::after(timeout)); }

  // Waits until pred() is true. Python: wait_for(predicate, timeout=None).
  // pred is called with the lock held, first before any wait. The deadline is computed once,
  // so repeated wake-ups never extend the total time.
  // Blocks / yields / throws: as wait(), plus whatever pred throws.
  // Returns: pred's last value (false only if the timeout expired with pred still false).
  template <class Pred>
  bool wait_for(Pred pred, Timeout timeout = {}) {
    const Deadline deadline = Deadline::after(timeout);
    bool result = static_cast<bool>(pred());
    while (!result) {
      if (deadline.expired()) break;
      wait_until(deadline);
      result = static_cast<bool>(pred());
    }
    return result;
  }

  // Wakes up to n waiters (the longest-waiting first). Python: notify(n=1).
  // Blocks: no. Thread safety: safe from any thread that holds the lock.
  // Throws: RuntimeError("cannot notify on un-acquired lock") if the caller does not hold it.
  void notify(std::size_t n = 1);
  // Wakes all waiters. Python: notify_all(). Same rules as notify().
  void notify_all();

 private:
  [[nodiscard]] bool is_owned() const noexcept;
  bool wait_until(Deadline deadline);

  std::optional<RLock> own_;
  Lock* lock_ = nullptr;  // exactly one of lock_ / rlock_ is set
  RLock* rlock_ = nullptr;
  detail::SpinLock guard_;  // guards waiters_
  WaitList waiters_;
};

}  // namespace triad
