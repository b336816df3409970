#include "triad/green/spawn.hpp"

#include <cstdio>

#include "hub_internal.hpp"
#include "triad/net/reactor.hpp"

namespace triad::green {
namespace detail {
namespace {

void report_failure(const greenlet& g, std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    std::fprintf(stderr, "triad::green: %s failed with %s\n", g.name().c_str(), x.what());
  } catch (...) {
    std::fprintf(stderr, "triad::green: %s failed with a non-std exception\n", g.name().c_str());
  }
}

void check_own_thread(const GreenletState& st, const char* what) {
  ThreadState* ts = tstate_if_exists();
  if (ts == nullptr || ts->hub != st.hub) {
    throw RuntimeError(std::string(what) + " must be called on the OS thread that spawned the greenlet");
  }
}

}  // namespace

GreenletState::GreenletState(GreenletOptions options) {
  ThreadState& ts = tstate();
  hub = &hub_for(ts);
  if (options.name.empty()) {
    static std::atomic<std::uint64_t> counter{0};
    options.name = "Greenlet-" + std::to_string(counter.fetch_add(1) + 1);
  }
  raw = std::make_unique<greenlet>([this] { body(); }, &hub->hub_greenlet(), std::move(options));
  raw->core().on_dead = &GreenletState::on_dead;
  raw->core().on_dead_arg = this;
}

GreenletState::~GreenletState() = default;

void GreenletState::start(std::shared_ptr<GreenletState> self) {
  check_own_thread(*this, "start()");
  if (keepalive_ || status.load(std::memory_order_relaxed) != GStatus::pending) return;
  keepalive_ = std::move(self);
  hub->schedule(*raw);
}

void GreenletState::start_later(std::shared_ptr<GreenletState> self, triad::Timeout seconds) {
  check_own_thread(*this, "start_later()");
  if (keepalive_ || status.load(std::memory_order_relaxed) != GStatus::pending) return;
  keepalive_ = std::move(self);
  start_timer_ = hub->reactor().call_at(Deadline::after(seconds), [this] { hub->schedule(*raw); });
}

void GreenletState::body() noexcept {
  status.store(GStatus::running, std::memory_order_release);
  try {
    invoke();
  } catch (const GreenletExit&) {
    // A kill: successful, no value (gevent stores the GreenletExit as the value).
  } catch (...) {
    exception = std::current_exception();
    report_failure(*raw, exception);
  }
  finish();
}

void GreenletState::finish() noexcept {
  lock_.lock();
  status.store(GStatus::dead, std::memory_order_release);
  WaitNode* chain = nullptr;
  WaitNode* tail = nullptr;
  while (WaitNode* n = waiters_.pop_front()) {  // pop under the lock, unpark after it
    n->next = nullptr;
    if (tail != nullptr) tail->next = n; else chain = n;
    tail = n;
  }
  lock_.unlock();
  while (chain != nullptr) {
    WaitNode* next = chain->next;
    chain->context->unpark(*chain);
    chain = next;
  }
  for (auto& fn : raw_links_) {
    try {
      fn();
    } catch (...) {
    }
  }
  raw_links_.clear();
  if (!links_.empty()) {
    std::shared_ptr<GreenletState> self = weak_self.lock();
    for (auto& [which, cb] : links_) {
      const bool ok = !exception;
      if (which == 1 && !ok) continue;
      if (which == 2 && ok) continue;
      try {
        auto fn = std::move(cb);
        auto h = BasicGreenlet(self);
        // gevent's SpawnedLink: the callback runs in its own greenlet, parent = hub.
        spawn([fn = std::move(fn), h]() mutable { fn(h); });
      } catch (...) {
      }
    }
    links_.clear();
  }
}

void GreenletState::on_dead(void* self) noexcept {
  auto* st = static_cast<GreenletState*>(self);
  std::shared_ptr<GreenletState> drop = std::move(st->keepalive_);  // may destroy *st
}

bool GreenletState::join(triad::Timeout timeout) {
  if (status.load(std::memory_order_acquire) == GStatus::dead) return true;
  const Deadline deadline = Deadline::after(timeout);
  ThreadState* ts = tstate_if_exists();
  if (ts != nullptr && ts->current == raw.get()) {
    throw RuntimeError("cannot join the current greenlet");
  }
  if (!timeout.is_forever() && timeout.duration() <= Clock::duration::zero()) return false;
  WaitNode node;
  lock_.lock();
  if (status.load(std::memory_order_acquire) == GStatus::dead) {
    lock_.unlock();
    return true;
  }
  waiters_.push_back(node);
  lock_.unlock();
  const bool woken = park_and_resolve(node, waiters_, lock_, deadline);
  if (ts != nullptr && ts->hub != nullptr) raise_pending_interrupt(*ts);
  return woken || status.load(std::memory_order_acquire) == GStatus::dead;
}

void GreenletState::kill(std::exception_ptr e, bool block, triad::Timeout timeout) {
  check_own_thread(*this, "kill()");
  if (status.load(std::memory_order_acquire) == GStatus::dead) return;
  if (!e) e = std::make_exception_ptr(GreenletExit());
  if (status.load(std::memory_order_acquire) == GStatus::pending) {
    // Never runs: unschedule and finish with the exception (GreenletExit = success).
    start_timer_.cancel();
    GreenletCore& c = raw->core();
    c.started = true;
    c.dead = true;
    try {
      std::rethrow_exception(e);
    } catch (const GreenletExit&) {
    } catch (...) {
      exception = std::current_exception();
    }
    std::shared_ptr<GreenletState> self = weak_self.lock();  // keep alive through finish()
    finish();
    if (!c.parker.queued) {
      c.on_dead = nullptr;
      std::shared_ptr<GreenletState> drop = std::move(keepalive_);
    }  // else the hub drops it when it pops the dead greenlet
    return;
  }
  ThreadState* ts = tstate_if_exists();
  if (ts != nullptr && ts->current == raw.get()) std::rethrow_exception(e);  // killing oneself
  hub->interrupt(*raw, e);
  if (block) join(timeout);
}

void GreenletState::add_link(std::function<void(BasicGreenlet)> cb, int which) {
  check_own_thread(*this, "link()");
  if (status.load(std::memory_order_acquire) == GStatus::dead) {
    const bool ok = !exception;
    if ((which == 1 && !ok) || (which == 2 && ok)) return;
    auto h = BasicGreenlet(weak_self.lock());
    spawn([fn = std::move(cb), h]() mutable { fn(h); });
    return;
  }
  links_.emplace_back(which, std::move(cb));
}

void GreenletState::add_raw_link(std::function<void()> cb) { raw_links_.push_back(std::move(cb)); }

}  // namespace detail

std::vector<BasicGreenlet> joinall(const std::vector<BasicGreenlet>& greenlets,
                                   triad::Timeout timeout, bool raise_error) {
  const Deadline deadline = Deadline::after(timeout);
  std::vector<BasicGreenlet> done;
  for (const BasicGreenlet& g : greenlets) {
    const bool ok = g.join(deadline.is_never() ? triad::Timeout{} : triad::Timeout(deadline.remaining()));
    if (!ok) break;
    if (raise_error && g.exception()) std::rethrow_exception(g.exception());
  }
  for (const BasicGreenlet& g : greenlets) {
    if (g.ready()) done.push_back(g);
  }
  return done;
}

void killall(const std::vector<BasicGreenlet>& greenlets, std::exception_ptr e, bool block,
             triad::Timeout timeout) {
  for (const BasicGreenlet& g : greenlets) g.kill(e, false);
  if (!block) return;
  joinall(greenlets, timeout);
}

}  // namespace triad::green
