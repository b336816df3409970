// Internal: the built-in ReactorBackends.
#pragma once

#include <memory>

#include "triad/net/reactor_backend.hpp"

namespace triad::net::detail {

// Internal bit of a backend's ReadyEvent (never reaches users): the peer hung up (POLLRDHUP
// or POLLHUP; a TCP reset sets both). That is permanent, so the reactor keeps such an fd
// readable for later waits: an edge-triggered backend reports it once, and a reader that
// emptied the data and then waits first (socket.hpp, drained_) must still see the EOF or the
// reset that arrived with it.
inline constexpr Events kHangup = static_cast<Events>(1u << 8);

// Epoll. Throws OSError if epoll_create1 fails.
std::unique_ptr<ReactorBackend> make_epoll_backend();
// io_uring through liburing, readiness by IORING_OP_POLL_ADD (multishot for edge interest,
// one-shot re-armed for level interest). Throws OSError(ENOSYS...) when unavailable.
std::unique_ptr<ReactorBackend> make_uring_backend();
bool uring_available() noexcept;

}  // namespace triad::net::detail
