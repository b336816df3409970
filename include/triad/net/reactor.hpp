// Reactor: the per-thread IO event loop core that green hubs and asyncio loops run on.
//
// Python: the engine under asyncio's event loop and gevent's hub — selectors' readiness
// (add_reader/add_writer), loop.call_at/call_later timers, loop.call_soon_threadsafe — as one
// small object. It is not an asyncio loop itself; triad::green and triad::aio build on it.
//
//   triad::net::Reactor r;                                  // epoll (or $TRIAD_REACTOR)
//   auto w = r.watch(fd, Events::readable, [&](Events ev) { on_readable(ev); });
//   auto t = r.call_later(triad::seconds(0.5), [&] { timed_out = true; });
//   std::thread([&] { r.post([&] { done = true; }); }).detach();   // from any thread
//   while (!done) r.run_once();                             // waits and dispatches
//
// What it holds: readiness interests on fds (persistent callback `Watch`es, or one-shot
// `IoWait` tokens for schedulers), a heap of one-shot timers, and an inbox of callbacks posted
// from other threads, woken through an eventfd.
//
// Threads: a Reactor belongs to the thread that calls run_once() on it. Every member is for
// that thread only, EXCEPT wake() and post(), which any thread may call at any time while the
// Reactor is alive. Every callback (watch, timer, IoWait::complete, posted) runs on the
// reactor thread, inside run_once(), never inside the call that registered it.
//
// Backends: `Backend::epoll` (the default) and `Backend::io_uring` (liburing; readiness by
// IORING_OP_POLL_ADD), chosen per Reactor; `Backend::automatic` reads the environment variable
// TRIAD_REACTOR ("epoll" or "io_uring"; unset or empty = epoll). Every backend gives the
// same semantics; a custom one implements triad::net::ReactorBackend (reactor_backend.hpp).
//
// Lifetime: destroy Watches before their Reactor (a Watch outliving it is undefined). Timers
// and posted callbacks still pending at destruction are destroyed without running.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "triad/core/timeout.hpp"
#include "triad/net/detail/inline_function.hpp"
#include "triad/net/events.hpp"

namespace triad::net {

class Reactor;
class ReactorBackend;

enum class Backend : std::uint8_t {
  automatic,  // $TRIAD_REACTOR if set ("epoll" | "io_uring"), else epoll
  epoll,
  io_uring,
};
// "automatic", "epoll", "io_uring".
[[nodiscard]] const char* to_string(Backend b) noexcept;

// A callable run on the reactor thread. Captures of up to four pointers are stored inline
// (no allocation); move-only callables are fine.
using Callback = detail::InlineFunction<void()>;
// A readiness callback: receives the ready events (readable/writable/error).
using IoCallback = detail::InlineFunction<void(Events)>;

// A pending one-shot timer (Python: asyncio.TimerHandle). A small copyable handle; cancel()
// after the timer ran (or after another cancel) is a no-op returning false. Reactor thread
// only; the Reactor must be alive.
class TimerHandle {
 public:
  TimerHandle() noexcept = default;
  // Cancels the timer if it has not run yet: its callback is destroyed without running.
  // Returns true if this call cancelled it.
  bool cancel() noexcept;
  // True while the timer is scheduled and has not started running.
  [[nodiscard]] bool pending() const noexcept;

 private:
  friend class Reactor;
  TimerHandle(Reactor* r, std::uint32_t slot, std::uint32_t gen) noexcept
      : reactor_(r), slot_(slot), gen_(gen) {}
  Reactor* reactor_ = nullptr;
  std::uint32_t slot_ = 0;
  std::uint32_t gen_ = 0;
};

// A persistent registration of a callback for readiness of one fd (Python:
// selector.register / loop.add_reader+add_writer). Level-triggered: while the fd is ready for
// some of the interest, each run_once() calls the callback once. Move-only RAII: destruction
// unregisters (so does cancel()). Reactor thread only.
class Watch {
 public:
  Watch() noexcept = default;
  Watch(Watch&& o) noexcept;
  Watch& operator=(Watch&& o) noexcept;
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  ~Watch() { cancel(); }

  // Changes the interest (Events::none pauses the watch without unregistering it).
  // Throws OSError if the kernel refuses.
  void modify(Events interest);
  // Unregisters; the callback is destroyed (after it returns, if it is running). Idempotent.
  void cancel() noexcept;
  [[nodiscard]] bool active() const noexcept { return reactor_ != nullptr; }
  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] Events interest() const noexcept;

 private:
  friend class Reactor;
  Watch(Reactor* r, int fd, std::uint32_t gen) noexcept : reactor_(r), fd_(fd), gen_(gen) {}
  Reactor* reactor_ = nullptr;
  int fd_ = -1;
  std::uint32_t gen_ = 0;
};

// A one-shot readiness wait, for schedulers (a green hub parks a green thread on one; an
// asyncio loop resumes a coroutine from one). Intrusive: it lives in the waiter's memory (a
// green thread's stack) from arm() until it completes or is disarmed, and allocates nothing.
// Many IoWaits may wait on the same fd (e.g. a reader and a writer). An fd used with IoWaits
// cannot also have a Watch (and vice versa) on the same Reactor.
//
// Readiness is edge-based internally (the epoll backend registers the fd once, EPOLLET, and
// remembers readiness that arrived while nobody waited), so a wait costs no system call in
// the common case; wake-ups may be spurious: after completion, retry the operation and wait
// again on EAGAIN.
struct IoWait {
  using Complete = void (*)(IoWait&) noexcept;

