// Cross-process synchronisation: Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition,
// Barrier — in shared memory, waiting on shared futexes.
//
// Python: multiprocessing.Lock / RLock / Semaphore / BoundedSemaphore / Event / Condition /
// Barrier (the module multiprocessing.synchronize, hence one header for the family).
//
//   triad::process::Lock lock;                       // create before starting the children
//   triad::process::Process p([&] { std::lock_guard g(lock); ...; });
//   p.start();
//   { std::lock_guard g(lock); ... }                 // excludes the child
//   p.join();
//
// Sharing: each object lives in an anonymous shared mapping made by its constructor; a
// child started with fork inherits it at the same address, so the child's copy of the object
// (a capture, a global, an argument) is the same lock. (Objects cannot be passed to spawn
// children yet.) An object may be destroyed in one process while others still use it: the
// memory goes when the last process drops it.
//
// Crash safety (beyond Python): when the thread holding a Lock or RLock dies — its process
// was killed — the next acquirer gets AbandonedLockError and the lock is released, so it
// is usable again; the data it guarded may be inconsistent, which is why the acquirer is
// told. Waiters notice within ~50 ms. How: the lock word holds the holder's thread id and a
// waiter checks /proc whether that thread still exists. (The kernel's robust-futex list was
// the alternative, but glibc owns each thread's single list head, and Python's Lock may be
// released by a thread that did not acquire it, which the robust-futex protocol does not
// allow.) Semaphores have no holder; a process that dies holding a Semaphore unit loses it,
// as in Python.
//
// Blocking calls: block the calling OS thread on a shared futex (a green thread does not
// yield: the parking interface is process-local). Memory ordering: everything a process
// wrote before release()/set()/notify() is visible to the one that acquires or wakes.
// Thread safety: all methods may be called from any thread of any process sharing the object.
// Objects are neither copyable nor movable.
#pragma once

#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/process/detail/shm.hpp"

namespace triad::process {

class Condition;

namespace detail {
// What Condition needs from its lock.
class LockBase {
 public:
  LockBase(const LockBase&) = delete;
  LockBase& operator=(const LockBase&) = delete;

  // Python: acquire(block=True, timeout=None).
  // Blocks: until acquired or the timeout (with blocking=false: never). Thread safety: yes.
  // Throws AbandonedLockError when the holder died (the lock is then released and free).
  // Timeout: absent = forever; zero or negative = one try. Returns whether it acquired.
  bool acquire(bool blocking = true, Timeout timeout = {});
  bool acquire(Timeout timeout) { return acquire(true, timeout); }
  // std::lock_guard / std::unique_lock support.
  void lock() { acquire(); }
  [[nodiscard]] bool try_lock() { return acquire(false); }
  void unlock() { release(); }
  virtual void release() = 0;
  // Whether the calling thread holds it (Python: _semlock._is_mine()).
  [[nodiscard]] bool is_mine() const noexcept;

 protected:
  LockBase(RobustWord* w, bool recursive) noexcept : w_(w), recursive_(recursive) {}
  virtual ~LockBase() = default;
  friend class triad::process::Condition;
  // Fully releases (any recursion) and returns the depth to restore.
  std::uint32_t release_save();
  void acquire_restore(std::uint32_t depth);

  RobustWord* w_;
  bool recursive_;
};
}  // namespace detail

// A non-recursive lock any thread may release (Python's multiprocessing.Lock is a
// semaphore of one). release() of an unlocked Lock raises
// ValueError("semaphore or lock released too many times").
class Lock final : public detail::LockBase {
 public:
  Lock();
  void release() override;
  // Whether some thread holds it.
  [[nodiscard]] bool locked() const noexcept { return detail::robust_owner(*w_) != 0; }

 private:
  detail::SharedSegment seg_;
};

// A recursive lock owned by the thread that acquired it. release() by another thread raises
// RuntimeError("cannot release un-acquired lock").
class RLock final : public detail::LockBase {
 public:
  RLock();
  void release() override;
  // The recursion depth of the holder (0 when free).
  [[nodiscard]] std::uint32_t count() const noexcept {
    return w_->count.load(std::memory_order_relaxed);
  }

 private:
  detail::SharedSegment seg_;
};

// A counter of permits. Python: multiprocessing.Semaphore(value=1).
class Semaphore {
 public:
  // Throws ValueError("semaphore initial value must be >= 0") for a negative value.
  explicit Semaphore(int value = 1);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  virtual ~Semaphore() = default;

  // Takes a permit. Blocks: while none is available, up to the timeout (never with
  // blocking=false). Returns whether it got one. Timeout: absent = forever.
  bool acquire(bool blocking = true, Timeout timeout = {});
  bool acquire(Timeout timeout) { return acquire(true, timeout); }
  // Returns a permit (n permits), waking waiters. Never blocks.
  virtual void release(unsigned n = 1);
  // The permits available now (Python: get_value()).
  [[nodiscard]] int get_value() const noexcept;
  void lock() { acquire(); }
  [[nodiscard]] bool try_lock() { return acquire(false); }
  void unlock() { release(); }

