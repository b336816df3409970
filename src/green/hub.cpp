#include "triad/green/hub.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "hub_internal.hpp"
#include "triad/core/detail/cpu_relax.hpp"
#include "triad/net/errors.hpp"
#include "triad/net/io_waiter.hpp"
#include "triad/net/reactor.hpp"

namespace triad::green {
namespace detail {
namespace {

// How many green threads the hub resumes between two non-blocking polls of the reactor.
constexpr int kBatch = 64;

// Number of threads of this process (from /proc/self/stat), or a large number if unknown.
int process_thread_count() noexcept {
  const int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1 << 20;
  char buf[1024];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 1 << 20;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return 1 << 20;
  // Fields after the comm: state(3) ppid(4) ... num_threads(20): skip 17 separators.
  int field = 2;
  for (++p; *p != '\0' && field < 20; ++p) {
    if (*p == ' ') ++field;
  }
  while (*p == ' ') ++p;
  return std::atoi(p);
}

void print_stray_exception(const greenlet& g, std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    std::fprintf(stderr, "triad::green: %s failed with %s\n", g.name().c_str(), x.what());
  } catch (...) {
    std::fprintf(stderr, "triad::green: %s failed with a non-std exception\n", g.name().c_str());
  }
}

}  // namespace

bool claim(GreenParker& p, Wake why) noexcept {
  std::uint32_t w = kParked;
  if (!p.word.compare_exchange_strong(w, kClaimed, std::memory_order_acq_rel)) return false;
  p.wake = why;
  p.hub->schedule(*p.owner);
  return true;
}

Wake suspend(ThreadState& ts, Hub& hub, GreenParker& p, Deadline deadline) noexcept {
  // p.wake was reset by the caller BEFORE it published kParked (a claimer writes it after).
  if (p.interrupt && !p.interrupt_delivered_to_park && !p.uninterruptible) {
    std::uint32_t w = kParked;
    if (p.word.compare_exchange_strong(w, kRunning, std::memory_order_acq_rel)) {
      p.interrupt_delivered_to_park = true;
      return Wake::interrupted;
    }
    // An unpark claimed it first: fall through and take that resumption.
  }
  net::TimerHandle timer;
  if (!deadline.is_never()) {
    if (deadline.expired()) {
      std::uint32_t w = kParked;
      if (p.word.compare_exchange_strong(w, kRunning, std::memory_order_acq_rel)) {
        return Wake::timed_out;
      }
    } else {
      const std::uint64_t seq = ++p.park_seq;
      GreenParker* pp = &p;
      try {
        timer = hub.reactor().call_at(deadline, [pp, seq] {
          if (pp->park_seq == seq) claim(*pp, Wake::timed_out);
        });
      } catch (...) {
        // No memory for a timer: wait without one (the deadline is then not honoured).
      }
    }
  }
  raw_switch_fast(ts, *ts.current, hub.hub_greenlet());
  timer.cancel();
  std::uint32_t c = kClaimed;
  p.word.compare_exchange_strong(c, kRunning, std::memory_order_acq_rel);  // kPending stays
  if (p.wake == Wake::interrupted) p.interrupt_delivered_to_park = true;
  return p.wake;
}

void raise_pending_interrupt(ThreadState& ts) {
  GreenParker& p = ts.current->core().parker;
  if (!p.interrupt) return;
  std::exception_ptr e = std::move(p.interrupt);
  p.interrupt = nullptr;
  p.interrupt_delivered_to_park = false;
  std::rethrow_exception(e);
}

Hub& hub_for(ThreadState& ts) {
  if (ts.hub != nullptr) return *ts.hub;
  return Hub::current();
}

void yield_now(ThreadState& ts, Hub& hub) {
  greenlet& self = *ts.current;
  if (&self == &hub.hub_greenlet()) return;
  GreenParker& p = self.core().parker;
  p.hub = &hub;
  raise_pending_interrupt(ts);
  p.word.store(kClaimed, std::memory_order_relaxed);
  p.wake = Wake::unparked;
  hub.schedule(self);
  raw_switch_fast(ts, self, hub.hub_greenlet());
  std::uint32_t c = kClaimed;
  p.word.compare_exchange_strong(c, kRunning, std::memory_order_acq_rel);
  raise_pending_interrupt(*tstate_if_exists());
}

// --- the green ParkingContext --------------------------------------------------------------

ParkResult GreenParker::park(WaitNode& node, Deadline deadline) {
  // A park on the node whose last park timed out, with no deadline, awaits an unpark in
  // flight (park_and_resolve): it must end only by that unpark.
  const bool in_flight = &node == timed_out_node && deadline.is_never();
  timed_out_node = nullptr;
  if (node.state.load(std::memory_order_acquire) != 0) {
    word.store(kRunning, std::memory_order_relaxed);
    return ParkResult::woken;
  }
  ThreadState& ts = *tstate_if_exists();
  Hub& h = *ts.hub;
  hub = &h;
  wake = Wake::none;
  std::uint32_t w = kRunning;
  if (!word.compare_exchange_strong(w, kParked, std::memory_order_acq_rel)) {
    // An unpark announced itself (kPending) and is storing node.state.
    while (node.state.load(std::memory_order_acquire) == 0) triad::detail::cpu_relax();
    word.store(kRunning, std::memory_order_relaxed);
    return ParkResult::woken;
  }
  uninterruptible = in_flight;
  const Wake why = suspend(ts, h, *this, deadline);
  uninterruptible = false;
  if (why == Wake::unparked || node.state.load(std::memory_order_acquire) != 0) {
    std::uint32_t c = kPending;
    word.compare_exchange_strong(c, kRunning, std::memory_order_acq_rel);
    return ParkResult::woken;
  }
  timed_out_node = &node;
  return ParkResult::timed_out;
}

void GreenParker::check_interrupt() {
  timed_out_node = nullptr;
  if (!interrupt) return;
  std::exception_ptr e = std::move(interrupt);
  interrupt = nullptr;
  interrupt_delivered_to_park = false;
  std::rethrow_exception(e);
}

void GreenParker::unpark(WaitNode& node) noexcept {
  std::uint32_t w = word.load(std::memory_order_acquire);
  for (;;) {
    if (w == kParked) {
      if (word.compare_exchange_weak(w, kClaimed, std::memory_order_acq_rel)) {
        wake = Wake::unparked;
        node.state.store(1, std::memory_order_release);  // the waiter stays parked until queued
        hub->schedule_from_any_thread(*this);
        return;
      }
    } else {
      // Running (between a timed-out park and its re-park) or already claimed by a timeout
      // or an interrupt: announce, then publish; the waiter's next park returns woken.
      if (word.compare_exchange_weak(w, kPending, std::memory_order_acq_rel)) {
        node.state.store(1, std::memory_order_release);  // last access to anything
        return;
      }
    }
  }
}

// --- the hub's IoWaiter ------------------------------------------------------------------

class HubIoWaiter final : public net::IoWaiter {
 public:
  explicit HubIoWaiter(Hub& hub) noexcept : hub_(hub) {}

