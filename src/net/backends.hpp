// Internal: the built-in ReactorBackends.
#pragma once

#include <memory>

#include "triad/net/reactor_backend.hpp"

namespace triad::net::detail {

// Epoll. Throws OSError if epoll_create1 fails.
std::unique_ptr<ReactorBackend> make_epoll_backend();
// io_uring through liburing, readiness by IORING_OP_POLL_ADD (multishot for edge interest,
// one-shot re-armed for level interest). Throws OSError(ENOSYS...) when unavailable.
std::unique_ptr<ReactorBackend> make_uring_backend();
bool uring_available() noexcept;

}  // namespace triad::net::detail
