// The libc wrappers of triad::green::monkey (library triad_green_monkey; see monkey.hpp).
// Every function here has C linkage and libc's exact signature; linked into the executable it
// interposes libc's definition for the whole process.
#include <dlfcn.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "hub_internal.hpp"
#include "triad/green/hub.hpp"
#include "triad/green/monkey.hpp"
#include "triad/net/io_waiter.hpp"

extern "C" int triad_green_monkey_linked() { return 1; }

namespace {

namespace tg = triad::green;
namespace td = triad::green::detail;
using triad::net::Events;

// --- the real functions ------------------------------------------------------------------

template <class F>
F next_symbol(const char* name) noexcept {
  void* p = ::dlsym(RTLD_NEXT, name);
  if (p == nullptr) {
    static const char msg[] = "triad::green::monkey: dlsym(RTLD_NEXT) failed for a libc symbol\n";
    (void)!::syscall(SYS_write, 2, msg, sizeof msg - 1);
    std::abort();
  }
  return reinterpret_cast<F>(p);
}

#define TRIAD_REAL(name, type)                                             \
  type real_##name() noexcept {                                            \
    static std::atomic<type> fn{nullptr};                                  \
    type f = fn.load(std::memory_order_relaxed);                           \
    if (f == nullptr) {                                                    \
      f = next_symbol<type>(#name);                                        \
      fn.store(f, std::memory_order_relaxed);                              \
    }                                                                      \
    return f;                                                              \
  }

using read_t = ssize_t (*)(int, void*, size_t);
using write_t = ssize_t (*)(int, const void*, size_t);
using readv_t = ssize_t (*)(int, const struct iovec*, int);
using recv_t = ssize_t (*)(int, void*, size_t, int);
using recvfrom_t = ssize_t (*)(int, void*, size_t, int, struct sockaddr*, socklen_t*);
using recvmsg_t = ssize_t (*)(int, struct msghdr*, int);
using send_t = ssize_t (*)(int, const void*, size_t, int);
using sendto_t = ssize_t (*)(int, const void*, size_t, int, const struct sockaddr*, socklen_t);
using sendmsg_t = ssize_t (*)(int, const struct msghdr*, int);
using accept_t = int (*)(int, struct sockaddr*, socklen_t*);
using accept4_t = int (*)(int, struct sockaddr*, socklen_t*, int);
using connect_t = int (*)(int, const struct sockaddr*, socklen_t);
using poll_t = int (*)(struct pollfd*, nfds_t, int);
using ppoll_t = int (*)(struct pollfd*, nfds_t, const struct timespec*, const sigset_t*);
using select_t = int (*)(int, fd_set*, fd_set*, fd_set*, struct timeval*);
using close_t = int (*)(int);
using setsockopt_t = int (*)(int, int, int, const void*, socklen_t);
using fcntl_t = int (*)(int, int, ...);
using sleep_t = unsigned (*)(unsigned);
using usleep_t = int (*)(useconds_t);
using nanosleep_t = int (*)(const struct timespec*, struct timespec*);
using clock_nanosleep_t = int (*)(clockid_t, int, const struct timespec*, struct timespec*);

TRIAD_REAL(read, read_t)
TRIAD_REAL(write, write_t)
TRIAD_REAL(readv, readv_t)
TRIAD_REAL(writev, readv_t)
TRIAD_REAL(recv, recv_t)
TRIAD_REAL(recvfrom, recvfrom_t)
TRIAD_REAL(recvmsg, recvmsg_t)
TRIAD_REAL(send, send_t)
TRIAD_REAL(sendto, sendto_t)
TRIAD_REAL(sendmsg, sendmsg_t)
TRIAD_REAL(accept, accept_t)
TRIAD_REAL(accept4, accept4_t)
TRIAD_REAL(connect, connect_t)
TRIAD_REAL(poll, poll_t)
TRIAD_REAL(ppoll, ppoll_t)
TRIAD_REAL(select, select_t)
TRIAD_REAL(close, close_t)
TRIAD_REAL(setsockopt, setsockopt_t)
TRIAD_REAL(fcntl, fcntl_t)
TRIAD_REAL(sleep, sleep_t)
TRIAD_REAL(usleep, usleep_t)
TRIAD_REAL(nanosleep, nanosleep_t)
TRIAD_REAL(clock_nanosleep, clock_nanosleep_t)

// --- when to cooperate -------------------------------------------------------------------

inline bool patched() noexcept { return td::g_monkey_patched.load(std::memory_order_relaxed); }

// A green context: a hub exists on this thread and the caller is not the hub itself.
inline td::ThreadState* green_ts() noexcept {
  td::ThreadState* ts = td::tstate_if_exists();
  if (ts == nullptr || ts->hub == nullptr || ts->current == &ts->hub->hub_greenlet()) return nullptr;
  return ts;
}

// --- per-fd modes --------------------------------------------------------------------------
// 0 unknown, 1 not a socket (never touched), 2 socket the user keeps blocking (we set
// O_NONBLOCK and emulate blocking), 3 socket the user made non-blocking.
constexpr std::uint8_t kUnknown = 0, kOther = 1, kEmulated = 2, kUserNonBlocking = 3;
constexpr int kMaxFd = 1 << 16;
std::atomic<std::uint8_t> g_fd_mode[kMaxFd];
// Facts about an emulated socket, learnt when it is classified and kept current by the
// setsockopt wrapper, so a wait costs no getsockopt: kRcvTimeo/kSndTimeo = SO_RCVTIMEO/
// SO_SNDTIMEO may be set (read it then), kStream = SOCK_STREAM.
constexpr std::uint8_t kRcvTimeo = 1, kSndTimeo = 2, kStream = 4;
std::atomic<std::uint8_t> g_fd_info[kMaxFd];
// The last read/recv on this stream socket emptied its receive queue (a short read): the
// next one in a green thread waits in the hub first (see read_loop).
std::atomic<bool> g_fd_drained[kMaxFd];

bool has_timeo(int fd, int opt) noexcept {
  struct timeval tv{};
  socklen_t len = sizeof tv;
  return ::getsockopt(fd, SOL_SOCKET, opt, &tv, &len) == 0 && (tv.tv_sec != 0 || tv.tv_usec != 0);
}

std::uint8_t mode_of(int fd) noexcept {
  return fd >= 0 && fd < kMaxFd ? g_fd_mode[fd].load(std::memory_order_acquire) : kOther;
}

// Classifies fd for cooperative use; switches a blocking socket to O_NONBLOCK.
std::uint8_t classify(int fd) noexcept {
  std::uint8_t m = mode_of(fd);
  if (m != kUnknown) return m;
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    m = kOther;
  } else {
    const int fl = real_fcntl()(fd, F_GETFL);
    if (fl < 0) {
      m = kOther;
    } else if ((fl & O_NONBLOCK) != 0) {
      m = kUserNonBlocking;
    } else if (real_fcntl()(fd, F_SETFL, fl | O_NONBLOCK) == 0) {
      m = kEmulated;
      int type = 0;
      socklen_t tlen = sizeof type;
      std::uint8_t info = 0;
      if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_STREAM) info |= kStream;
      if (has_timeo(fd, SO_RCVTIMEO)) info |= kRcvTimeo;
      if (has_timeo(fd, SO_SNDTIMEO)) info |= kSndTimeo;
      g_fd_info[fd].store(info, std::memory_order_relaxed);
      g_fd_drained[fd].store(false, std::memory_order_relaxed);
    } else {
      m = kOther;
    }
  }
  g_fd_mode[fd].store(m, std::memory_order_release);
  return m;
}

