// Reactor: timers, fd bookkeeping, the cross-thread inbox; the kernel part is a ReactorBackend.
#include "triad/net/reactor.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "backends.hpp"
#include "triad/core/detail/spinlock.hpp"
#include "triad/net/errors.hpp"
#include "triad/net/reactor_backend.hpp"

namespace triad::net {

const char* to_string(Backend b) noexcept {
  switch (b) {
    case Backend::automatic: return "automatic";
    case Backend::epoll: return "epoll";
    case Backend::io_uring: return "io_uring";
  }
  return "?";
}

namespace {

constexpr std::uint64_t kWakeToken = ~std::uint64_t{0};
constexpr std::uint32_t kNoPos = ~std::uint32_t{0};
constexpr std::size_t kChunkBits = 10;
constexpr std::size_t kChunk = std::size_t{1} << kChunkBits;
constexpr std::size_t kBatch = 256;
constexpr Events kRW = Events::readable | Events::writable;

std::uint64_t make_token(int fd, std::uint32_t gen) noexcept {
  return (std::uint64_t{gen} << 32) | static_cast<std::uint32_t>(fd);
}

}  // namespace

struct Reactor::Impl {
  struct WatchRec {
    IoCallback cb;
    Events interest = Events::none;
  };
  enum class Mode : std::uint8_t { none, watch, waits };
  struct FdEntry {
    std::uint32_t gen = 0;
    Mode mode = Mode::none;
    Events pending = Events::none;  // waits mode: readiness seen while nobody waited on it
    bool hangup = false;            // waits mode: a hang-up/error was reported (stays readable)
    WatchRec* watch = nullptr;
    IoWait* head = nullptr;
    IoWait* tail = nullptr;
  };
  struct TimerSlot {
    Callback fn;
    Clock::time_point when{};
    std::uint64_t seq = 0;
    std::uint32_t gen = 1;
    std::uint32_t heap_pos = kNoPos;  // kNoPos: free
    std::uint32_t next_free = kNoPos;
  };
  struct HeapItem {
    Clock::time_point when;
    std::uint64_t seq;
    std::uint32_t slot;
  };

  std::unique_ptr<ReactorBackend> backend;
  int wake_fd = -1;

  // fd table in stable chunks (callbacks may register fds while one runs).
  std::vector<std::unique_ptr<FdEntry[]>> chunks;
  std::size_t fds_in_use = 0;
  WatchRec* dispatching = nullptr;  // the watch whose callback is running
  bool dispatching_dead = false;    // ... and it was cancelled meanwhile

  // Timers: a slab of slots and a binary min-heap of (when, seq, slot).
  std::vector<TimerSlot> slots;
  std::vector<HeapItem> heap;
  std::uint32_t free_slot = kNoPos;
  std::uint64_t timer_seq = 0;
  std::uint64_t wait_epoch = 0;

  // The current IO batch (kept here so a throwing callback does not lose the rest).
  ReadyEvent ready[kBatch];
  std::size_t ready_pos = 0;
  std::size_t ready_n = 0;

  // Cross-thread inbox.
  triad::detail::SpinLock inbox_lock;
  std::vector<Callback> inbox;           // guarded by inbox_lock
  std::atomic<bool> has_posts{false};
  std::vector<Callback> running_posts;  // reactor thread
  std::size_t running_pos = 0;
  // 0 running, 1 about to sleep / sleeping in the backend, 2 woken.
  std::atomic<std::uint32_t> wake_state{0};

  explicit Impl(std::unique_ptr<ReactorBackend> b) : backend(std::move(b)) {
    wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0) raise_os_error(errno);
    try {
      backend->set_interest(wake_fd, kWakeToken, Events::readable, false);
    } catch (...) {
      ::close(wake_fd);
      throw;
    }
  }
  ~Impl() {
    for (auto& c : chunks) {
      if (!c) continue;
      for (std::size_t i = 0; i < kChunk; ++i) delete c[i].watch;
    }
    backend->forget(wake_fd);
    ::close(wake_fd);
  }