  net::WaitResult wait(int fd, net::Events events, Deadline deadline) override {
    ThreadState& ts = *tstate_if_exists();
    greenlet& self = *ts.current;
    if (&self == &hub_.hub_greenlet()) {
      return net::thread_io_waiter().wait(fd, events, deadline);
    }
    raise_pending_interrupt(ts);
    net::IoWait w;
    w.fd = fd;
    w.events = events & (net::Events::readable | net::Events::writable);
    w.user = &self.core().parker;
    w.complete = [](net::IoWait& iw) noexcept {
      claim(*static_cast<GreenParker*>(iw.user), Wake::io);
    };
    try {
      if (!hub_.reactor().arm(w)) return net::WaitResult::ready;
    } catch (const net::OSError& e) {
      if (e.errnum() == EPERM) return net::WaitResult::ready;  // regular file: always ready
      throw;
    }
    GreenParker& p = self.core().parker;
    p.hub = &hub_;
    p.wake = Wake::none;
    p.word.store(kParked, std::memory_order_release);
    const Wake why = suspend(ts, hub_, p, deadline);
    if (why != Wake::io) hub_.reactor().disarm(w);
    if (why == Wake::interrupted) raise_pending_interrupt(ts);
    if (why == Wake::timed_out) return net::WaitResult::timed_out;
    if (net::has(w.result, net::Events::closed)) return net::WaitResult::closed;
    return net::WaitResult::ready;
  }

  void closing(int fd) noexcept override { hub_.reactor().close_fd(fd); }