// Should this call on fd wait cooperatively (or emulate blocking)? Returns true if the call
// goes through io_loop.
inline bool managed(int fd) noexcept {
  if (!patched()) return false;
  const std::uint8_t m = mode_of(fd);
  if (m == kEmulated) return true;
  if (m != kUnknown || green_ts() == nullptr) return false;
  return classify(fd) == kEmulated;
}

triad::Deadline socket_deadline(int fd, int opt) noexcept {
  if (fd >= 0 && fd < kMaxFd && mode_of(fd) == kEmulated &&
      (g_fd_info[fd].load(std::memory_order_relaxed) & (opt == SO_RCVTIMEO ? kRcvTimeo : kSndTimeo)) == 0) {
    return triad::Deadline::never();  // no timeout set: no getsockopt per wait
  }
  struct timeval tv{};
  socklen_t len = sizeof tv;
  if (::getsockopt(fd, SOL_SOCKET, opt, &tv, &len) != 0 || (tv.tv_sec == 0 && tv.tv_usec == 0)) {
    return triad::Deadline::never();
  }
  return triad::Deadline::after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
}

// Retries op() until it does not fail with EAGAIN, waiting for `ev` on fd in between (in the
// hub for a green context, in poll(2) otherwise). SO_RCVTIMEO/SO_SNDTIMEO are honoured.
template <class Op>
auto io_loop(int fd, Events ev, int timeo_opt, Op op) -> decltype(op()) {
  bool have_deadline = false;
  triad::Deadline deadline;
  for (;;) {
    auto r = op();
    if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return r;
    if (!have_deadline) {
      deadline = socket_deadline(fd, timeo_opt);
      have_deadline = true;
    }
    const triad::net::WaitResult w = triad::net::current_io_waiter().wait(fd, ev, deadline);
    if (w == triad::net::WaitResult::timed_out) {
      errno = EAGAIN;
      return -1;
    }
    if (w == triad::net::WaitResult::closed) {
      errno = EBADF;
      return -1;
    }
  }
}

