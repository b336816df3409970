// triad::net — the IO layer: Reactor (epoll, io_uring), the IoWaiter hook, Python's socket.
// See docs/net.md.
#pragma once

#include "triad/net/address.hpp"
#include "triad/net/errors.hpp"
#include "triad/net/events.hpp"
#include "triad/net/io_waiter.hpp"
#include "triad/net/reactor.hpp"
#include "triad/net/reactor_backend.hpp"
#include "triad/net/socket.hpp"