 private:
  Hub& hub_;
};

bool wait_any(ThreadState& ts, Hub& hub, const std::pair<int, net::Events>* fds, std::size_t n,
              Deadline deadline) {
  raise_pending_interrupt(ts);
  greenlet& self = *ts.current;
  GreenParker& p = self.core().parker;
  std::unique_ptr<net::IoWait[]> waits(new net::IoWait[n]);
  std::size_t armed = 0;
  bool ready_now = false;
  auto disarm_all = [&] {
    for (std::size_t i = 0; i < armed; ++i) hub.reactor().disarm(waits[i]);
  };
  for (; armed < n; ++armed) {
    net::IoWait& w = waits[armed];
    w.fd = fds[armed].first;
    w.events = fds[armed].second & (net::Events::readable | net::Events::writable);
    if (w.events == net::Events::none) w.events = net::Events::readable;
    w.user = &p;
    w.complete = [](net::IoWait& iw) noexcept {
      claim(*static_cast<GreenParker*>(iw.user), Wake::io);
    };
    bool ok = false;
    try {
      ok = hub.reactor().arm(w);
    } catch (const net::OSError&) {
      ok = false;  // not watchable (regular file, bad fd): let the caller's poll report it
    }
    if (!ok) {
      ready_now = true;
      break;
    }
  }
  if (ready_now) {
    disarm_all();
    return true;
  }
  p.hub = &hub;
  p.wake = Wake::none;
  p.word.store(kParked, std::memory_order_release);
  const Wake why = suspend(ts, hub, p, deadline);
  disarm_all();
  if (why == Wake::interrupted) raise_pending_interrupt(ts);
  return why != Wake::timed_out;
}

}  // namespace detail

// --- Hub -----------------------------------------------------------------------------------

struct Hub::Private {
  static void destroy(Hub* h) { delete h; }
};

Hub::Hub() : reactor_(std::make_unique<net::Reactor>()) {
  detail::ThreadState& ts = detail::tstate();
  greenlet_ = std::make_unique<greenlet>([this] { loop(); }, ts.main.get(),
                                         GreenletOptions{.stack_size = 256 * 1024, .name = "hub"});
  greenlet_->core().is_hub = true;
  auto* waiter = new detail::HubIoWaiter(*this);
  io_waiter_ = waiter;
  previous_io_waiter_ = net::exchange_io_waiter(waiter);
}

Hub& Hub::current() {
  detail::ThreadState& ts = detail::tstate();
  if (ts.hub != nullptr) return *ts.hub;
  Hub* h = new Hub();
  ts.hub = h;
  ts.destroy_hub = &Private::destroy;
  ts.hub_active = true;
  detail::install_context(ts, *ts.current);
  for (greenlet* g = ts.current; g != nullptr; g = g->parent()) g->core().parker.hub = h;
  return *h;
}

Hub* Hub::current_if_exists() noexcept {
  detail::ThreadState* ts = detail::tstate_if_exists();
  return ts != nullptr ? ts->hub : nullptr;
}

Hub::~Hub() {
  unsigned spins = 0;
  while (remote_wakers_.load(std::memory_order_acquire) != 0) triad::detail::backoff(spins);
  detail::ThreadState* ts = detail::tstate_if_exists();
  if (ts != nullptr && greenlet_->active() && ts->current == ts->main.get()) {
    stopping_ = true;
    detail::raw_switch(*ts, *ts->current, *greenlet_);
    ts->transfer_value.reset();
    ts->transfer_exc = nullptr;
  }
  if (ts != nullptr) {
    ts->hub_active = false;
    exchange_parking_context(nullptr);
    triad::detail::exchange_owner_id(0);
  }
  net::exchange_io_waiter(static_cast<net::IoWaiter*>(previous_io_waiter_));
  delete static_cast<detail::HubIoWaiter*>(io_waiter_);
  if (greenlet_->active()) {
    // Suspended forever (destroyed off the main greenlet): leak rather than unwind here.
    (void)greenlet_.release();
  }
}

void Hub::schedule(greenlet& g) noexcept {
  detail::GreenParker& p = g.core().parker;
  if (p.queued) return;
  p.queued = true;
  p.hub = this;
  p.next = nullptr;
  if (ready_tail_ != nullptr) {
    ready_tail_->next = &p;
  } else {
    ready_head_ = &p;
  }
  ready_tail_ = &p;
  ++ready_count_;
}

void Hub::schedule_from_any_thread(detail::GreenParker& p) noexcept {
  detail::ThreadState* ts = detail::tstate_if_exists();
  if (ts != nullptr && ts->hub == this) {
    schedule(*p.owner);
    return;
  }
  remote_wakers_.fetch_add(1, std::memory_order_acquire);
  detail::GreenParker* head = inbox_.load(std::memory_order_relaxed);
  do {
    p.next = head;
  } while (!inbox_.compare_exchange_weak(head, &p, std::memory_order_release,
                                         std::memory_order_relaxed));
  reactor_->wake();
  remote_wakers_.fetch_sub(1, std::memory_order_release);
}

void Hub::drain_inbox() noexcept {
  detail::GreenParker* list = inbox_.exchange(nullptr, std::memory_order_acquire);
  detail::GreenParker* rev = nullptr;
  while (list != nullptr) {  // restore arrival order
    detail::GreenParker* next = list->next;
    list->next = rev;
    rev = list;
    list = next;
  }
  while (rev != nullptr) {
    detail::GreenParker* next = rev->next;
    schedule(*rev->owner);
    rev = next;
  }
}