// io_loop() for read/recv into n bytes on a managed fd, with the drained fast path: after a
// short read emptied a stream socket, a green thread waits for readiness BEFORE the system
// call (the hub's reactor reports every arrival after that point), instead of paying for an
// EAGAIN first. On OS threads (poll(2) waiting) it always tries the call first.
template <class Op>
ssize_t read_loop(int fd, size_t n, Op op) {
  if (n > 0 && g_fd_drained[fd].load(std::memory_order_relaxed) && green_ts() != nullptr) {
    g_fd_drained[fd].store(false, std::memory_order_relaxed);
    const triad::net::WaitResult w = triad::net::current_io_waiter().wait(
        fd, Events::readable, socket_deadline(fd, SO_RCVTIMEO));
    if (w == triad::net::WaitResult::timed_out) {
      errno = EAGAIN;
      return -1;
    }
    if (w == triad::net::WaitResult::closed) {
      errno = EBADF;
      return -1;
    }
  }
  const ssize_t r = io_loop(fd, Events::readable, SO_RCVTIMEO, op);
  if ((g_fd_info[fd].load(std::memory_order_relaxed) & kStream) != 0) {
    g_fd_drained[fd].store(r > 0 && static_cast<size_t>(r) < n, std::memory_order_relaxed);
  }
  return r;
}

// --- sleeping ------------------------------------------------------------------------------

