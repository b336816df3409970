// ReactorBackend: the kernel readiness mechanism under a Reactor (epoll, io_uring, yours).
//
// Python: selectors.BaseSelector's role (register/modify/unregister/select) for a Reactor.
// Application code never uses this; it is the seam for a new backend:
//
//   class MyBackend final : public triad::net::ReactorBackend { ... };
//   triad::net::Reactor r(std::make_unique<MyBackend>());
//
// The Reactor owns timers, the wake-up eventfd, the post() inbox and the per-fd bookkeeping;
// a backend only maps "fd + token + wanted events" to kernel readiness reports. A backend is
// used by the reactor thread only (wait() included), so it needs no locking.
#pragma once

#include <cstddef>
#include <cstdint>

#include "triad/core/timeout.hpp"
#include "triad/net/events.hpp"

namespace triad::net {

enum class Backend : std::uint8_t;

// One readiness report: the token given to set_interest() and the events seen.
struct ReadyEvent {
  std::uint64_t token;
  Events events;
};

class ReactorBackend {
 public:
  ReactorBackend() = default;
  ReactorBackend(const ReactorBackend&) = delete;
  ReactorBackend& operator=(const ReactorBackend&) = delete;
  virtual ~ReactorBackend() = default;

  [[nodiscard]] virtual Backend kind() const noexcept = 0;

  // Declares what to report for fd from now on: `events` (readable/writable; none = nothing,
  // but the fd stays known) with `token`. Level mode (edge=false): report at every wait()
  // while ready. Edge mode (edge=true): report when the fd becomes ready (a report while the
  // fd stays ready is allowed: spurious reports are tolerated by the Reactor, lost ones are
  // not). Throws OSError if the kernel refuses.
  virtual void set_interest(int fd, std::uint64_t token, Events events, bool edge) = 0;
  // The Reactor will not ask about fd again (it is about to be closed). Must not fail if the
  // kernel already forgot it. Reports for fd still in flight may be delivered afterwards
  // with the old token; the Reactor ignores stale tokens.
  virtual void forget(int fd) noexcept = 0;
  // Waits until at least one report, or `timeout` (Clock::duration::max() = forever, zero =
  // poll), stores up to `max` reports into `out`, and returns their number. EINTR returns 0.
  // Throws OSError on failure.
  virtual std::size_t wait(Clock::duration timeout, ReadyEvent* out, std::size_t max) = 0;
};

}  // namespace triad::net
