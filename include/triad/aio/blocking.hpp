// Awaiting the foundation primitives (triad::Event, Lock, Semaphore, Queue...) from a task,
// without blocking the loop — DESIGN principle 2 for coroutines.
// Python: await event.wait() / lock.acquire() / queue.get() (here on triad's primitives).
//
// Python (asyncio's own primitives)        triad::aio with the foundation primitives
// await lock.acquire() / async with lock   co_await lock;  ... lock.release();   (triad::Lock)
// await sem.acquire()                      co_await sem;                   (Semaphore, Bounded...)
// await event.wait()                       co_await event;                 (triad::Event)
// (the same, with a timeout)               co_await aio::acquire(lock, 2s) / aio::wait(event, 2s)
//                                            -> bool (false on timeout)
// item = await queue.get()                 item = co_await aio::get(queue)      (triad::Queue & co)
// await queue.put(item)                    co_await aio::put(queue, item)
// await fut (concurrent.futures)           co_await future                      (bridge.hpp)
// (any blocking triad call)                co_await aio::blocking([&] { return cond.wait(1s); })
//
//   triad::Event ready;                          // set by another OS thread, a green thread...
//   triad::aio::Task<void> waiter() {
//     if (co_await triad::aio::wait(ready, 5s)) std::puts("ready");
//     co_await ready;                            // no timeout
//   }
//
// Fast paths: a set event, a free lock or semaphore, a queue with an item (or with room, for
// put) complete at once, without a greenlet and without suspending the task.
//
// How: the primitives block only through the parking interface (core/parking.hpp). The call
// runs on a small pooled stack (a triad::green greenlet) inside the loop's OS thread, with a
// coroutine ParkingContext installed: park() switches back to the loop — the task is suspended,
// the loop runs others — and unpark(), from any thread, posts the resumption to the loop
// (through the loop link, so a late unpark after close is dropped). A deadline is a loop
// timer. A call that never parks costs no suspension at all.
//
// Cancellation: cancelling the task ends the current park early; the primitive sees a
// timeout, cleans up per the parking protocol, and CancelledError leaves it (also from a wait
// without a deadline, which would otherwise park again) so the await raises CancelledError. If the operation succeeded anyway (the wake-up and the cancel crossed), its
// result is returned and the cancellation stays pending: CancelledError is raised at the
// task's next await point (so an acquired lock or a taken item is never lost).
//
// Blocks? suspends only the calling task · loop thread only, inside a task · throws what the
// primitive throws (Empty/Full for timed queue calls, ShutDown...), CancelledError ·
// timeout: each adapter takes the primitive's triad::Timeout (absent = forever).
// Available when triad::green is built (TRIAD_AIO_HAVE_BLOCKING).
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "triad/aio/event_loop.hpp"
#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/semaphore.hpp"

namespace triad::aio {
namespace detail {

class BlockingCall;

// Runs run(arg) on a greenlet of the loop thread with the coroutine ParkingContext.
class BlockingAwaiter : public Suspension {
 public:
  BlockingAwaiter(void (*run)(void*), void* arg) noexcept : run_(run), arg_(arg) {}
  BlockingAwaiter(const BlockingAwaiter&) = delete;
  BlockingAwaiter& operator=(const BlockingAwaiter&) = delete;
  ~BlockingAwaiter();

  bool await_ready() const noexcept { return false; }
  // Returns false (no suspension) if the call finished without parking.
  bool await_suspend(std::coroutine_handle<> h);
  // True if a cancellation interrupted a park of the call.
  bool await_resume() noexcept { return interrupted_; }

  // Called by BlockingCall when the call has finished (loop thread).
  void finished() noexcept;