void green_sleep_for(const struct timespec& ts) {
  tg::sleep(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

bool valid_timespec(const struct timespec* t) noexcept {
  return t != nullptr && t->tv_nsec >= 0 && t->tv_nsec < 1000000000L && t->tv_sec >= 0;
}

// --- poll ----------------------------------------------------------------------------------

int green_poll(struct pollfd* fds, nfds_t nfds, triad::Deadline deadline) {
  for (;;) {
    const int r = real_poll()(fds, nfds, 0);
    if (r != 0) return r;
    if (deadline.expired()) return 0;
    td::ThreadState* ts = green_ts();
    std::vector<std::pair<int, Events>> want;
    want.reserve(nfds);
    for (nfds_t i = 0; i < nfds; ++i) {
      if (fds[i].fd < 0) continue;
      Events e = Events::none;
      if ((fds[i].events & (POLLIN | POLLPRI | POLLRDHUP)) != 0) e |= Events::readable;
      if ((fds[i].events & POLLOUT) != 0) e |= Events::writable;
      if (e == Events::none) e = Events::readable;  // errors/hang-ups only
      want.emplace_back(fds[i].fd, e);
    }
    if (want.empty()) {  // poll(NULL, 0, t): a sleep
      if (deadline.is_never()) {
        tg::sleep(triad::forever);
      } else {
        tg::sleep(deadline.remaining());
      }
      return 0;
    }
    if (!td::wait_any(*ts, *ts->hub, want.data(), want.size(), deadline)) {
      return real_poll()(fds, nfds, 0);  // timed out: report the final state (usually 0)
    }
  }
}

triad::Deadline deadline_from_ms(int timeout_ms) noexcept {
  if (timeout_ms < 0) return triad::Deadline::never();
  return triad::Deadline::after(std::chrono::milliseconds(timeout_ms));
}

}  // namespace

extern "C" {

// --- sleep family ----------------------------------------------------------------------------

unsigned int sleep(unsigned int seconds) {
  if (!patched() || green_ts() == nullptr) return real_sleep()(seconds);
  tg::sleep(std::chrono::seconds(seconds));
  return 0;
}

int usleep(useconds_t usec) {
  if (!patched() || green_ts() == nullptr) return real_usleep()(usec);
  tg::sleep(std::chrono::microseconds(usec));
  return 0;
}

int nanosleep(const struct timespec* req, struct timespec* rem) {
  if (!patched() || green_ts() == nullptr || !valid_timespec(req)) return real_nanosleep()(req, rem);
  green_sleep_for(*req);
  if (rem != nullptr) *rem = {};
  return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec* req, struct timespec* rem) {
  if (!patched() || green_ts() == nullptr || !valid_timespec(req)) {
    return real_clock_nanosleep()(clock, flags, req, rem);
  }
  struct timespec rel = *req;
  if ((flags & TIMER_ABSTIME) != 0) {
    struct timespec now{};
    if (::clock_gettime(clock, &now) != 0) return errno;
    long long ns = (static_cast<long long>(req->tv_sec) - now.tv_sec) * 1000000000LL +
                   (req->tv_nsec - now.tv_nsec);
    if (ns < 0) ns = 0;
    rel.tv_sec = static_cast<time_t>(ns / 1000000000LL);
    rel.tv_nsec = static_cast<long>(ns % 1000000000LL);
  }
  green_sleep_for(rel);
  if (rem != nullptr && (flags & TIMER_ABSTIME) == 0) *rem = {};
  return 0;
}

// --- reading -------------------------------------------------------------------------------

ssize_t read(int fd, void* buf, size_t n) {
  if (!managed(fd)) return real_read()(fd, buf, n);
  return read_loop(fd, n, [&] { return real_read()(fd, buf, n); });
}

ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (n > buflen) std::abort();  // what glibc's __chk_fail does, minus the message
  return read(fd, buf, n);
}

ssize_t readv(int fd, const struct iovec* iov, int iovcnt) {
  if (!managed(fd)) return real_readv()(fd, iov, iovcnt);
  return io_loop(fd, Events::readable, SO_RCVTIMEO, [&] { return real_readv()(fd, iov, iovcnt); });
}

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if ((flags & MSG_DONTWAIT) != 0 || !managed(fd)) return real_recv()(fd, buf, n, flags);
  if (flags == 0) return read_loop(fd, n, [&] { return real_recv()(fd, buf, n, 0); });
  return io_loop(fd, Events::readable, SO_RCVTIMEO, [&] { return real_recv()(fd, buf, n, flags); });
}

ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
  if (n > buflen) std::abort();
  return recv(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, struct sockaddr* addr, socklen_t* len) {
  if ((flags & MSG_DONTWAIT) != 0 || !managed(fd)) {
    return real_recvfrom()(fd, buf, n, flags, addr, len);
  }
  return io_loop(fd, Events::readable, SO_RCVTIMEO,
                 [&] { return real_recvfrom()(fd, buf, n, flags, addr, len); });
}

ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buflen, int flags,
                       struct sockaddr* addr, socklen_t* len) {
  if (n > buflen) std::abort();
  return recvfrom(fd, buf, n, flags, addr, len);
}

ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  if ((flags & MSG_DONTWAIT) != 0 || !managed(fd)) return real_recvmsg()(fd, msg, flags);
  return io_loop(fd, Events::readable, SO_RCVTIMEO, [&] { return real_recvmsg()(fd, msg, flags); });
}

// --- writing -------------------------------------------------------------------------------

ssize_t write(int fd, const void* buf, size_t n) {
  if (!managed(fd)) return real_write()(fd, buf, n);
  return io_loop(fd, Events::writable, SO_SNDTIMEO, [&] { return real_write()(fd, buf, n); });
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  if (!managed(fd)) return real_writev()(fd, iov, iovcnt);
  return io_loop(fd, Events::writable, SO_SNDTIMEO, [&] { return real_writev()(fd, iov, iovcnt); });
}

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if ((flags & MSG_DONTWAIT) != 0 || !managed(fd)) return real_send()(fd, buf, n, flags);
  return io_loop(fd, Events::writable, SO_SNDTIMEO, [&] { return real_send()(fd, buf, n, flags); });
}