  FdEntry* find(int fd) noexcept {
    const auto idx = static_cast<std::size_t>(fd);
    const std::size_t c = idx >> kChunkBits;
    if (c >= chunks.size() || !chunks[c]) return nullptr;
    return &chunks[c][idx & (kChunk - 1)];
  }
  FdEntry& entry(int fd) {
    const auto idx = static_cast<std::size_t>(fd);
    const std::size_t c = idx >> kChunkBits;
    if (c >= chunks.size()) chunks.resize(c + 1);
    if (!chunks[c]) chunks[c] = std::make_unique<FdEntry[]>(kChunk);
    return chunks[c][idx & (kChunk - 1)];
  }

  // ---- fd entries ----
  void drop_watch(FdEntry& e) noexcept {
    WatchRec* w = e.watch;
    e.watch = nullptr;
    if (!w) return;
    if (w == dispatching) dispatching_dead = true;  // freed after its callback returns
    else delete w;
  }
  void reset_entry(int fd, FdEntry& e) noexcept {
    backend->forget(fd);
    drop_watch(e);
    e.mode = Mode::none;
    e.pending = Events::none;
    e.hangup = false;
    ++e.gen;
    --fds_in_use;
  }

  static void unlink(FdEntry& e, IoWait& w) noexcept {
    if (w.prev_) w.prev_->next_ = w.next_; else e.head = w.next_;
    if (w.next_) w.next_->prev_ = w.prev_; else e.tail = w.prev_;
    w.prev_ = w.next_ = nullptr;
    w.armed_ = false;
  }

  // Completes every wait on e that `ev` satisfies (an error satisfies all), and clears the
  // pending bits the completed waits consume.
  std::size_t complete_waits(FdEntry& e, Events ev) {
    // Waits armed from here on (e.g. by a complete() that retried and hit EAGAIN) are not
    // satisfied by this report: they have epoch_ == epoch and are skipped.
    const std::uint64_t epoch = ++wait_epoch;
    const bool all = has(ev, Events::error);
    std::size_t n = 0;
    for (;;) {
      IoWait* w = e.head;
      while (w && (w->epoch_ >= epoch || (!all && !has(w->events, ev)))) w = w->next_;
      if (!w) break;
      unlink(e, *w);
      e.pending &= ~(w->events | Events::error);  // consumed before complete() may re-arm
      if (e.hangup) e.pending |= Events::readable;  // EOF/error: readable for good
      w->result = ev & (w->events | Events::error);
      ++n;
      w->complete(*w);  // may arm/disarm other waits: rescan from the head
    }
    return n;
  }

  void dispatch_io(const ReadyEvent& r, std::size_t& count) {
    if (r.token == kWakeToken) {
      std::uint64_t v;
      while (::read(wake_fd, &v, sizeof v) < 0 && errno == EINTR) {
      }
      return;
    }
    const int fd = static_cast<int>(static_cast<std::uint32_t>(r.token));
    const auto gen = static_cast<std::uint32_t>(r.token >> 32);
    FdEntry* e = find(fd);
    if (!e || e->gen != gen) return;  // stale report
    if (e->mode == Mode::watch) {
      WatchRec* w = e->watch;
      const Events ev = r.events & (w->interest | Events::error);
      if (ev == Events::none) return;
      dispatching = w;
      dispatching_dead = false;
      struct Guard {
        Impl* self;
        ~Guard() {
          if (self->dispatching_dead) delete self->dispatching;
          self->dispatching = nullptr;
          self->dispatching_dead = false;
        }
      } guard{this};
      ++count;
      w->cb(ev);
    } else if (e->mode == Mode::waits) {
      if (has(r.events, detail::kHangup)) e->hangup = true;
      e->pending |= r.events & (kRW | Events::error);
      if (e->head) count += complete_waits(*e, e->pending);
    }
  }

