// Small helpers shared by the threading primitives (not part of the public API).
#pragma once

#include <chrono>
#include <type_traits>

#include "triad/core/timeout.hpp"

namespace triad::detail {

// A deadline from a time point on any clock (std::unique_lock::try_lock_until and friends
// accept system_clock points too; those are converted once, to the steady clock).
template <class C, class D>
[[nodiscard]] Deadline deadline_from(const std::chrono::time_point<C, D>& tp) noexcept {
  if constexpr (std::is_same_v<C, Clock>) {
    return Deadline::at(std::chrono::time_point_cast<Clock::duration>(tp));
  } else {
    return Deadline::after(Timeout(tp - C::now()));
  }
}

// acquire(blocking=false, timeout=...) is an error in Python; checked before anything else.
// Throws ValueError("can't specify a timeout for a non-blocking call").
[[noreturn]] void throw_nonblocking_timeout();
inline void check_acquire_args(bool blocking, Timeout timeout) {
  if (!blocking && !timeout.is_forever()) throw_nonblocking_timeout();
}

}  // namespace triad::detail