ssize_t sendto(int fd, const void* buf, size_t n, int flags, const struct sockaddr* addr,
               socklen_t len) {
  if ((flags & MSG_DONTWAIT) != 0 || !managed(fd)) {
    return real_sendto()(fd, buf, n, flags, addr, len);
  }
  return io_loop(fd, Events::writable, SO_SNDTIMEO,
                 [&] { return real_sendto()(fd, buf, n, flags, addr, len); });
}

ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  if ((flags & MSG_DONTWAIT) != 0 || !managed(fd)) return real_sendmsg()(fd, msg, flags);
  return io_loop(fd, Events::writable, SO_SNDTIMEO, [&] { return real_sendmsg()(fd, msg, flags); });
}

// --- connections ---------------------------------------------------------------------------

int accept(int fd, struct sockaddr* addr, socklen_t* len) {
  if (!managed(fd)) return real_accept()(fd, addr, len);
  return io_loop(fd, Events::readable, SO_RCVTIMEO, [&] { return real_accept()(fd, addr, len); });
}

int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
  if (!managed(fd)) return real_accept4()(fd, addr, len, flags);
  return io_loop(fd, Events::readable, SO_RCVTIMEO,
                 [&] { return real_accept4()(fd, addr, len, flags); });
}

int connect(int fd, const struct sockaddr* addr, socklen_t len) {
  if (!managed(fd)) return real_connect()(fd, addr, len);
  const int r = real_connect()(fd, addr, len);
  if (r == 0 || errno != EINPROGRESS) return r;
  // The user's socket is blocking: wait for the outcome (SO_SNDTIMEO bounds it, as in Linux).
  const triad::Deadline deadline = socket_deadline(fd, SO_SNDTIMEO);
  const triad::net::WaitResult w = triad::net::current_io_waiter().wait(fd, Events::writable, deadline);
  if (w == triad::net::WaitResult::timed_out) {
    errno = EINPROGRESS;
    return -1;
  }
  if (w == triad::net::WaitResult::closed) {
    errno = EBADF;
    return -1;
  }
  int err = 0;
  socklen_t elen = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) return -1;
  if (err != 0) {
    errno = err;
    return -1;
  }
  return 0;
}

// --- readiness -----------------------------------------------------------------------------

int poll(struct pollfd* fds, nfds_t nfds, int timeout) {
  if (timeout == 0 || !patched() || green_ts() == nullptr) return real_poll()(fds, nfds, timeout);
  return green_poll(fds, nfds, deadline_from_ms(timeout));
}

int __poll_chk(struct pollfd* fds, nfds_t nfds, int timeout, size_t fdslen) {
  if (fdslen / sizeof(*fds) < nfds) std::abort();
  return poll(fds, nfds, timeout);
}

int ppoll(struct pollfd* fds, nfds_t nfds, const struct timespec* tmo, const sigset_t* sigmask) {
  if (!patched() || green_ts() == nullptr || (tmo != nullptr && tmo->tv_sec == 0 && tmo->tv_nsec == 0)) {
    return real_ppoll()(fds, nfds, tmo, sigmask);
  }
  const triad::Deadline d =
      tmo == nullptr ? triad::Deadline::never()
                     : triad::Deadline::after(std::chrono::seconds(tmo->tv_sec) +
                                              std::chrono::nanoseconds(tmo->tv_nsec));
  return green_poll(fds, nfds, d);
}

int __ppoll_chk(struct pollfd* fds, nfds_t nfds, const struct timespec* tmo,
                const sigset_t* sigmask, size_t fdslen) {
  if (fdslen / sizeof(*fds) < nfds) std::abort();
  return ppoll(fds, nfds, tmo, sigmask);
}

