// LoopLink: how another OS thread reaches a loop that may have been closed meanwhile (bridges
// to thread futures, to_thread). Implementation detail of triad::aio.
#pragma once

#include <mutex>

#include "triad/aio/event_loop.hpp"
#include "triad/core/detail/spinlock.hpp"

namespace triad::aio::detail {

struct LoopLink {
  triad::detail::SpinLock mu;
  EventLoop* loop = nullptr;  // null once the loop is closed

  // Posts fn to the loop if it is still open; returns false (fn not run) otherwise.
  bool post(net::Callback fn) {
    std::lock_guard<triad::detail::SpinLock> g(mu);
    if (loop == nullptr) return false;
    loop->reactor().post(std::move(fn));
    return true;
  }
};

}  // namespace triad::aio::detail