 private:
  static bool cancel_thunk(Suspension& s) noexcept;
  void (*run_)(void*);
  void* arg_;
  BlockingCall* call_ = nullptr;
  bool suspended_ = false;
  bool interrupted_ = false;
};

template <class F>
void invoke_thunk(void* p) {
  (*static_cast<F*>(p))();
}

template <class E>
bool is_a(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

// Runs fn on the blocking stack; `gave_up(result)` says whether the result means "timed out"
// (then an interrupting cancellation raises CancelledError).
template <class F, class GaveUp>
auto run_blocking(F fn, GaveUp gave_up) -> Task<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  std::exception_ptr ep;
  if constexpr (std::is_void_v<R>) {
    auto thunk = [&] {
      try {
        fn();
      } catch (...) {
        ep = std::current_exception();
      }
    };
    BlockingAwaiter a(&invoke_thunk<decltype(thunk)>, &thunk);
    const bool interrupted = co_await a;
    PromiseBase& t = current_task_or_throw();
    if (interrupted) {
      // CancelledError: the cancellation itself, raised by the primitive's interrupted park.
      if (ep && (is_a<CancelledError>(ep) || gave_up(ep))) t.throw_cancelled();
      t.must_cancel_ = true;
    }
    if (ep) std::rethrow_exception(ep);
  } else {
    std::optional<R> r;
    auto thunk = [&] {
      try {
        r.emplace(fn());
      } catch (...) {
        ep = std::current_exception();
      }
    };
    BlockingAwaiter a(&invoke_thunk<decltype(thunk)>, &thunk);
    const bool interrupted = co_await a;
    PromiseBase& t = current_task_or_throw();
    if (interrupted) {
      if (ep ? is_a<CancelledError>(ep) || gave_up(ep) : gave_up(*r)) t.throw_cancelled();
      t.must_cancel_ = true;  // the operation succeeded: the cancellation stays pending
    }
    if (ep) std::rethrow_exception(ep);
    co_return std::move(*r);
  }
}

}  // namespace detail

// Runs any blocking triad call (one that blocks through the parking interface) without
// blocking the loop. A cancellation interrupts its park (it sees a timeout), returns its
// result and leaves the CancelledError pending for the task's next await point.
template <class F>
auto blocking(F fn) {
  return detail::run_blocking(std::move(fn), [](const auto&) { return false; });
}

// Python: await event.wait() — for a triad::Event (any type with wait(Timeout) -> bool).
// Returns false on timeout. A set event returns true at once (no greenlet, no suspension).
template <class Ev>
Task<bool> wait(Ev& event, Timeout timeout = forever) {
  if constexpr (requires { event.is_set(); }) {
    if (event.is_set()) co_return true;
  }
  co_return co_await detail::run_blocking([&event, timeout] { return event.wait(timeout); },
                                          [](const auto& r) {
                                            if constexpr (std::is_same_v<std::decay_t<decltype(r)>, bool>) {
                                              return !r;
                                            } else {
                                              return false;
                                            }
                                          });
}

// Python: await lock.acquire() — triad::Lock, Semaphore, BoundedSemaphore (anything with
// acquire(bool, Timeout) -> bool). Returns false on timeout. Release with lock.release().
// A free lock is taken at once (acquire(false): no greenlet, no suspension). An RLock works,
// but its owner is the loop's OS thread: every task of the loop counts as the same owner.
template <class L>
Task<bool> acquire(L& lock, Timeout timeout = forever) {
  if (lock.acquire(false)) co_return true;
  co_return co_await detail::run_blocking([&lock, timeout] { return lock.acquire(true, timeout); },
                                          [](const auto& r) {
                                            if constexpr (std::is_same_v<std::decay_t<decltype(r)>, bool>) {
                                              return !r;
                                            } else {
                                              return false;
                                            }
                                          });
}

// Python: await queue.get() — any triad queue (get(bool, Timeout)). Raises Empty on timeout,
// ShutDown after shutdown(). An item already there is taken at once (try_get(): no greenlet).
template <class Q>
auto get(Q& queue, Timeout timeout = forever) -> Task<std::decay_t<decltype(queue.get(true, timeout))>> {
  if constexpr (requires { queue.try_get(); }) {
    if (auto item = queue.try_get()) co_return std::move(*item);
  }
  co_return co_await detail::run_blocking([&queue, timeout] { return queue.get(true, timeout); },
                                          [](const auto& r) {
                                            if constexpr (std::is_same_v<std::decay_t<decltype(r)>,
                                                                         std::exception_ptr>) {
                                              return detail::is_a<Empty>(r);
                                            } else {
                                              return false;
                                            }
                                          });
}

// Python: await queue.put(item). Raises Full on timeout. Room in the queue: put at once
// (try_put(): no greenlet).
template <class Q, class T>
Task<void> put(Q& queue, T item, Timeout timeout = forever) {
  if constexpr (requires { queue.try_put(std::move(item)); }) {
    if (queue.try_put(std::move(item))) co_return;  // moved from only when it succeeded
  }
  co_await detail::run_blocking([&queue, &item, timeout] { queue.put(std::move(item), true, timeout); },
                                [](const std::exception_ptr& e) { return detail::is_a<Full>(e); });
}

namespace detail {

// The awaiter of `co_await primitive`: owns the adapter's Task and awaits it inline.
template <class T>
class OwnedTaskAwaiter {
 public:
  explicit OwnedTaskAwaiter(Task<T> t) : task_(std::move(t)), inner_(task_.operator co_await()) {}
  OwnedTaskAwaiter(const OwnedTaskAwaiter&) = delete;
  OwnedTaskAwaiter& operator=(const OwnedTaskAwaiter&) = delete;
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) { return inner_.await_suspend(h); }
  T await_resume() { return inner_.await_resume(); }

 private:
  Task<T> task_;
  InlineAwaiter<T> inner_;
};

template <class L>
Task<void> acquire_forever(L& lock) {
  co_await aio::acquire(lock);
}
template <class Ev>
Task<void> wait_forever(Ev& event) {
  co_await aio::wait(event);
}

// How many times a blocking call had to run on a greenlet (this thread; for tests).
std::size_t blocking_calls_started() noexcept;

}  // namespace detail
}  // namespace triad::aio

namespace triad {

// `co_await lock` / `co_await semaphore` / `co_await event` inside a triad::aio task (found by
// argument-dependent lookup): aio::acquire(x) / aio::wait(x) without a timeout, returning
// nothing (Python: `await lock.acquire()`, `await event.wait()`, which always return True).
// Use aio::acquire(x, timeout) / aio::wait(x, timeout) for a timeout and a bool. Release with
// lock.release(). Suspends only the calling task; raises CancelledError when cancelled while
// waiting (the lock is then not held); RuntimeError outside a task.
inline aio::detail::OwnedTaskAwaiter<void> operator co_await(Lock& lock) {
  return aio::detail::OwnedTaskAwaiter<void>(aio::detail::acquire_forever(lock));
}
inline aio::detail::OwnedTaskAwaiter<void> operator co_await(Semaphore& sem) {
  return aio::detail::OwnedTaskAwaiter<void>(aio::detail::acquire_forever(sem));
}
inline aio::detail::OwnedTaskAwaiter<void> operator co_await(Event& event) {
  return aio::detail::OwnedTaskAwaiter<void>(aio::detail::wait_forever(event));
}

}  // namespace triad
