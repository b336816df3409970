// asyncio's own synchronization primitives: single-loop, no OS-thread safety.
// Python: asyncio.Lock, asyncio.Event, asyncio.Semaphore, asyncio.BoundedSemaphore.
//
//   triad::aio::Lock lock;
//   triad::aio::Task<void> critical() {
//     co_await lock.acquire();          // Python: async with lock:
//     ...                               //   (release on every path: see LockGuard below)
//     lock.release();
//   }
//
// These are for tasks of ONE event loop (they are cheaper than the foundation primitives and
// follow asyncio's exact fairness and cancellation rules). To share a lock or event with OS
// threads or green threads, use triad::Lock/Event with `aio::acquire`/`aio::wait` (blocking.hpp).
// A primitive binds to the running loop at its first wait; using it from another loop raises
// RuntimeError("<primitive> is bound to a different event loop").
//
// Semantics (Python 3.12): Lock is FIFO-fair; a waiter cancelled after being woken passes the
// wake-up on; release() of an unlocked Lock raises RuntimeError("Lock is not acquired.").
// Event.wait() returns true once set. Semaphore(value) raises ValueError("Semaphore initial
// value must be >= 0"); BoundedSemaphore.release() above the initial value raises
// ValueError("BoundedSemaphore released too many times").
// Blocks? acquire()/wait() suspend only the calling task · loop thread only · throws
// CancelledError when cancelled while waiting · no timeout of their own: wrap in wait_for /
// timeout(), as in Python. Non-copyable, non-movable.
#pragma once

#include <cstddef>
#include <list>
#include <string>

#include "triad/aio/future.hpp"

namespace triad::aio {
namespace detail {

// The loop a primitive is bound to (Python's mixins._LoopBoundMixin).
class LoopBound {
 protected:
  EventLoop& bound_loop(const char* what) {
    EventLoop& running = get_running_loop();
    if (loop_id_ == 0) loop_id_ = running.loop_id();
    if (loop_id_ != running.loop_id()) {
      throw RuntimeError(std::string(what) + " is bound to a different event loop");
    }
    return running;
  }

 private:
  std::uint64_t loop_id_ = 0;
};

inline bool any_pending(const std::list<Future<void>>& ws) {
  for (const auto& w : ws) {
    if (!w.cancelled()) return true;
  }
  return false;
}

}  // namespace detail

// Python: asyncio.Lock.
class Lock : detail::LoopBound {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Python: await lock.acquire() -> True.
  Task<bool> acquire() {
    if (!locked_ && !detail::any_pending(waiters_)) {
      locked_ = true;
      co_return true;
    }
    EventLoop& loop = bound_loop("Lock");
    auto it = waiters_.insert(waiters_.end(), loop.create_future<void>());
    bool cancelled = false;
    try {
      co_await *it;
    } catch (const CancelledError&) {
      cancelled = true;
    }
    waiters_.erase(it);
    if (cancelled) {
      if (!locked_) wake_up_first();
      throw_cancelled();
    }
    locked_ = true;
    co_return true;
  }
  // Python: lock.release().
  void release() {
    if (!locked_) throw RuntimeError("Lock is not acquired.");
    locked_ = false;
    wake_up_first();
  }
  // Python: lock.locked().
  [[nodiscard]] bool locked() const noexcept { return locked_; }

 private:
  static void throw_cancelled() { detail::current_task_or_throw().throw_cancelled(); }
  void wake_up_first() {
    if (waiters_.empty()) return;
    Future<void>& f = waiters_.front();
    if (!f.done()) f.set_result();
  }
  std::list<Future<void>> waiters_;
  bool locked_ = false;
};

// Python: asyncio.Event.
class Event : detail::LoopBound {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  [[nodiscard]] bool is_set() const noexcept { return value_; }
  // Python: set(): wakes every waiter.
  void set() {
    if (value_) return;
    value_ = true;
    for (auto& f : waiters_) {
      if (!f.done()) f.set_result();
    }
  }
  // Python: clear().
  void clear() noexcept { value_ = false; }
  // Python: await event.wait() -> True.
  Task<bool> wait() {
    if (value_) co_return true;
    EventLoop& loop = bound_loop("Event");
    auto it = waiters_.insert(waiters_.end(), loop.create_future<void>());
    std::exception_ptr ep;
    try {
      co_await *it;
    } catch (...) {
      ep = std::current_exception();
    }
    waiters_.erase(it);
    if (ep) std::rethrow_exception(ep);
    co_return true;
  }

 private:
  std::list<Future<void>> waiters_;
  bool value_ = false;
};

// Python: asyncio.Semaphore.
class Semaphore : detail::LoopBound {
 public:
  explicit Semaphore(std::ptrdiff_t value = 1) : value_(value) {
    if (value < 0) throw ValueError("Semaphore initial value must be >= 0");
  }
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  virtual ~Semaphore() = default;

  // Python: locked(): acquire() would wait.
  [[nodiscard]] bool locked() const { return value_ == 0 || detail::any_pending(waiters_); }
  // Python: await sem.acquire() -> True.
  Task<bool> acquire() {
    if (!locked()) {
      --value_;
      co_return true;
    }
    EventLoop& loop = bound_loop("Semaphore");
    auto it = waiters_.insert(waiters_.end(), loop.create_future<void>());
    bool cancelled = false;
    try {
      co_await *it;
    } catch (const CancelledError&) {
      cancelled = true;
    }
    const bool woken = it->done() && !it->cancelled();
    waiters_.erase(it);
    if (cancelled && woken) ++value_;  // woken, then cancelled: give the permit back
    while (value_ > 0 && wake_up_next()) {
    }
    if (cancelled) detail::current_task_or_throw().throw_cancelled();
    co_return true;
  }
  // Python: sem.release().
  virtual void release() {
    ++value_;
    wake_up_next();
  }
  [[nodiscard]] std::ptrdiff_t value() const noexcept { return value_; }

 protected:
  bool wake_up_next() {
    for (auto& f : waiters_) {
      if (!f.done()) {
        --value_;
        f.set_result();
        return true;
      }
    }
    return false;
  }
  std::list<Future<void>> waiters_;
  std::ptrdiff_t value_;
};

// Python: asyncio.BoundedSemaphore.
class BoundedSemaphore final : public Semaphore {
 public:
  explicit BoundedSemaphore(std::ptrdiff_t value = 1) : Semaphore(value), bound_(value) {}
  void release() override {
    if (value_ >= bound_) throw ValueError("BoundedSemaphore released too many times");
    Semaphore::release();
  }

 private:
  std::ptrdiff_t bound_;
};

}  // namespace triad::aio
