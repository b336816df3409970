// IoWaiter: how a triad socket waits for an fd — the IO twin of the parking interface.
//
// Python: the wait a socket with a timeout does internally (CPython's sock_call polls the fd
// with poll(2)); gevent swaps it for "switch to the hub until the fd is ready". triad does the
// same with a per-OS-thread pointer:
//
//   OS thread    -> poll(2) on the fd (this file's default waiter; blocks the OS thread),
//   green thread -> triad::green's hub installs a waiter that arms an IoWait on its Reactor
//                   and switches to the hub, so the OS thread keeps serving other green threads.
//
// triad::net::socket keeps every fd O_NONBLOCK; a "blocking" recv is: try recv(); on EAGAIN
// current_io_waiter().wait(fd, Events::readable, deadline); retry. The same socket code is
// therefore blocking on an OS thread and cooperative in a green thread.
//
//   // a scheduler (sketch of what triad::green's hub does):
//   class HubIoWaiter final : public triad::net::IoWaiter { ... };
//   HubIoWaiter w(hub);
//   triad::net::IoWaiter* prev = triad::net::exchange_io_waiter(&w);   // on the hub's thread
//   ...                                                                // run green threads
//   triad::net::exchange_io_waiter(prev);
//
// Contract for implementations:
// - wait(fd, events, deadline) blocks the calling context (not necessarily its OS thread)
//   until fd is ready for some of `events` (an error or hang-up counts as ready: the retried
//   operation reports it), the deadline passes, or the fd is announced closed (closing()).
//   It returns `ready`, `timed_out` or `closed`. `ready` may be spurious: callers retry the
//   operation and wait again on EAGAIN. A deadline already expired returns at once (ready if
//   the fd is ready now, else timed_out). It never throws for a valid open fd except for
//   exceptions the scheduler injects (e.g. a green thread's kill or Timeout), which propagate
//   to the socket call unchanged. Several contexts may wait on one fd at once.
// - closing(fd) is called by socket::close()/detach() BEFORE the fd is closed, on the closing
//   context's current waiter (through notify_closing()). Every wait on fd that this waiter
//   manages returns `closed` (the socket then raises OSError EBADF "Bad file descriptor", like
//   gevent's "file descriptor was closed in another greenlet"). Never blocks, never throws.
// - Waits managed by another waiter (a green thread of another OS thread's hub) are that
//   waiter's business: notify_closing() also wakes OS threads blocked in the default poll(2)
//   waiter on fd, and calls the current waiter; a hub that shares sockets across OS threads
//   must forward. Closing an fd that something still waits on is a program bug in C as in
//   Python; triad turns it into a prompt error instead of a hang when it can.
// - Thread safety: the current waiter is per OS thread; wait() and closing() are called on
//   the thread that installed the waiter; the default waiter is usable from any thread.
// - Cancellation: a wait has no cancel token of its own; a scheduler cancels it by resuming
//   the context with an exception (green kill/Timeout) after disarming its IoWait.
#pragma once

#include <cstdint>

#include "triad/core/timeout.hpp"
#include "triad/net/events.hpp"

namespace triad::net {

enum class WaitResult : std::uint8_t { ready, timed_out, closed };

class IoWaiter {
 public:
  IoWaiter() = default;
  IoWaiter(const IoWaiter&) = delete;
  IoWaiter& operator=(const IoWaiter&) = delete;
  virtual ~IoWaiter() = default;

  // Waits for readiness of fd for some of `events` (readable and/or writable). See above.
  // Blocks? yes, until ready/deadline/closing. Yields a green thread? yes, in a hub's waiter.
  // Thread safety: see above. Throws: only what the scheduler injects. Timeout: `deadline`
  // (Deadline::never() = forever; expired = check once).
  virtual WaitResult wait(int fd, Events events, Deadline deadline) = 0;
  // fd is about to be closed: waits on it that this waiter manages return `closed`.
  virtual void closing(int fd) noexcept = 0;
};

// The calling OS thread's waiter (never null).
[[nodiscard]] IoWaiter& current_io_waiter() noexcept;
// Installs w as the calling OS thread's waiter (nullptr restores the poll(2) waiter); returns
// the previous one (never null). For schedulers, not for application code.
IoWaiter* exchange_io_waiter(IoWaiter* w) noexcept;
// The default waiter: poll(2) on the calling OS thread. Thread-safe; usable from any thread.
[[nodiscard]] IoWaiter& thread_io_waiter() noexcept;
// Announces that fd is about to be closed: wakes OS threads blocked on fd in the poll(2)
// waiter (they return `closed`) and calls current_io_waiter().closing(fd). Never throws.
void notify_closing(int fd) noexcept;

}  // namespace triad::net