  // ---- timers ----
  static bool less(const HeapItem& a, const HeapItem& b) noexcept {
    return a.when < b.when || (a.when == b.when && a.seq < b.seq);
  }
  void heap_set(std::size_t i, const HeapItem& it) noexcept {
    heap[i] = it;
    slots[it.slot].heap_pos = static_cast<std::uint32_t>(i);
  }
  void sift_up(std::size_t i) noexcept {
    const HeapItem it = heap[i];
    while (i > 0) {
      const std::size_t p = (i - 1) / 2;
      if (!less(it, heap[p])) break;
      heap_set(i, heap[p]);
      i = p;
    }
    heap_set(i, it);
  }
  void sift_down(std::size_t i) noexcept {
    const HeapItem it = heap[i];
    const std::size_t n = heap.size();
    for (;;) {
      std::size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && less(heap[c + 1], heap[c])) ++c;
      if (!less(heap[c], it)) break;
      heap_set(i, heap[c]);
      i = c;
    }
    heap_set(i, it);
  }
  void heap_remove(std::size_t i) noexcept {
    const std::size_t last = heap.size() - 1;
    if (i != last) {
      heap_set(i, heap[last]);
      heap.pop_back();
      if (i > 0 && less(heap[i], heap[(i - 1) / 2])) sift_up(i); else sift_down(i);
    } else {
      heap.pop_back();
    }
  }
  void free_timer_slot(std::uint32_t s) noexcept {
    TimerSlot& t = slots[s];
    t.heap_pos = kNoPos;
    ++t.gen;
    t.next_free = free_slot;
    free_slot = s;
  }
  bool cancel_timer(std::uint32_t s, std::uint32_t gen) noexcept {
    if (s >= slots.size()) return false;
    TimerSlot& t = slots[s];
    if (t.gen != gen || t.heap_pos == kNoPos) return false;
    heap_remove(t.heap_pos);
    Callback dead = std::move(t.fn);
    free_timer_slot(s);
    return true;  // `dead` is destroyed here, after the slot is consistent
  }

  std::size_t run_timers(Clock::time_point now) {
    std::size_t n = 0;
    const std::uint64_t cutoff = timer_seq;  // timers added by timers wait for the next round
    while (!heap.empty() && heap[0].when <= now && heap[0].seq < cutoff) {
      const std::uint32_t s = heap[0].slot;
      heap_remove(0);
      Callback fn = std::move(slots[s].fn);
      free_timer_slot(s);
      ++n;
      fn();
    }
    return n;
  }

  // ---- inbox ----
  std::size_t run_posts() {
    std::size_t n = 0;
    if (running_pos == running_posts.size() && has_posts.load(std::memory_order_acquire)) {
      running_posts.clear();
      running_pos = 0;
      inbox_lock.lock();
      running_posts.swap(inbox);
      has_posts.store(false, std::memory_order_relaxed);
      inbox_lock.unlock();
    }
    while (running_pos < running_posts.size()) {
      Callback fn = std::move(running_posts[running_pos++]);
      ++n;
      fn();
    }
    return n;
  }
};

// ---------------------------------------------------------------------------------------

namespace {

Backend parse_env() {
  const char* v = std::getenv("TRIAD_REACTOR");
  if (!v || !*v) return Backend::epoll;
  if (std::strcmp(v, "epoll") == 0) return Backend::epoll;
  if (std::strcmp(v, "io_uring") == 0 || std::strcmp(v, "uring") == 0) return Backend::io_uring;
  throw ValueError(std::string("TRIAD_REACTOR must be \"epoll\" or \"io_uring\", not \"") + v +
                   "\"");
}

std::unique_ptr<ReactorBackend> make_backend(Backend b) {
  if (b == Backend::automatic) b = parse_env();
  if (b == Backend::io_uring) return detail::make_uring_backend();
  return detail::make_epoll_backend();
}

}  // namespace

Backend Reactor::default_backend() { return parse_env(); }

bool Reactor::available(Backend b) noexcept {
  if (b == Backend::automatic) {
    try {
      b = parse_env();
    } catch (...) {
      return false;
    }
  }
  if (b == Backend::io_uring) return detail::uring_available();
  return true;
}

Reactor::Reactor(Backend backend) : Reactor(make_backend(backend)) {}

Reactor::Reactor(std::unique_ptr<ReactorBackend> backend) {
  if (!backend) throw ValueError("Reactor: the backend must not be null");
  impl_ = std::make_unique<Impl>(std::move(backend));
}

Reactor::~Reactor() = default;

Backend Reactor::backend() const noexcept { return impl_->backend->kind(); }

std::size_t Reactor::timer_count() const noexcept { return impl_->heap.size(); }
std::size_t Reactor::fd_count() const noexcept { return impl_->fds_in_use; }

// ---- watches ----

