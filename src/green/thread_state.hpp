// Per-OS-thread state of triad::green (implementation detail).
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>

#include "triad/core/parking.hpp"
#include "triad/green/greenlet.hpp"
#include "triad/threading/detail/owner.hpp"

namespace triad::green {
class Hub;
}

namespace triad::green::detail {

// Creates the calling thread's state.
ThreadState& tstate_slow() noexcept;
// The calling thread's state (created on first use).
inline ThreadState& tstate() noexcept {
  if (t_state != nullptr) [[likely]] return *t_state;
  return tstate_slow();
}
// The calling thread's state if it exists (no creation), else nullptr.
inline ThreadState* tstate_if_exists() noexcept { return t_state; }

// Under a hub, a green thread is its own execution context for the foundation primitives: it
// parks through its own ParkingContext and owns an RLock as itself (gevent's RLock belongs to a
// greenlet), while the hub and the OS thread's main greenlet keep the OS thread's identity.
// Called on every switch into `to` (and when a hub starts or ends under the running greenlet).
inline void install_context(ThreadState& ts, greenlet& to) noexcept {
  if (!ts.hub_active) return;
  GreenletCore& c = to.core();
  exchange_parking_context(c.is_hub ? nullptr : &c.parker);
  triad::detail::exchange_owner_id(c.is_hub || c.is_main ? 0 : reinterpret_cast<std::uintptr_t>(&to));
}

// Switches from the running greenlet `from` to `to` (started or not). Returns in `from` when
// something switches back. The transfer fields of the ThreadState carry value/exception.
void raw_switch(ThreadState& ts, greenlet& from, greenlet& to);

// raw_switch() with the common case (a started greenlet, no sanitizers) inlined into the
// caller, so the jump happens in the caller's frame (one mispredicted return less).
inline void raw_switch_fast(ThreadState& ts, greenlet& from, greenlet& to) {
#if TRIAD_GREEN_INLINE_SWITCH
  GreenletCore& t = to.core();
  if (t.started) [[likely]] {
    ts.switching_from = &from;
    ts.current = &to;
    install_context(ts, to);
    boost::context::fiber back = std::move(t.fiber).resume();
    ts.switching_from->core().fiber = std::move(back);
    return;
  }
#endif
  raw_switch(ts, from, to);
}

// The first greenlet at or above g that is not dead.
greenlet* live_target(greenlet* g) noexcept;

}  // namespace triad::green::detail
