// TimeoutScope (include/triad/aio/timeout.hpp).
#include "triad/aio/timeout.hpp"

namespace triad::aio {

TimeoutScope timeout(Timeout delay) {
  if (delay.is_forever()) return TimeoutScope(std::nullopt);
  const double now = get_running_loop().time();
  return TimeoutScope(now + std::chrono::duration<double>(delay.duration()).count());
}

void TimeoutScope::enter() {
  if (state_ != St::created) throw RuntimeError("Timeout has already been entered");
  detail::PromiseBase& t = detail::current_task_or_throw();
  task_ = &t;
  state_ = St::entered;
  cancelling_ = t.cancel_requests_;
  reschedule(when_);
}

void TimeoutScope::reschedule(std::optional<double> when) {
  if (state_ == St::created) throw RuntimeError("Timeout has not been entered");
  if (state_ != St::entered) throw RuntimeError("Cannot change state of expiring Timeout");
  when_ = when;
  timer_.cancel();
  timer_ = TimerHandle();
  if (!when) return;
  EventLoop& loop = task_->loop_->self();
  if (*when <= loop.time()) {
    // Python: call_soon(self._on_timeout); a timer in the past runs at the next iteration.
    timer_ = loop.call_at(*when, [this] { on_timeout(); });
  } else {
    timer_ = loop.call_at(*when, [this] { on_timeout(); });
  }
}

void TimeoutScope::on_timeout() noexcept {
  if (state_ != St::entered) return;
  try {
    task_->task_cancel({});
  } catch (...) {
  }
  state_ = St::expiring;
  timer_ = TimerHandle();
}

void TimeoutScope::exit(std::exception_ptr ep) {
  timer_.cancel();
  timer_ = TimerHandle();
  if (state_ == St::expiring) {
    state_ = St::expired;
    if (task_->cancel_requests_ > 0) --task_->cancel_requests_;  // uncancel()
    bool cancelled = false;
    if (ep) {
      try {
        std::rethrow_exception(ep);
      } catch (const CancelledError&) {
        cancelled = true;
      } catch (...) {
      }
    }
    if (task_->cancel_requests_ <= cancelling_ && cancelled) throw TimeoutError();
  } else {
    state_ = St::exited;
  }
  if (ep) std::rethrow_exception(ep);
}

}  // namespace triad::aio