Watch Reactor::watch(int fd, Events interest, IoCallback fn) {
  if (fd < 0) throw ValueError("Reactor::watch: invalid file descriptor " + std::to_string(fd));
  if (!fn) throw ValueError("Reactor::watch: the callback is empty");
  Impl::FdEntry& e = impl_->entry(fd);
  if (e.mode != Impl::Mode::none)
    throw RuntimeError("Reactor::watch: fd " + std::to_string(fd) +
                       " is already registered with this reactor (cancel its Watch or IoWaits, "
                       "or call close_fd() first)");
  auto* rec = new Impl::WatchRec{std::move(fn), interest & kRW};
  const std::uint32_t gen = e.gen + 1;
  try {
    impl_->backend->set_interest(fd, make_token(fd, gen), rec->interest, false);
  } catch (...) {
    delete rec;
    throw;
  }
  e.gen = gen;
  e.mode = Impl::Mode::watch;
  e.watch = rec;
  ++impl_->fds_in_use;
  return Watch(this, fd, gen);
}

Watch::Watch(Watch&& o) noexcept : reactor_(o.reactor_), fd_(o.fd_), gen_(o.gen_) {
  o.reactor_ = nullptr;
  o.fd_ = -1;
}

Watch& Watch::operator=(Watch&& o) noexcept {
  if (this != &o) {
    cancel();
    reactor_ = std::exchange(o.reactor_, nullptr);
    fd_ = std::exchange(o.fd_, -1);
    gen_ = o.gen_;
  }
  return *this;
}

void Watch::cancel() noexcept {
  if (!reactor_) return;
  Reactor::Impl& im = *reactor_->impl_;
  Reactor::Impl::FdEntry* e = im.find(fd_);
  if (e && e->gen == gen_ && e->mode == Reactor::Impl::Mode::watch) im.reset_entry(fd_, *e);
  reactor_ = nullptr;
  fd_ = -1;
}

Events Watch::interest() const noexcept {
  if (!reactor_) return Events::none;
  Reactor::Impl::FdEntry* e = reactor_->impl_->find(fd_);
  if (!e || e->gen != gen_ || !e->watch) return Events::none;
  return e->watch->interest;
}

void Watch::modify(Events interest) {
  if (!reactor_) throw RuntimeError("Watch::modify: the watch is not active");
  Reactor::Impl& im = *reactor_->impl_;
  Reactor::Impl::FdEntry* e = im.find(fd_);
  if (!e || e->gen != gen_ || !e->watch)
    throw RuntimeError("Watch::modify: fd " + std::to_string(fd_) +
                       " was closed through Reactor::close_fd()");
  interest &= kRW;
  if (e->watch->interest == interest) return;
  im.backend->set_interest(fd_, make_token(fd_, gen_), interest, false);
  e->watch->interest = interest;
}

// ---- one-shot waits ----

bool Reactor::arm(IoWait& w) {
  if (w.fd < 0) throw ValueError("Reactor::arm: invalid file descriptor " + std::to_string(w.fd));
  if ((w.events & kRW) == Events::none)
    throw ValueError("Reactor::arm: wait for readable and/or writable, not for nothing");
  if (!w.complete) throw ValueError("Reactor::arm: IoWait::complete is null");
  if (w.armed_) throw RuntimeError("Reactor::arm: this IoWait is already armed");
  Impl::FdEntry& e = impl_->entry(w.fd);
  if (e.mode == Impl::Mode::watch)
    throw RuntimeError("Reactor::arm: fd " + std::to_string(w.fd) +
                       " has a Watch on this reactor; use one or the other");
  if (e.mode == Impl::Mode::none) {
    const std::uint32_t gen = e.gen + 1;
    impl_->backend->set_interest(w.fd, make_token(w.fd, gen), kRW, true);
    e.gen = gen;
    e.mode = Impl::Mode::waits;
    e.pending = Events::none;
    e.hangup = false;
    ++impl_->fds_in_use;
  } else if (has(e.pending, w.events | Events::error)) {
    w.result = e.pending & (w.events | Events::error);
    e.pending &= ~(w.events | Events::error);
    if (e.hangup) e.pending |= Events::readable;
    return false;
  }
  w.prev_ = e.tail;
  w.next_ = nullptr;
  if (e.tail) e.tail->next_ = &w; else e.head = &w;
  e.tail = &w;
  w.armed_ = true;
  w.epoch_ = impl_->wait_epoch;
  w.result = Events::none;
  return true;
}

