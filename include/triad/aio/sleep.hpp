// sleep: suspend the current task for a while (Python: asyncio.sleep).
// Python: asyncio.sleep.
//
// Python                                   triad::aio
// await asyncio.sleep(1.5)                 co_await sleep(triad::seconds(1.5));   (or 1500ms)
// await asyncio.sleep(0)                   co_await sleep(0s);   // yields to the loop once
// x = await asyncio.sleep(1, result=x)     x = co_await sleep(1s, x);
//
//   triad::aio::Task<void> tick() {
//     for (int i = 0; i < 3; ++i) { std::puts("tick"); co_await triad::aio::sleep(100ms); }
//   }
//
// Blocks? suspends only the calling task; the loop runs others · yields a green thread? no
// (coroutines are not green threads) · loop thread only, inside a task · throws
// CancelledError if the task is cancelled while sleeping, RuntimeError("no running event
// loop") outside a loop · timeout: the delay itself; zero or negative = yield once (the task
// goes to the end of the ready queue, as in Python); triad::forever = until cancelled.
// The wake-up is a timer on the loop's Reactor heap (no allocation, no system call).
#pragma once

#include <coroutine>

#include "triad/aio/event_loop.hpp"
#include "triad/core/timeout.hpp"

namespace triad::aio {
namespace detail {

class SleepAwaiter : public Suspension {
 public:
  explicit SleepAwaiter(Timeout delay) noexcept : delay_(delay) {}
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  ~SleepAwaiter() { timer_.cancel(); }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    PromiseBase& t = current_task_or_throw();
    on_cancel = &cancel_thunk;
    if (!delay_.is_forever() && delay_.duration() <= Clock::duration::zero()) {
      t.loop_->schedule(&t);  // throws only bad_alloc, before anything is recorded
      t.suspend(h, this);
      yielded_ = true;
      return;
    }
    timer_ = t.loop_->reactor().call_at(Deadline::after(delay_), [this]() noexcept {
      task->waiting_on_ = nullptr;
      task->loop_->schedule(task);
    });
    t.suspend(h, this);
  }
  void await_resume() { task->check_cancel(cancelled); }

 private:
  static bool cancel_thunk(Suspension& s) noexcept {
    auto& self = static_cast<SleepAwaiter&>(s);
    if (self.yielded_) return false;  // already queued: CancelledError at resumption
    self.timer_.cancel();
    self.cancelled = true;
    self.task->waiting_on_ = nullptr;
    try {
      self.task->loop_->schedule(self.task);
    } catch (...) {
      return false;
    }
    return true;
  }

  Timeout delay_;
  net::TimerHandle timer_;
  bool yielded_ = false;
};

}  // namespace detail

// Python: asyncio.sleep(delay). See the header comment.
[[nodiscard]] inline detail::SleepAwaiter sleep(Timeout delay) noexcept {
  return detail::SleepAwaiter(delay);
}

// Python: asyncio.sleep(delay, result): returns `result` after the delay.
template <class T>
Task<T> sleep(Timeout delay, T result) {
  co_await detail::SleepAwaiter(delay);
  co_return result;
}

}  // namespace triad::aio
