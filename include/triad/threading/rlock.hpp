// RLock: a reentrant lock, owned by the execution context that acquired it.
//
// Python: threading.RLock
//
// The owner may acquire an RLock again without blocking; each acquire() must be balanced by
// a release(), and the lock is free again when the count drops to zero. Only the owner may
// release it. Other contexts block in acquire() while it is held. Meets the Lockable and
// TimedLockable requirements (std::scoped_lock, std::unique_lock).
//
//   triad::RLock rlock;
//   void visit(Node& n) {
//     std::scoped_lock guard(rlock);        // Python: with rlock:
//     for (auto& child : n.children) visit(child);   // re-enters without deadlock
//   }
//
// Ownership is per execution context: per OS thread by default, per green thread once the
// green layer is running (see triad/threading/detail/owner.hpp). Memory ordering is that of
// Lock: what the last owner wrote before its final release() is visible to the next owner.
//
// Thread safety: all members may be called concurrently. Not copyable, not movable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "triad/threading/detail/owner.hpp"
#include "triad/threading/lock.hpp"

namespace triad {

class Condition;

class RLock {
 public:
  RLock() noexcept = default;
  RLock(const RLock&) = delete;
  RLock& operator=(const RLock&) = delete;
  ~RLock() = default;

  // Acquires the lock, or increments the recursion count if the caller already owns it.
  // Python: acquire(blocking=True, timeout=-1).
  // Blocks: if blocking and another context owns it, until it is free or the timeout expires.
  // Yields a green thread: yes (parks through the parking interface).
  // Thread safety: safe from any thread.
  // Throws: ValueError("can't specify a timeout for a non-blocking call") if !blocking and a
  //   timeout is given.
  // Timeout: absent = wait forever; zero or negative = don't wait.
  // Returns: true if the lock was acquired (or re-entered).
  bool acquire(bool blocking = true, Timeout timeout = {});
  // Same as acquire(true, timeout).
  bool acquire(Timeout timeout) { return acquire(true, timeout); }

  // Decrements the recursion count; frees the lock when it reaches zero.
  // Blocks: no. Throws: RuntimeError("cannot release un-acquired lock") if the caller does
  // not own the lock (it is free, or owned by another context).
  void release();

  // True if some context holds the lock (Python 3.14's RLock.locked()). A snapshot.
  [[nodiscard]] bool locked() const noexcept { return lock_.locked(); }

  // Lockable / TimedLockable.
  void lock() { acquire(); }
  void unlock() { release(); }
  [[nodiscard]] bool try_lock() { return acquire(false); }
  template <class Rep, class Period>
  [[nodiscard]] bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
    return acquire(true, Timeout(d));
  }
  template <class C, class D>
  [[nodiscard]] bool try_lock_until(const std::chrono::time_point<C, D>& tp) {
    const std::uintptr_t me = detail::current_owner_id();
    if (reenter(me)) return true;
    if (!lock_.try_lock_until(tp)) return false;
    take(me);
    return true;
  }

 private:
  friend class Condition;

  bool reenter(std::uintptr_t me) noexcept {
    if (owner_.load(std::memory_order_relaxed) != me) return false;
    ++count_;
    return true;
  }
  void take(std::uintptr_t me) noexcept {
    owner_.store(me, std::memory_order_relaxed);
    count_ = 1;
  }
  // Python's _is_owned / _release_save / _acquire_restore, for Condition::wait.
  [[nodiscard]] bool is_owned() const noexcept {
    return owner_.load(std::memory_order_relaxed) == detail::current_owner_id();
  }
  std::size_t release_save() noexcept;      // fully releases; returns the recursion count
  void acquire_restore(std::size_t count);  // re-acquires and restores the count

  Lock lock_;
  std::atomic<std::uintptr_t> owner_{0};  // 0 = free; written only by the owner
  std::size_t count_ = 0;                 // touched only by the owner
};

}  // namespace triad