 protected:
  struct State {
    std::atomic<std::uint32_t> value{0};
    std::atomic<std::uint32_t> waiters{0};
    std::uint32_t max = UINT32_MAX;
  };
  State* s_;

 private:
  detail::SharedSegment seg_;
};

// A Semaphore that refuses to grow past its initial value: release() beyond it raises
// ValueError("semaphore or lock released too many times").
class BoundedSemaphore final : public Semaphore {
 public:
  explicit BoundedSemaphore(int value = 1);
  void release(unsigned n = 1) override;
};

// A flag processes wait for. Python: multiprocessing.Event.
class Event {
 public:
  Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  [[nodiscard]] bool is_set() const noexcept;
  // Sets the flag and wakes every waiter in every process. Never blocks.
  void set() noexcept;
  void clear() noexcept;
  // Blocks until the flag is set or the timeout; returns the flag (true unless timed out).
  bool wait(Timeout timeout = {});

 private:
  struct State {
    std::atomic<std::uint32_t> flag{0};
    std::atomic<std::uint32_t> waiters{0};
  };
  State* s_;
  detail::SharedSegment seg_;
};

// A condition variable across processes. Python: multiprocessing.Condition(lock=None); the
// default lock is an RLock (owned by the Condition).
class Condition {
 public:
  Condition();
  explicit Condition(detail::LockBase& lock);
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;
  ~Condition();

  bool acquire(bool blocking = true, Timeout timeout = {}) { return lock_->acquire(blocking, timeout); }
  void release() { lock_->release(); }
  void lock() { lock_->acquire(); }
  void unlock() { lock_->release(); }

  // Releases the lock, waits for a notify or the timeout, reacquires the lock.
  // Blocks: yes. Throws RuntimeError("cannot wait on un-acquired lock") if the calling
  // thread does not hold the lock; AbandonedLockError if reacquiring finds the holder died.
  // Returns false on timeout. Like Python's, a wait may rarely return early: loop on the
  // predicate (wait_for does).
  bool wait(Timeout timeout = {});
  // Waits until pred() is true or the timeout; returns the last pred() value.
  template <class Pred>
  bool wait_for(Pred pred, Timeout timeout = {}) {
    const Deadline d = Deadline::after(timeout);
    bool r = pred();
    while (!r) {
      if (d.expired()) break;
      if (d.is_never()) wait();
      else wait(d.remaining());
      r = pred();
    }
    return r;
  }
  // Wakes up to n waiters / all of them. Throws RuntimeError("cannot notify on un-acquired
  // lock") if the calling thread does not hold the lock.
  void notify(int n = 1);
  void notify_all() { notify(INT_MAX); }

 private:
  struct State {
    std::atomic<std::uint32_t> seq{0};
    std::atomic<std::uint32_t> waiters{0};
  };
  State* s_;
  detail::SharedSegment seg_;
  RLock* own_ = nullptr;
  detail::LockBase* lock_;
};

// Parties wait for each other. Python: multiprocessing.Barrier(parties, action, timeout).
// The action runs in the last arriving thread (in its process) before the others are
// released; if it throws, the barrier breaks and the exception propagates from that wait().
class Barrier {
 public:
  // Throws ValueError("parties must be >= 1").
  explicit Barrier(std::size_t parties, std::function<void()> action = {}, Timeout timeout = {});
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // Returns the arrival index (0 .. parties-1). Blocks until all parties arrived.
  // Throws BrokenBarrierError if the barrier is or becomes broken, is reset while waiting,
  // or this wait times out (which breaks it for everyone). Timeout: absent = the default.
  std::size_t wait(Timeout timeout = {});
  // Back to the initial state; current waiters get BrokenBarrierError.
  void reset();
  // Breaks the barrier: current and future waits raise BrokenBarrierError until reset().
  void abort();
  [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
  [[nodiscard]] std::size_t n_waiting() const noexcept;
  [[nodiscard]] bool broken() const noexcept;

 private:
  struct State {
    detail::RobustWord mutex;
    std::atomic<std::uint32_t> generation{0};  // futex word
    // Written under `mutex`; atomic because n_waiting()/broken() read them without it.
    std::atomic<std::uint32_t> count{0};
    std::atomic<std::uint32_t> broken{0};
    std::atomic<std::uint32_t> reset_generation{UINT32_MAX};
  };
  void lock_state();
  void bump_and_wake();
  State* s_;
  std::size_t parties_;
  std::function<void()> action_;
  Timeout default_timeout_;
  detail::SharedSegment seg_;
};

}  // namespace triad::process
