// IO readiness events: what a Reactor watch, an IoWait or an IoWaiter waits for and reports.
//
// Python: selectors.EVENT_READ / selectors.EVENT_WRITE.
//
//   using triad::net::Events;
//   Events want = Events::readable | Events::writable;
//   if (has(ready, Events::readable)) { ... }
//
// `error` is reported (never requested): the fd has an error or was hung up (EPOLLERR,
// EPOLLHUP, POLLNVAL); the next read/write on it tells which. `closed` is reported to a
// waiter whose fd was closed by another context while it waited (see io_waiter.hpp).
#pragma once

#include <cstdint>

namespace triad::net {

enum class Events : std::uint32_t {
  none = 0,
  readable = 1u << 0,  // Python: selectors.EVENT_READ
  writable = 1u << 1,  // Python: selectors.EVENT_WRITE
  error = 1u << 2,     // reported only: error or hang-up
  closed = 1u << 3,    // reported only: the fd was closed while waited on
};

constexpr Events operator|(Events a, Events b) noexcept {
  return static_cast<Events>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
constexpr Events operator&(Events a, Events b) noexcept {
  return static_cast<Events>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}
constexpr Events operator~(Events a) noexcept {
  return static_cast<Events>(~static_cast<std::uint32_t>(a) & 0xFu);
}
constexpr Events& operator|=(Events& a, Events b) noexcept { return a = a | b; }
constexpr Events& operator&=(Events& a, Events b) noexcept { return a = a & b; }
// True if `set` contains any of `bits`.
constexpr bool has(Events set, Events bits) noexcept { return (set & bits) != Events::none; }

}  // namespace triad::net
