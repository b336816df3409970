// Internal: the shared state behind triad::Timer. Not public API.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "triad/core/timeout.hpp"
#include "triad/threading/detail/thread_state.hpp"

namespace triad::detail {

enum class TimerPhase : std::uint32_t { idle, scheduled, running, done, cancelled, dropped };

class TimerState : public std::enable_shared_from_this<TimerState> {
 public:
  // name empty -> "Thread-N"; daemon absent -> inherited. Throws ValueError for a NaN interval.
  TimerState(std::string name, std::optional<bool> daemon, std::chrono::duration<double> interval);
  TimerState(const TimerState&) = delete;
  TimerState& operator=(const TimerState&) = delete;
  virtual ~TimerState();

  virtual void invoke() = 0;
  virtual void drop_target() noexcept = 0;

  std::string name;  // guarded by the runtime's meta lock
  bool daemon;       // guarded by the runtime's meta lock; immutable once started
  const std::chrono::duration<double> interval;
  const Clock::duration wait;  // interval as a clock duration (saturated, rounded up)

  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};  // Python's Timer.finished.is_set()
  std::atomic<bool> counted{false};   // holds one of the exit logic's non-daemon timer counts
  std::atomic<TimerPhase> phase{TimerPhase::idle};  // changed under the timer service lock
  CompletionFlag ended;                             // fired, cancelled or dropped

  // Guarded by the timer service lock.
  bool cancel_before_start = false;
  Clock::time_point deadline{};
  std::uint64_t seq = 0;
  std::size_t heap_index = 0;
};

template <class F, class... Args>
class TargetTimerState final : public TimerState {
 public:
  template <class G, class... A>
  TargetTimerState(std::string timer_name, std::optional<bool> is_daemon,
                   std::chrono::duration<double> every, G&& g, A&&... a)
      : TimerState(std::move(timer_name), is_daemon, every),
        target_(std::in_place, std::forward<G>(g), std::forward<A>(a)...) {}

  void invoke() override {
    std::apply([](F& f, Args&... args) { std::invoke(std::move(f), std::move(args)...); },
               *target_);
  }
  void drop_target() noexcept override { target_.reset(); }

 private:
  std::optional<std::tuple<F, Args...>> target_;
};

}  // namespace triad::detail
