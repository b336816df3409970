// Monkey patching: plain blocking libc calls become cooperative inside green threads.
//
// Python: gevent.monkey.patch_all() (and gevent.resolver.thread.Resolver for name lookups).
//
//   // link the executable with triad::green_monkey (CMake) — see docs/green.md
//   #include <triad/green/monkey.hpp>
//   int main() {
//     triad::green::monkey::patch_all();
//     auto a = triad::green::spawn([] { ::sleep(2); });   // libc sleep(): yields to the hub
//     auto b = triad::green::spawn([] { ::sleep(3); });
//     triad::green::joinall({a, b});                      // ~3 s on one OS thread
//   }
//
// How: the library triad_green_monkey defines read, write, recv, send, poll, sleep, ... (the
// list below) with C linkage. Linked whole into the executable (CMake target
// triad::green_monkey does that with --whole-archive and exports the symbols dynamically),
// they take precedence over libc's for the program AND every shared library it loads (e.g.
// libcurl). Each wrapper calls the real libc function (dlsym(RTLD_NEXT)) straight through
// unless patch_all() was called AND the caller runs in a green context (a green thread, or
// the main greenlet of an OS thread that has a hub — as in gevent, where main's blocking
// calls run the hub). Outside that, calls are unchanged (one relaxed atomic load of cost).
//
// What is patched (cooperative in green contexts):
//   sleep, usleep, nanosleep, clock_nanosleep      -> triad::green::sleep (absolute clock_nanosleep
//                                                     deadlines are converted; CLOCK_* honoured)
//   read, readv, recv, recvfrom, recvmsg           -> on a socket: wait readable in the hub, retry
//   write, writev, send, sendto, sendmsg           -> on a socket: wait writable in the hub, retry
//   accept, accept4                                -> wait readable, retry
//   connect                                        -> non-blocking connect, wait writable, SO_ERROR
//   poll, ppoll, select                            -> readiness of every fd through the hub
//                                                     (ppoll's signal mask is not applied)
//   close                                          -> wakes green threads waiting on the fd first
//   fcntl (F_GETFL/F_SETFL)                        -> reports/records the user's own O_NONBLOCK
//   setsockopt                                     -> straight through; notes SO_RCVTIMEO/
//                                                     SO_SNDTIMEO so waits need no getsockopt
//   (plus the _FORTIFY_SOURCE variants __read_chk, __recv_chk, __recvfrom_chk, __poll_chk,
//    __ppoll_chk, and fcntl64)
// Blocking sockets used in a green context are switched to O_NONBLOCK internally the first
// time; triad remembers that the user wants blocking behaviour (fcntl reports it, F_SETFL
// changes it), and every patched call on such a socket — from any thread, green or not —
// behaves as blocking: it waits (a green thread in its hub, an OS thread in poll(2)). Socket
// timeouts set with SO_RCVTIMEO/SO_SNDTIMEO are honoured (EAGAIN after them); no other timeout
// is ever added.
//
// Not patched (they still block the OS thread): disk IO and every non-socket fd in read/write
// (regular files, pipes, ttys: gevent does not patch them either), epoll_wait, pselect,
// ioctl(FIONBIO) (use fcntl), dup'd copies of a socket already switched to O_NONBLOCK,
// calls made inside libc itself (getaddrinfo's DNS traffic, ...). For name resolution use
// resolve() below, which runs getaddrinfo on a small thread pool while the green thread waits
// (gevent's threaded resolver).
//
// Interrupts: a kill() or Timeout that hits a green thread blocked in a patched call raises
// the exception out of that libc call (through C frames compiled with unwind tables, as
// Debian's libraries are); C code in between does not get to clean up — as in gevent,
// killing code that is inside a C library is best avoided.
#pragma once

#include <netdb.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "triad/core/timeout.hpp"

namespace triad::green::monkey {

// Python: gevent.monkey.patch_all(). Turns the wrappers on for the whole process.
// Idempotent; thread-safe. Throws RuntimeError if triad_green_monkey is not linked into the
// executable (the wrappers would silently not exist): link triad::green_monkey.
void patch_all();
// Turns the wrappers off again (triad-only; gevent cannot unpatch). Sockets already switched to
// O_NONBLOCK keep their blocking emulation. Thread-safe.
void unpatch_all() noexcept;
// Python: gevent.monkey.is_anything_patched().
[[nodiscard]] bool is_patched() noexcept;
// Whether the wrappers are linked into this executable.
[[nodiscard]] bool is_linked() noexcept;

// One address of a resolve() result.
struct AddrInfo {
  int family = 0;
  int socktype = 0;
  int protocol = 0;
  std::string canonname;
  std::vector<unsigned char> addr;  // the sockaddr bytes
};

// Python: socket.getaddrinfo under gevent's threaded resolver. Runs ::getaddrinfo on a
// resolver thread pool (4 threads, started on first use) while the caller waits.
// Blocks? the caller (a green thread yields to its hub; an OS thread parks). Yields a green
// thread? yes. Thread safety: any thread. Throws: triad::net::gaierror with getaddrinfo's
// message on failure. Timeout: none (getaddrinfo's own resolver timeouts apply).
std::vector<AddrInfo> resolve(const std::string& host, const std::string& port, int family = 0,
                              int socktype = 0, int protocol = 0, int flags = 0);

}  // namespace triad::green::monkey

namespace triad::green::detail {
// The switch read by every wrapper.
extern std::atomic<bool> g_monkey_patched;
}  // namespace triad::green::detail
