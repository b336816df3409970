// Hub: the per-OS-thread scheduler of green threads, and gevent's sleep().
//
// Python: gevent.hub.Hub / gevent.get_hub(), gevent.sleep(seconds), gevent.idle().
//
// Every OS thread that uses green threads gets one Hub, created on first use (spawn(), sleep(),
// Hub::current()). The hub is itself a greenlet (parent: the thread's main greenlet) running a
// loop over:
//   - a ready queue (FIFO) of green threads to resume,
//   - a triad::net::Reactor: IO readiness of the fds green threads wait on, the timers of
//     sleeps, timeouts and spawn_later, and a cross-thread wake-up (eventfd),
//   - an inbox of green threads unparked by OTHER OS threads (lock-free; wakes the reactor).
//
//   using namespace triad::green;
//   auto a = spawn([] { sleep(triad::seconds(0.2)); return 1; });
//   auto b = spawn([] { sleep(triad::seconds(0.3)); return 2; });
//   joinall({a, b});                       // ~0.3 s, one OS thread
//
// While a green thread runs, the hub's ParkingContext is installed, so every triad primitive
// (Lock, Event, Semaphore, Condition, Queue, Future) parks the green thread — switches to the
// hub — instead of blocking the OS thread, and any OS thread may wake it. Sockets
// (triad::net::socket) wait through the hub's IoWaiter the same way. Once a hub exists, the
// thread's main greenlet also waits through the hub (as in gevent: main blocking on a gevent
// primitive runs the loop).
//
// Would block forever: when the hub has nothing to run — no ready green thread, no timer, no
// fd being waited on, and no other OS thread exists that could wake anything — the waiting
// main greenlet gets LoopExit("This operation would block forever"), as in gevent. (If other
// OS threads exist, the hub sleeps in the reactor instead: any of them may still unpark.)
//
// Interrupts (kill, Timeout, LoopExit) reach a green thread wherever it waits: in sleep, join,
// joinall, Pool, socket IO and patched libc calls, and in a triad primitive (Lock, Event,
// Semaphore, Condition, Queue, Future...): the hub ends that park early, the primitive
// resolves it like a timeout (the waiter leaves its wait list, so no wake-up is lost for the
// others) and then the wait raises the exception (ParkingContext::check_interrupt,
// core/parking.hpp); Condition::wait re-acquires its lock first, as Python's does. One
// exception: a wait whose wake-up is already decided in flight (an unpark racing the
// interrupt) completes normally, and the exception is raised at the next switch point (any
// triad::green call that switches, or the end of the Timeout scope).
//
// Which context runs what: green threads run in their own greenlet; timer and IO callbacks
// of the reactor run in the hub greenlet and only resume green threads; link() callbacks of
// Greenlets run in a new green thread of the same hub (may block, as gevent's link).
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>

#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/green/greenlet.hpp"

namespace triad::net {
class Reactor;
}

namespace triad::green {

// Python: gevent.exceptions.LoopExit. Raised in the main greenlet when waiting would block
// forever (nothing can ever wake it). Message: "This operation would block forever".
class LoopExit : public Error {
 public:
  LoopExit() : Error("This operation would block forever") {}
  using Error::Error;
};

class Hub {
 public:
  // Python: gevent.get_hub(). The calling OS thread's hub, created on first use.
  // Throws what creating a Reactor throws (OSError).
  static Hub& current();
  // The calling thread's hub, or nullptr if none was created (never creates one).
  static Hub* current_if_exists() noexcept;

  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;
  ~Hub();

  // The reactor the hub runs (hub thread only).
  [[nodiscard]] net::Reactor& reactor() noexcept { return *reactor_; }
  // The hub's own greenlet (parent of spawned green threads).
  [[nodiscard]] greenlet& hub_greenlet() noexcept { return *greenlet_; }
  // Number of green threads in the ready queue (hub thread only).
  [[nodiscard]] std::size_t ready_count() const noexcept { return ready_count_; }

  // --- scheduler internals (used by triad::green's own components) ---------------------
  // Appends a green thread to the ready queue. Hub thread only.
  void schedule(greenlet& g) noexcept;
  // Resumes a green thread from any OS thread (its park must already be claimed).
  void schedule_from_any_thread(detail::GreenParker& p) noexcept;
  // Interrupts green thread g (of this hub) with exception e: ends its current or next park
  // and raises e at its next switch point. Hub thread only.
  void interrupt(greenlet& g, std::exception_ptr e) noexcept;

 private:
  struct Private;
  friend struct Private;
  Hub();
  void loop();
  void drain_inbox() noexcept;
  bool would_block_forever() const;

  std::unique_ptr<net::Reactor> reactor_;
  std::unique_ptr<greenlet> greenlet_;
  detail::GreenParker* ready_head_ = nullptr;
  detail::GreenParker* ready_tail_ = nullptr;
  std::size_t ready_count_ = 0;
  std::atomic<detail::GreenParker*> inbox_{nullptr};
  // Wakers from other OS threads still inside schedule_from_any_thread: the hub (and its
  // reactor) must outlive them, since the woken green thread may finish its OS thread first.
  std::atomic<int> remote_wakers_{0};
  bool stopping_ = false;
  void* io_waiter_ = nullptr;           // the installed HubIoWaiter
  void* previous_io_waiter_ = nullptr;  // restored at destruction
};

// Python: gevent.get_hub().
inline Hub& get_hub() { return Hub::current(); }

// Python: gevent.sleep(seconds). Suspends the calling green thread (or the main greenlet,
// running the hub meanwhile) for at least `seconds`.
// Blocks? the calling green thread only. Yields a green thread? yes. Thread safety: any
// thread (each uses its own hub). Throws: the green thread's pending interrupt (GreenletExit
// from kill(), TimeoutExpired from a Timeout). Timeout behaviour: zero or negative = sleep(0).
void sleep(triad::Timeout seconds);
// Python: gevent.sleep(0) / gevent.idle(). Lets every other ready green thread run once, then
// continues. Same contract as sleep(seconds).
void sleep();

// True if the caller runs in a green thread spawned on a hub or in a main greenlet whose
// thread has a hub (i.e. blocking calls yield to a hub), false on a plain OS thread or in the
// hub's own greenlet.
[[nodiscard]] bool in_green_context() noexcept;

}  // namespace triad::green
