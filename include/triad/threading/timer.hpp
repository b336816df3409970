// Timer: run a function once after an interval, unless cancelled first.
//
// Python: threading.Timer
//
//   triad::Timer t(2s, [](std::string who) { std::puts(who.c_str()); }, "task");
//   t.start();          // fires in 2 s on triad's timer thread
//   t.cancel();         // ...unless cancelled before that
//   t.join();           // returns once it fired or was cancelled
//
// Unlike Python, which spends one OS thread per Timer, all triad timers share ONE timer
// thread (named "triad-timer"): a heap of deadlines, on which that thread sleeps with a futex
// until the earliest deadline. It is started lazily, by the first Timer::start(), and never
// exits.
//
// Which thread runs the callback: always the shared timer thread, never the caller of
// start(). Consequences, all documented differences from Python:
// - callbacks run one at a time, in deadline order (ties: start order); a long callback
//   delays every other timer due meanwhile. Hand long work to a Thread or an executor.
// - inside a callback, current_thread() is the timer thread ("triad-timer", not listed by
//   enumerate()), not the Timer; a Thread created there inherits the Timer's daemon flag.
// - a callback must not block waiting for another Timer: join() of a not-yet-finished Timer
//   from a callback raises RuntimeError instead of deadlocking.
// Timer is therefore its own class, not a Thread subclass: it has Thread's start/join/
// is_alive/name/daemon contract but no ident/native_id and no run() to override.
//
// Timing: the callback runs no earlier than `interval` after start() (steady clock), and as
// soon after as the timer thread gets the CPU. A zero or negative interval fires at once.
//
// Cancel race semantics: cancel() before the callback has started guarantees it never runs
// (and destroys the callable and its arguments on the cancelling thread). Once the callback
// has started, cancel() has no effect on it and does not wait for it (use join()). cancel()
// before start() makes a later start() end the timer without running it (as in Python).
//
// Lifetime: destroying a started Timer object does NOT cancel it: it still fires (Python's
// fire-and-forget `Timer(5, f).start()` works). Its callable and arguments are destroyed on
// the timer thread after the call. Call cancel() first if you want it gone.
//
// Program exit: a pending non-daemon Timer (the default when created on the main thread)
// keeps the program alive at normal exit until it fires or is cancelled — as Python waits for
// its Timer threads; daemon timers do not. After exit's shutdown the timer thread runs no
// more callbacks (see thread.hpp for the full exit sequence).
//
// fork(): a forked child starts with no timer thread and an empty heap; timers pending in the
// parent never fire in the child (is_alive() is false there); the child can start new timers.
//
// An exception escaping the callback goes to the excepthook (<triad/threading/excepthook.hpp>)
// on the timer thread, with the Timer's name; other timers are unaffected.
//
// Thread safety: all members may be called concurrently from any thread. Timer is
// non-copyable and non-movable.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/threading/detail/timer_state.hpp"
#include "triad/threading/thread.hpp"

namespace triad {

class Timer {
 public:
  // Python: Timer(interval, function, args). `interval` is any std::chrono duration
  // (2s, 250ms, triad::seconds(0.5)). Throws ValueError for a NaN interval.
  template <class F, class... Args>
  requires detail::thread_target<F, Args...> Timer(seconds interval, F&& fn, Args&&... args)
      : Timer(ThreadOptions{}, interval, std::forward<F>(fn), std::forward<Args>(args)...) {}

  // With a name and/or daemon flag (Python: set t.name / t.daemon before start()).
  template <class F, class... Args>
  requires detail::thread_target<F, Args...> Timer(ThreadOptions options, seconds interval, F&& fn,
                                                   Args&&... args)
      : state_(std::make_shared<detail::TargetTimerState<std::decay_t<F>, std::decay_t<Args>...>>(
            std::move(options.name), options.daemon, interval, std::forward<F>(fn),
            std::forward<Args>(args)...)) {}

  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  Timer(Timer&&) = delete;
  Timer& operator=(Timer&&) = delete;
  // Does not cancel (see Lifetime). Never blocks.
  ~Timer() = default;

  // Python: t.start(). Schedules the callback `interval` from now on the timer thread
  // (starting that thread if needed). Blocks: no. Throws RuntimeError("threads can only be
  // started once"), RuntimeError("can't start new thread") if the timer thread cannot be
  // created, RuntimeError("can't create new thread at interpreter shutdown") after exit's
  // shutdown.
  void start();

  // Python: t.cancel(). Stops the timer if it has not started running its callback yet; a
  // no-op otherwise. Blocks: no. Never throws.
  void cancel() noexcept;

  // Python: t.join(timeout). Waits until the callback has returned or the timer was
  // cancelled (or dropped by fork); returns whether it has ended.
  // Blocks: yes. Yields a green thread: yes (parking interface). Thread safety: any number of
  // joiners. Throws RuntimeError("cannot join thread before it is started"), and on the
  // timer thread RuntimeError("cannot join current thread") for the running Timer or
  // RuntimeError("cannot join a timer from a timer callback") for another unfinished one.
  // Timeout: absent = forever; zero or negative = just check.
  bool join(Timeout timeout = {});

  // Python: t.is_alive(): started, and neither fired-and-returned nor cancelled.
  [[nodiscard]] bool is_alive() const noexcept;
  // Python: t.finished.is_set(): cancel() was called, or the callback has returned.
  [[nodiscard]] bool finished() const noexcept;
  // Python: t.interval.
  [[nodiscard]] seconds interval() const noexcept { return state_->interval; }
  // Python: t.name / t.daemon, as Thread (default name "Thread-N"; daemon inherited).
  [[nodiscard]] std::string name() const;
  void set_name(std::string name);
  [[nodiscard]] bool daemon() const;
  // Throws RuntimeError("cannot set daemon status of active thread") once started.
  void set_daemon(bool daemonic);

 private:
  std::shared_ptr<detail::TimerState> state_;
};

}  // namespace triad