void Hub::interrupt(greenlet& g, std::exception_ptr e) noexcept {
  detail::GreenParker& p = g.core().parker;
  p.interrupt = std::move(e);
  p.interrupt_delivered_to_park = false;
  p.hub = this;
  if (p.uninterruptible) return;  // awaiting an unpark in flight: raised at the next switch point
  detail::claim(p, detail::Wake::interrupted);
}

bool Hub::would_block_forever() const {
  if (ready_head_ != nullptr || inbox_.load(std::memory_order_acquire) != nullptr) return false;
  if (reactor_->timer_count() != 0 || reactor_->fd_count() != 0) return false;
  return detail::process_thread_count() <= 1;
}

void Hub::loop() {
  detail::ThreadState& ts = *detail::tstate_if_exists();
  greenlet& me = *greenlet_;
  while (!stopping_) {
    if (inbox_.load(std::memory_order_relaxed) != nullptr) drain_inbox();
    for (int n = 0; n < detail::kBatch && ready_head_ != nullptr; ++n) {
      detail::GreenParker* p = ready_head_;
      ready_head_ = p->next;
      if (ready_head_ == nullptr) ready_tail_ = nullptr;
      p->next = nullptr;
      p->queued = false;
      --ready_count_;
      greenlet& g = *p->owner;
      if (g.dead()) {  // killed before it started: release its owner now
        if (g.core().on_dead != nullptr) {
          auto fn = g.core().on_dead;
          g.core().on_dead = nullptr;
          fn(g.core().on_dead_arg);
        }
        continue;
      }
      detail::raw_switch_fast(ts, me, g);
      greenlet* prev = ts.switching_from;
      if (ts.transfer_exc) {
        if (prev != nullptr) detail::print_stray_exception(*prev, ts.transfer_exc);
        ts.transfer_exc = nullptr;
      }
      ts.transfer_value.reset();
      if (prev != nullptr && prev->dead() && prev->core().on_dead != nullptr) {
        auto fn = prev->core().on_dead;
        prev->core().on_dead = nullptr;
        fn(prev->core().on_dead_arg);
      }
      if (stopping_) return;
    }
    if (ready_head_ != nullptr || inbox_.load(std::memory_order_relaxed) != nullptr) {
      if (reactor_->timer_count() != 0 || reactor_->fd_count() != 0) {
        reactor_->run_once(Deadline::after(std::chrono::seconds(0)));
      }
      continue;
    }
    if (would_block_forever()) {
      greenlet& main = *ts.main;
      detail::GreenParker& mp = main.core().parker;
      mp.interrupt = std::make_exception_ptr(LoopExit());
      mp.interrupt_delivered_to_park = false;
      if (!detail::claim(mp, detail::Wake::interrupted)) {
        ts.transfer_exc = std::make_exception_ptr(LoopExit());
        mp.interrupt = nullptr;
        detail::raw_switch(ts, me, main);
        ts.transfer_exc = nullptr;
        ts.transfer_value.reset();
      }
      continue;
    }
    reactor_->run_once(Deadline::never());
  }
}

// --- sleep ---------------------------------------------------------------------------------

void sleep() {
  detail::ThreadState& ts = detail::tstate();
  detail::yield_now(ts, detail::hub_for(ts));
}

void sleep(triad::Timeout seconds) {
  if (seconds.is_forever()) {
    // gevent.sleep(None) is an error in Python (TypeError); forever means "until killed".
  } else if (seconds.duration() <= Clock::duration::zero()) {
    sleep();
    return;
  }
  detail::ThreadState& ts = detail::tstate();
  Hub& h = detail::hub_for(ts);
  greenlet& self = *ts.current;
  if (&self == &h.hub_greenlet()) {
    throw RuntimeError("sleep() called from the hub: the hub cannot block");
  }
  detail::raise_pending_interrupt(ts);
  detail::GreenParker& p = self.core().parker;
  p.hub = &h;
  p.wake = detail::Wake::none;
  p.word.store(detail::kParked, std::memory_order_release);
  const detail::Wake why = detail::suspend(ts, h, p, Deadline::after(seconds));
  (void)why;
  detail::raise_pending_interrupt(*detail::tstate_if_exists());
}

bool in_green_context() noexcept {
  detail::ThreadState* ts = detail::tstate_if_exists();
  return ts != nullptr && ts->hub != nullptr && ts->current != &ts->hub->hub_greenlet();
}

}  // namespace triad::green
