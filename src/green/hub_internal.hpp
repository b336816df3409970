// Scheduler internals shared by hub.cpp, spawn.cpp, timeout.cpp, pool.cpp and the monkey
// patches (implementation detail).
#pragma once

#include "thread_state.hpp"
#include "triad/core/timeout.hpp"
#include "triad/green/hub.hpp"

namespace triad::green::detail {

// Suspends the calling green thread (its parker's word must be kParked) until claimed: by an
// unpark, by `deadline`, by an IO completion or by an interrupt. Returns why. Never throws.
Wake suspend(ThreadState& ts, Hub& hub, GreenParker& p, Deadline deadline) noexcept;

// Claims a parked green thread for resumption (hub thread). Returns true if it won.
bool claim(GreenParker& p, Wake why) noexcept;

// Throws the calling green thread's pending interrupt, if any (a switch point).
void raise_pending_interrupt(ThreadState& ts);

// sleep(0): requeue the caller at the back of the ready queue and run the others.
void yield_now(ThreadState& ts, Hub& hub);

// The hub of the calling thread, creating it.
Hub& hub_for(ThreadState& ts);

}  // namespace triad::green::detail

#include <cstddef>
#include <utility>

#include "triad/net/events.hpp"

namespace triad::green::detail {
// Waits in the hub until one of the n (fd, events) pairs is ready, or the deadline. Returns
// false on timeout, true otherwise (possibly spuriously: re-check). An fd the reactor cannot
// watch (a regular file) counts as ready. Throws the pending interrupt (kill, Timeout).
bool wait_any(ThreadState& ts, Hub& hub, const std::pair<int, net::Events>* fds, std::size_t n,
              Deadline deadline);
}  // namespace triad::green::detail