  IoWait() noexcept = default;
  IoWait(const IoWait&) = delete;
  IoWait& operator=(const IoWait&) = delete;

  // Set by the user before arm():
  int fd = -1;
  Events events = Events::none;  // readable and/or writable
  Complete complete = nullptr;   // runs once, on the reactor thread, inside run_once()/close_fd()
  void* user = nullptr;          // free for the user (e.g. the green thread to resume)
  // Set by the reactor before complete() runs (or when arm() returns false): the ready events,
  // possibly with Events::error, or Events::closed if close_fd(fd) ended the wait.
  Events result = Events::none;

  // Owned by the reactor while armed.
  IoWait* prev_ = nullptr;
  IoWait* next_ = nullptr;
  std::uint64_t epoch_ = 0;  // waits armed while an event is dispatched wait for the next one
  bool armed_ = false;
};

class Reactor {
 public:
  // Creates a reactor with the given backend. Throws OSError if the kernel refuses (e.g.
  // io_uring disabled: "[Errno 38] io_uring is not available: ...; use Backend::epoll"), and
  // ValueError for a bad $TRIAD_REACTOR.
  explicit Reactor(Backend backend = Backend::automatic);
  // Creates a reactor on a custom backend (see reactor_backend.hpp).
  explicit Reactor(std::unique_ptr<ReactorBackend> backend);
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;
  ~Reactor();

  // The backend in use (never automatic).
  [[nodiscard]] Backend backend() const noexcept;
  // Whether a backend can be created here (io_uring may be disabled by the kernel or a seccomp
  // sandbox). available(automatic) is available(the backend $TRIAD_REACTOR selects).
  [[nodiscard]] static bool available(Backend b) noexcept;
  // What Backend::automatic resolves to. Throws ValueError for a bad $TRIAD_REACTOR.
  [[nodiscard]] static Backend default_backend();

  // --- fd readiness --------------------------------------------------------------------
  // Registers fn for readiness of fd (see Watch). fd must not be registered with this reactor
  // already. Throws ValueError for fd < 0, RuntimeError if fd is already registered here,
  // OSError if the kernel refuses (EPERM: regular files cannot be watched).
  [[nodiscard]] Watch watch(int fd, Events interest, IoCallback fn);

  // Arms a one-shot wait (see IoWait). Returns true if armed: w.complete will run exactly once
  // later, unless disarm(w) returns true first. Returns false, without arming and without
  // calling w.complete, if readiness for w.events was already observed since the last wait
  // (w.result tells which): retry the operation right away. Throws ValueError for a bad fd or
  // events, RuntimeError if fd has a Watch here, OSError if the kernel refuses (EPERM for
  // regular files: those are always ready, so just do the IO).
  bool arm(IoWait& w);
  // Cancels an armed wait (a timeout, a kill). Returns true if it was armed (complete will not
  // run), false if it had already completed or was never armed. Never throws.
  bool disarm(IoWait& w) noexcept;
  // Call BEFORE closing fd (socket::close does, through the IoWaiter). Every IoWait armed on fd
  // completes at once, on this thread, with result Events::closed; the reactor drops the fd
  // from the kernel interest set, and a Watch on fd becomes inactive (its callback never runs
  // again). No effect for an fd the reactor does not know. Never throws.
  void close_fd(int fd) noexcept;

  // --- timers --------------------------------------------------------------------------
  // Runs fn once on the reactor thread at the first run_once() after `when` (Python:
  // loop.call_at). Timers with equal deadlines run in the order they were scheduled. A
  // deadline in the past runs at the next run_once(); Deadline::never() never runs (until
  // cancelled or the reactor is destroyed). No allocation in steady state.
  TimerHandle call_at(Deadline when, Callback fn);
  // call_at(Deadline::after(delay), fn) (Python: loop.call_later).
  TimerHandle call_later(Timeout delay, Callback fn);

  // --- the loop ------------------------------------------------------------------------
  // One iteration: runs posted callbacks, waits for IO readiness until the earliest of
  // `deadline`, the next timer, or a wake(), then dispatches ready IO and due timers.
  // Blocks? yes, up to `deadline` (Deadline::after(0s) polls without blocking); returns early
  // when anything was dispatched or on wake(). Yields a green thread? no: this is what a hub
  // runs. Reactor thread only. Throws what a callback throws (the rest of the batch runs at
  // the next run_once()) and OSError if the kernel wait fails (EINTR is retried).
  // Returns the number of callbacks run.
  std::size_t run_once(Deadline deadline = Deadline::never());

  // --- cross-thread --------------------------------------------------------------------
  // Makes a concurrent or the next run_once() return promptly. Any thread; lock-free; never
  // throws; costs an eventfd write only when the reactor is asleep (or about to be).
  void wake() noexcept;
  // Queues fn to run on the reactor thread at the next run_once(), in posting order, and
  // wakes it (Python: loop.call_soon_threadsafe). Any thread. Throws std::bad_alloc only.
  void post(Callback fn);

  // --- introspection (reactor thread) --------------------------------------------------
  [[nodiscard]] std::size_t timer_count() const noexcept;  // scheduled, not cancelled
  [[nodiscard]] std::size_t fd_count() const noexcept;     // fds with a Watch or armed IoWait

 private:
  friend class TimerHandle;
  friend class Watch;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace triad::net