int select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, struct timeval* tv) {
  if (!patched() || green_ts() == nullptr || (tv != nullptr && tv->tv_sec == 0 && tv->tv_usec == 0) ||
      nfds < 0 || nfds > FD_SETSIZE) {
    return real_select()(nfds, rd, wr, ex, tv);
  }
  std::vector<struct pollfd> pfds;
  for (int fd = 0; fd < nfds; ++fd) {
    short ev = 0;
    if (rd != nullptr && FD_ISSET(fd, rd)) ev |= POLLIN;
    if (wr != nullptr && FD_ISSET(fd, wr)) ev |= POLLOUT;
    if (ex != nullptr && FD_ISSET(fd, ex)) ev |= POLLPRI;
    if (ev != 0) pfds.push_back(pollfd{fd, ev, 0});
  }
  const triad::Deadline d =
      tv == nullptr ? triad::Deadline::never()
                    : triad::Deadline::after(std::chrono::seconds(tv->tv_sec) +
                                             std::chrono::microseconds(tv->tv_usec));
  const int r = green_poll(pfds.data(), pfds.size(), d);
  if (r < 0) return r;
  for (const pollfd& p : pfds) {
    if (p.revents & POLLNVAL) {
      errno = EBADF;
      return -1;
    }
  }
  if (rd != nullptr) FD_ZERO(rd);
  if (wr != nullptr) FD_ZERO(wr);
  if (ex != nullptr) FD_ZERO(ex);
  int count = 0;
  for (const pollfd& p : pfds) {
    if (rd != nullptr && (p.revents & (POLLIN | POLLHUP | POLLERR)) && (p.events & POLLIN)) {
      FD_SET(p.fd, rd);
      ++count;
    }
    if (wr != nullptr && (p.revents & (POLLOUT | POLLERR)) && (p.events & POLLOUT)) {
      FD_SET(p.fd, wr);
      ++count;
    }
    if (ex != nullptr && (p.revents & POLLPRI) && (p.events & POLLPRI)) {
      FD_SET(p.fd, ex);
      ++count;
    }
  }
  if (tv != nullptr && r == 0) *tv = {};
  return count;
}

// --- closing and flags ---------------------------------------------------------------------

int close(int fd) {
  if (patched() && fd >= 0) {
    triad::net::notify_closing(fd);
    if (fd < kMaxFd) {
      g_fd_mode[fd].store(kUnknown, std::memory_order_release);
      g_fd_drained[fd].store(false, std::memory_order_relaxed);
    }
  }
  return real_close()(fd);
}

static int fcntl_impl(int fd, int cmd, std::uintptr_t arg) {
  const std::uint8_t m = patched() ? mode_of(fd) : kUnknown;
  if (m == kEmulated || m == kUserNonBlocking) {
    if (cmd == F_GETFL) {
      const int fl = real_fcntl()(fd, F_GETFL);
      if (fl < 0) return fl;
      return m == kEmulated ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK);
    }
    if (cmd == F_SETFL) {
      const int want = static_cast<int>(arg);
      const int r = real_fcntl()(fd, F_SETFL, want | O_NONBLOCK);
      if (r == 0) {
        g_fd_mode[fd].store((want & O_NONBLOCK) != 0 ? kUserNonBlocking : kEmulated,
                            std::memory_order_release);
      }
      return r;
    }
  }
  return real_fcntl()(fd, cmd, arg);
}

// Keeps the per-fd timeout facts current (see g_fd_info); otherwise straight through.
int setsockopt(int fd, int level, int opt, const void* value, socklen_t len) {
  const int r = real_setsockopt()(fd, level, opt, value, len);
  if (r == 0 && level == SOL_SOCKET && fd >= 0 && fd < kMaxFd) {
    if (opt == SO_RCVTIMEO) g_fd_info[fd].fetch_or(kRcvTimeo, std::memory_order_relaxed);
    if (opt == SO_SNDTIMEO) g_fd_info[fd].fetch_or(kSndTimeo, std::memory_order_relaxed);
#if defined(SO_RCVTIMEO_NEW) && SO_RCVTIMEO_NEW != SO_RCVTIMEO
    if (opt == SO_RCVTIMEO_NEW) g_fd_info[fd].fetch_or(kRcvTimeo, std::memory_order_relaxed);
#endif
#if defined(SO_SNDTIMEO_NEW) && SO_SNDTIMEO_NEW != SO_SNDTIMEO
    if (opt == SO_SNDTIMEO_NEW) g_fd_info[fd].fetch_or(kSndTimeo, std::memory_order_relaxed);
#endif
  }
  return r;
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const std::uintptr_t arg = va_arg(ap, std::uintptr_t);
  va_end(ap);
  return fcntl_impl(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const std::uintptr_t arg = va_arg(ap, std::uintptr_t);
  va_end(ap);
  return fcntl_impl(fd, cmd, arg);
}

}  // extern "C"
