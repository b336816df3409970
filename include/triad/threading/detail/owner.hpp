// Who "owns" a recursive lock: the identity of the calling execution context.
//
// RLock (and Condition over an RLock) record their owner as an opaque integer obtained from
// current_owner_id(). By default that is the address of a thread-local byte, so ownership is
// per OS thread. Green threads share OS threads, so the green layer (triad::green) will
// install a per-greenlet identity while a green thread runs, exactly as it installs its
// ParkingContext: it calls exchange_owner_id(id_of_the_greenlet) on every switch in and
// restores the previous value on the way out. Application code never calls it.
#pragma once

#include <cstdint>

namespace triad::detail {

inline thread_local char t_owner_anchor = 0;
inline thread_local std::uintptr_t t_owner_override = 0;

// The calling context's owner identity: never 0, distinct for every live context.
[[nodiscard]] inline std::uintptr_t current_owner_id() noexcept {
  const std::uintptr_t o = t_owner_override;
  return o != 0 ? o : reinterpret_cast<std::uintptr_t>(&t_owner_anchor);
}

// Extension point for schedulers (green hubs): makes `id` (0 = the OS thread's own identity)
// the calling OS thread's owner identity and returns the previous override (0 if none).
inline std::uintptr_t exchange_owner_id(std::uintptr_t id) noexcept {
  const std::uintptr_t prev = t_owner_override;
  t_owner_override = id;
  return prev;
}

}  // namespace triad::detail
