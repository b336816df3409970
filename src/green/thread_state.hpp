// Per-OS-thread state of triad::green (implementation detail).
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>

#include "triad/green/greenlet.hpp"

namespace triad::green {
class Hub;
}

namespace triad::green::detail {

struct ThreadState {
  ThreadState();
  ~ThreadState();
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;

  greenlet* current = nullptr;          // the running greenlet (main until the first switch)
  greenlet* switching_from = nullptr;   // set by the switcher, read by the resumed side
  std::any transfer_value;              // the value carried by a switch
  std::exception_ptr transfer_exc;      // the exception carried by a switch
  bool hub_active = false;              // a hub exists: green threads use green parking
  Hub* hub = nullptr;                   // this thread's hub, if created
  std::unique_ptr<greenlet> main;       // the thread's main greenlet
  void (*destroy_hub)(Hub*) = nullptr;  // set by the hub: destroys *hub at thread exit
};

// The calling thread's state pointer (initial-exec TLS: one %fs-relative load).
extern __attribute__((tls_model("initial-exec"))) thread_local ThreadState* t_state;
// Creates the calling thread's state.
ThreadState& tstate_slow() noexcept;
// The calling thread's state (created on first use).
inline ThreadState& tstate() noexcept {
  if (t_state != nullptr) [[likely]] return *t_state;
  return tstate_slow();
}
// The calling thread's state if it exists (no creation), else nullptr.
inline ThreadState* tstate_if_exists() noexcept { return t_state; }

// Switches from the running greenlet `from` to `to` (started or not). Returns in `from` when
// something switches back. The transfer fields of the ThreadState carry value/exception.
void raw_switch(ThreadState& ts, greenlet& from, greenlet& to);

// The first greenlet at or above g that is not dead.
greenlet* live_target(greenlet* g) noexcept;

}  // namespace triad::green::detail
