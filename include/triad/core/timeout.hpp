// Timeouts and deadlines: the C++ shape of Python's `timeout=None | seconds`.
//
// Python                       triad
// timeout=None                 nothing / triad::forever / std::nullopt
// timeout=2.5                  std::chrono::milliseconds(2500), 2500ms, or triad::seconds(2.5)
// timeout=0 (or negative)      0s (or a negative duration): do not wait
//
// Every blocking call in triad takes a `Timeout` (absent = wait forever) and has a
// non-blocking form. A zero or negative timeout means "do not wait": the call succeeds only
// if it can without blocking. (Python raises ValueError for some negative timeouts; triad
// treats them as zero, as Abseil does, so computed timeouts that ran out are never errors.)
//
// Internally a Timeout becomes a `Deadline` on the steady clock once, at the start of the
// call, so a wait that wakes spuriously and loops never extends its total time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ratio>

namespace triad {

using Clock = std::chrono::steady_clock;

// Seconds as a floating-point duration, for Python-style literals: triad::seconds(0.25).
using seconds = std::chrono::duration<double>;

struct Forever {
  explicit constexpr Forever() = default;
};
// Wait without a time limit (Python's timeout=None).
inline constexpr Forever forever{};

// An optional relative time limit. Implicit from any std::chrono::duration (floating-point
// ones included; they round up to the next nanosecond), from triad::forever and std::nullopt.
class Timeout {
 public:
  constexpr Timeout() noexcept = default;
  constexpr Timeout(Forever) noexcept {}        // NOLINT(google-explicit-constructor)
  constexpr Timeout(std::nullopt_t) noexcept {}  // NOLINT(google-explicit-constructor)
  template <class Rep, class Period>
  constexpr Timeout(std::chrono::duration<Rep, Period> d) noexcept  // NOLINT(google-explicit-constructor)
      : limited_(true), duration_(to_clock(d)) {}

  // True when there is no limit.
  [[nodiscard]] constexpr bool is_forever() const noexcept { return !limited_; }
  // The limit; meaningful only when !is_forever(). Negative limits are kept as given.
  [[nodiscard]] constexpr Clock::duration duration() const noexcept { return duration_; }

 private:
  template <class Rep, class Period>
  static constexpr Clock::duration to_clock(std::chrono::duration<Rep, Period> d) noexcept {
    using Limits = std::chrono::duration<double, Clock::period>;
    const double ticks = std::chrono::duration_cast<Limits>(d).count();
    // Saturate: a timeout of a century is as good as forever, but must not overflow.
    constexpr double kMax = 4.0e18;
    if (ticks >= kMax) return Clock::duration(static_cast<Clock::rep>(kMax));
    if (ticks <= -kMax) return Clock::duration(static_cast<Clock::rep>(-kMax));
    auto whole = static_cast<Clock::rep>(ticks);
    if (static_cast<double>(whole) < ticks) ++whole;  // round up: never wait less than asked
    return Clock::duration(whole);
  }

  bool limited_ = false;
  Clock::duration duration_{};
};

// An absolute point on the steady clock, or never.
class Deadline {
 public:
  constexpr Deadline() noexcept = default;  // never
  static constexpr Deadline never() noexcept { return Deadline(); }
  static Deadline at(Clock::time_point tp) noexcept { return Deadline(tp); }
  // Now + timeout (computed once; saturating).
  static Deadline after(Timeout t) noexcept {
    if (t.is_forever()) return never();
    const auto now = Clock::now();
    if (t.duration() > Clock::time_point::max() - now) return never();
    return Deadline(now + t.duration());
  }

  [[nodiscard]] constexpr bool is_never() const noexcept { return !limited_; }
  [[nodiscard]] constexpr Clock::time_point time_point() const noexcept { return tp_; }
  // True once the deadline has passed (never for Deadline::never()).
  [[nodiscard]] bool expired() const noexcept { return limited_ && Clock::now() >= tp_; }
  // Time left, clamped at zero; Clock::duration::max() for never.
  [[nodiscard]] Clock::duration remaining() const noexcept {
    if (!limited_) return Clock::duration::max();
    const auto left = tp_ - Clock::now();
    return left > Clock::duration::zero() ? left : Clock::duration::zero();
  }

 private:
  explicit Deadline(Clock::time_point tp) noexcept : limited_(true), tp_(tp) {}
  bool limited_ = false;
  Clock::time_point tp_{};
};

}  // namespace triad
