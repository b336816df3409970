// timeout: a time limit on a block of awaits inside the current task (Python 3.11:
// `async with asyncio.timeout(delay)`), and wait_for (Python: asyncio.wait_for).
// Python: asyncio.timeout, asyncio.timeout_at, asyncio.Timeout, asyncio.wait_for.
//
// Python                                          triad::aio
// async with asyncio.timeout(2):                  co_await timeout(2s).run(body());
//     await body()                                // body(): any Task<T>; returns its result
// async with asyncio.timeout_at(when) as cm:      TimeoutScope cm = timeout_at(loop.time() + 2);
//     cm.reschedule(loop.time() + 5)              co_await cm.run(body(cm));  // body may call
//     ...                                         //   cm.reschedule(...) / cm.when()
// cm.expired()                                    cm.expired()
// await asyncio.wait_for(aw, 2)                   co_await wait_for(aw, 2s);
//
//   triad::aio::Task<void> fetch_all() {
//     try {
//       co_await triad::aio::timeout(500ms).run(slow_fetch());
//     } catch (const triad::TimeoutError&) { std::puts("too slow"); }
//   }
//
// C++ has no `async with`, so the block is a Task run inline by TimeoutScope::run() — in the
// current task, with no new task, exactly like the Python form. When the deadline passes, the
// current task is cancelled (CancelledError at its await point inside the block); when the
// block ends with that CancelledError, run() raises triad::TimeoutError instead (and calls
// uncancel()), so cancellations from elsewhere still propagate as CancelledError. A deadline
// of triad::forever (Python: None) never expires; one already passed cancels at the first
// await inside the block.
//
// wait_for(aw, timeout): Python 3.12's: a Task<T> runs inline under timeout(); a TaskHandle or
// Future is awaited under timeout() (so on expiry it is cancelled, as Python does); a zero or
// negative timeout cancels what is not done yet and raises TimeoutError.
//
// Blocks? suspends only the calling task · loop thread only, inside a task · throws
// TimeoutError, whatever the block throws, RuntimeError("Timeout has already been entered")
// on a second run() · timeout: the scope's deadline.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "triad/aio/detail/multi_wait.hpp"

namespace triad::aio {

// Python: asyncio.Timeout (the object `asyncio.timeout()` returns). Non-copyable,
// non-movable; loop thread only.
class TimeoutScope {
 public:
  // `when` on the loop's time() clock; nullopt = no deadline (Python: None).
  explicit TimeoutScope(std::optional<double> when) noexcept : when_(when) {}
  TimeoutScope(const TimeoutScope&) = delete;
  TimeoutScope& operator=(const TimeoutScope&) = delete;
  ~TimeoutScope() { timer_.cancel(); }

  // Python: when(): the deadline (nullopt = none).
  [[nodiscard]] std::optional<double> when() const noexcept { return when_; }
  // Python: reschedule(when). Throws RuntimeError("Timeout has not been entered") before
  // run(), RuntimeError("Cannot change state of expiring Timeout") once it fired.
  void reschedule(std::optional<double> when);
  // Python: expired(): the deadline passed while the block ran.
  [[nodiscard]] bool expired() const noexcept {
    return state_ == St::expiring || state_ == St::expired;
  }

  // Runs `body` (a Task<T>, awaited inline) under the deadline; returns its result.
  template <class T>
  Task<T> run(Task<T> body) {
    enter();
    std::exception_ptr ep;
    if constexpr (std::is_void_v<T>) {
      try {
        co_await std::move(body);
      } catch (...) {
        ep = std::current_exception();
      }
      exit(ep);
    } else {
      std::optional<T> r;
      try {
        r.emplace(co_await std::move(body));
      } catch (...) {
        ep = std::current_exception();
      }
      exit(ep);
      co_return std::move(*r);
    }
  }
  // Awaits a TaskHandle or Future under the deadline (on expiry it is cancelled).
  template <class H>
    requires requires(const H& h) { h.core_ptr(); }
  Task<typename H::value_type> run(H handle) {
    return run(await_handle(std::move(handle)));
  }

 private:
  enum class St : unsigned char { created, entered, expiring, expired, exited };
  template <class H>
  static Task<typename H::value_type> await_handle(H h) {
    co_return co_await std::move(h);
  }
  void enter();
  // Translates the block's outcome; rethrows ep (or TimeoutError).
  void exit(std::exception_ptr ep);
  void on_timeout() noexcept;

  std::optional<double> when_;
  St state_ = St::created;
  detail::PromiseBase* task_ = nullptr;
  int cancelling_ = 0;
  TimerHandle timer_;
};

// Python: asyncio.timeout(delay): a scope expiring `delay` from now (forever = never).
// Must be called on the loop's thread (it reads the loop clock).
[[nodiscard]] TimeoutScope timeout(Timeout delay);
// Python: asyncio.timeout_at(when): when on the loop's time() clock (nullopt = never).
[[nodiscard]] inline TimeoutScope timeout_at(std::optional<double> when) { return TimeoutScope(when); }

namespace detail {
template <class H>
Task<typename H::value_type> wait_for_now(H h) {
  // Python 3.12 wait_for with timeout <= 0: done -> result; else cancel, wait, TimeoutError.
  if (!h.done()) {
    h.cancel();
    MultiWait w({h.core_ptr()}, WaitMode::all_completed, false);
    co_await w;
    if (h.cancelled()) throw TimeoutError();
  }
  co_return co_await std::move(h);
}
template <class A>
auto wait_for_impl(A aw, Timeout t) -> Task<typename handle_of_t<A>::value_type> {
  using T = typename handle_of_t<A>::value_type;
  if (!t.is_forever() && t.duration() <= Clock::duration::zero()) {
    co_return co_await wait_for_now(ensure_future(std::move(aw)));
  } else {
    TimeoutScope scope = timeout(t);
    if constexpr (std::is_void_v<T>) {
      co_await scope.run(std::move(aw));
    } else {
      co_return co_await scope.run(std::move(aw));
    }
  }
}
}  // namespace detail

// Python: asyncio.wait_for(aw, timeout). See the header comment.
template <class A>
auto wait_for(A&& aw, Timeout timeout) {
  return detail::wait_for_impl(std::decay_t<A>(std::forward<A>(aw)), timeout);
}

}  // namespace triad::aio