bool Reactor::disarm(IoWait& w) noexcept {
  if (!w.armed_) return false;
  Impl::FdEntry* e = impl_->find(w.fd);
  if (!e) return false;
  Impl::unlink(*e, w);
  return true;
}

void Reactor::close_fd(int fd) noexcept {
  if (fd < 0) return;
  Impl::FdEntry* e = impl_->find(fd);
  if (!e || e->mode == Impl::Mode::none) return;
  impl_->reset_entry(fd, *e);
  // complete() is noexcept; it may arm waits on other fds (not on this one: it is closing).
  while (IoWait* w = e->head) {
    Impl::unlink(*e, *w);
    w->result = Events::closed;
    w->complete(*w);
  }
}

// ---- timers ----

TimerHandle Reactor::call_at(Deadline when, Callback fn) {
  if (!fn) throw ValueError("Reactor::call_at: the callback is empty");
  Impl& im = *impl_;
  std::uint32_t s;
  if (im.free_slot != kNoPos) {
    s = im.free_slot;
    im.free_slot = im.slots[s].next_free;
  } else {
    s = static_cast<std::uint32_t>(im.slots.size());
    im.slots.emplace_back();
  }
  Impl::TimerSlot& t = im.slots[s];
  t.fn = std::move(fn);
  t.when = when.is_never() ? Clock::time_point::max() : when.time_point();
  t.seq = im.timer_seq++;
  im.heap.push_back(Impl::HeapItem{t.when, t.seq, s});
  im.sift_up(im.heap.size() - 1);
  return TimerHandle(this, s, t.gen);
}

TimerHandle Reactor::call_later(Timeout delay, Callback fn) {
  return call_at(Deadline::after(delay), std::move(fn));
}

bool TimerHandle::cancel() noexcept {
  if (!reactor_) return false;
  const bool r = reactor_->impl_->cancel_timer(slot_, gen_);
  reactor_ = nullptr;
  return r;
}

bool TimerHandle::pending() const noexcept {
  if (!reactor_) return false;
  const auto& slots = reactor_->impl_->slots;
  return slot_ < slots.size() && slots[slot_].gen == gen_ && slots[slot_].heap_pos != kNoPos;
}

// ---- the loop ----

std::size_t Reactor::run_once(Deadline deadline) {
  Impl& im = *impl_;
  std::size_t count = im.run_posts();
  while (im.ready_pos < im.ready_n) im.dispatch_io(im.ready[im.ready_pos++], count);

  Clock::duration timeout = Clock::duration::zero();
  const bool busy = count > 0 || im.has_posts.load(std::memory_order_relaxed);
  if (!busy) {
    Clock::time_point until = deadline.is_never() ? Clock::time_point::max()
                                                  : deadline.time_point();
    if (!im.heap.empty() && im.heap[0].when < until) until = im.heap[0].when;
    if (until == Clock::time_point::max()) {
      timeout = Clock::duration::max();
    } else {
      const auto now = Clock::now();
      timeout = until > now ? until - now : Clock::duration::zero();
    }
  }
  if (timeout > Clock::duration::zero()) {
    std::uint32_t expected = 0;
    if (!im.wake_state.compare_exchange_strong(expected, 1, std::memory_order_seq_cst))
      timeout = Clock::duration::zero();  // already woken
  }
  im.ready_n = im.backend->wait(timeout, im.ready, kBatch);
  im.ready_pos = 0;
  im.wake_state.store(0, std::memory_order_seq_cst);

  while (im.ready_pos < im.ready_n) im.dispatch_io(im.ready[im.ready_pos++], count);
  if (!im.heap.empty() && im.heap[0].when <= Clock::now()) count += im.run_timers(Clock::now());
  count += im.run_posts();
  return count;
}

void Reactor::wake() noexcept {
  Impl& im = *impl_;
  if (im.wake_state.load(std::memory_order_relaxed) == 2) return;
  if (im.wake_state.exchange(2, std::memory_order_seq_cst) == 1) {
    const std::uint64_t one = 1;
    while (::write(im.wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
}

void Reactor::post(Callback fn) {
  Impl& im = *impl_;
  im.inbox_lock.lock();
  try {
    im.inbox.push_back(std::move(fn));
  } catch (...) {
    im.inbox_lock.unlock();
    throw;
  }
  im.has_posts.store(true, std::memory_order_release);
  im.inbox_lock.unlock();
  wake();
}

}  // namespace triad::net
