#include "triad/net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "sockaddr.hpp"
#include "triad/net/io_waiter.hpp"

namespace triad::net {
namespace {

// getdefaulttimeout(), as nanoseconds; kForever = none.
constexpr std::int64_t kForever = INT64_MIN;
std::atomic<std::int64_t> g_default_timeout{kForever};

Timeout decode_timeout(std::int64_t ns) noexcept {
  if (ns == kForever) return forever;
  return std::chrono::nanoseconds(ns);
}

void check_timeout(Timeout t) {
  if (!t.is_forever() && t.duration() < Clock::duration::zero())
    throw ValueError("Timeout value out of range");
}

bool would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK; }

void set_nonblocking(int fd) {
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) raise_os_error(errno);
}

constexpr int kTypeMask = ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

}  // namespace

void setdefaulttimeout(Timeout timeout) {
  check_timeout(timeout);
  g_default_timeout.store(
      timeout.is_forever()
          ? kForever
          : std::chrono::duration_cast<std::chrono::nanoseconds>(timeout.duration()).count(),
      std::memory_order_relaxed);
}

Timeout getdefaulttimeout() noexcept {
  return decode_timeout(g_default_timeout.load(std::memory_order_relaxed));
}

// ---- construction ----

socket::socket(int family, int type, int proto) : family_(family), type_(type & kTypeMask), proto_(proto) {
  const int fd = ::socket(family, type_ | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) raise_os_error(errno);
  fd_.store(fd, std::memory_order_relaxed);
  timeout_ = (type & SOCK_NONBLOCK) ? Timeout(Clock::duration::zero()) : getdefaulttimeout();
}

socket::socket(Adopt, int fd, int family, int type, int proto) noexcept
    : fd_(fd), family_(family), type_(type), proto_(proto), timeout_(getdefaulttimeout()) {}

socket socket::adopt(int fd) {
  if (fd < 0) throw ValueError("negative file descriptor");
  int family = 0, type = 0, proto = 0;
  socklen_t len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) != 0) raise_os_error(errno);
  len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) raise_os_error(errno);
  len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0) raise_os_error(errno);
  set_nonblocking(fd);
  return socket(Adopt{}, fd, family, type, proto);
}

socket socket::fromfd(int fd) {
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) raise_os_error(errno);
  try {
    return adopt(dup);
  } catch (...) {
    ::close(dup);
    throw;
  }
}

socket::socket(socket&& o) noexcept
    : fd_(o.fd_.exchange(-1, std::memory_order_relaxed)),
      drained_(o.drained_.load(std::memory_order_relaxed)),
      family_(o.family_),
      type_(o.type_),
      proto_(o.proto_),
      timeout_(o.timeout_) {}

socket& socket::operator=(socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_.store(o.fd_.exchange(-1, std::memory_order_relaxed), std::memory_order_relaxed);
    drained_.store(o.drained_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    family_ = o.family_;
    type_ = o.type_;
    proto_ = o.proto_;
    timeout_ = o.timeout_;
  }
  return *this;
}

socket::~socket() { close(); }

int socket::detach() noexcept {
  const int fd = fd_.exchange(-1, std::memory_order_relaxed);
  if (fd >= 0) notify_closing(fd);  // waiters must not keep waiting on an fd we gave away
  return fd;
}

void socket::close() noexcept {
  const int fd = fd_.exchange(-1, std::memory_order_relaxed);
  if (fd < 0) return;
  notify_closing(fd);
  ::close(fd);  // Linux closes the fd even on EINTR: never retry
}

int socket::checked_fd() const {
  const int fd = fd_.load(std::memory_order_relaxed);
  if (fd < 0) raise_os_error(EBADF);
  return fd;
}

void socket::wait_io(int fd, Events ev, Deadline dl) const {
  switch (current_io_waiter().wait(fd, ev, dl)) {
    case WaitResult::ready: return;
    case WaitResult::timed_out: throw TimeoutError("timed out");
    case WaitResult::closed: raise_os_error(EBADF);
  }
}

// ---- options ----

void socket::settimeout(Timeout timeout) {
  check_timeout(timeout);
  timeout_ = timeout;
}

void socket::setblocking(bool flag) noexcept {
  timeout_ = flag ? Timeout(forever) : Timeout(Clock::duration::zero());
}

bool socket::getblocking() const noexcept { return !nonblocking(); }

void socket::setsockopt(int level, int optname, int value) {
  setsockopt(level, optname, &value, sizeof value);
}

void socket::setsockopt(int level, int optname, const void* value, socklen_t len) {
  if (::setsockopt(checked_fd(), level, optname, value, len) != 0) raise_os_error(errno);
}

int socket::getsockopt(int level, int optname) const {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(checked_fd(), level, optname, &v, &len) != 0) raise_os_error(errno);
  return v;
}

std::string socket::getsockopt(int level, int optname, std::size_t buflen) const {
  if (buflen == 0 || buflen > 1024) throw OSError(EINVAL, "getsockopt buflen out of range");
  std::string out(buflen, '\0');
  auto len = static_cast<socklen_t>(buflen);
  if (::getsockopt(checked_fd(), level, optname, out.data(), &len) != 0) raise_os_error(errno);
  out.resize(len);
  return out;
}

Address socket::getsockname() const {
  detail::SockAddr s;
  s.len = sizeof s.storage;
  if (::getsockname(checked_fd(), s.get(), &s.len) != 0) raise_os_error(errno);
  return detail::from_sockaddr(s.get(), s.len);
}

Address socket::getpeername() const {
  detail::SockAddr s;
  s.len = sizeof s.storage;
  if (::getpeername(checked_fd(), s.get(), &s.len) != 0) raise_os_error(errno);
  return detail::from_sockaddr(s.get(), s.len);
}

// ---- connection set-up ----

void socket::bind(const Address& address) {
  const int fd = checked_fd();
  const detail::SockAddr s = detail::to_sockaddr(family_, address, "bind()");
  if (::bind(fd, s.get(), s.len) != 0) raise_os_error(errno);
}

void socket::listen(int backlog) {
  if (backlog < 0) backlog = SOMAXCONN < 128 ? SOMAXCONN : 128;
  if (::listen(checked_fd(), backlog) != 0) raise_os_error(errno);
}

std::pair<socket, Address> socket::accept() {
  const int fd = checked_fd();
  Deadline dl;
  bool have_deadline = false;
  for (;;) {
    detail::SockAddr s;
    s.len = sizeof s.storage;
    const int c = ::accept4(fd, s.get(), &s.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      socket conn(Adopt{}, c, family_, type_, proto_);
      return {std::move(conn), detail::from_sockaddr(s.get(), s.len)};
    }
    const int err = errno;
    if (err == EINTR || err == ECONNABORTED) continue;  // ECONNABORTED: try the next one
    if (!would_block(err) || nonblocking()) raise_os_error(err);
    if (!have_deadline) {
      dl = deadline();
      have_deadline = true;
    }
    wait_io(fd, Events::readable, dl);
  }
}

int socket::connect_impl(const Address& address, bool raise) {
  const int fd = checked_fd();
  const detail::SockAddr s = detail::to_sockaddr(family_, address, raise ? "connect()" : "connect_ex()");
  const Deadline dl = deadline();
  auto fail = [raise](int err) {
    if (raise) raise_os_error(err);
    return err;
  };
  for (;;) {
    if (::connect(fd, s.get(), s.len) == 0) return 0;
    int err = errno;
    if (err == EAGAIN && family_ == AF_UNIX && !nonblocking()) {
      // AF_UNIX: the listener's backlog is full; wait for room and try again.
      const WaitResult w = current_io_waiter().wait(fd, Events::writable, dl);
      if (w == WaitResult::timed_out) {
        if (raise) throw TimeoutError("timed out");
        return EWOULDBLOCK;
      }
      if (w == WaitResult::closed) return fail(EBADF);
      continue;
    }
    if (err != EINPROGRESS && err != EALREADY && err != EINTR) return fail(err);
    if (nonblocking()) return fail(EINPROGRESS);
    const WaitResult w = current_io_waiter().wait(fd, Events::writable, dl);
    if (w == WaitResult::timed_out) {
      if (raise) throw TimeoutError("timed out");
      return EWOULDBLOCK;
    }
    if (w == WaitResult::closed) return fail(EBADF);
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) return fail(errno);
    if (soerr == 0) {
      // A spurious wake-up leaves the connect in progress: check that we are connected.
      sockaddr_storage peer{};
      socklen_t plen = sizeof peer;
      if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0) return 0;  // NOLINT
      continue;  // EINPROGRESS again next round -> wait again (EALREADY also handled below)
    }
    return fail(soerr);
  }
}

void socket::connect(const Address& address) { connect_impl(address, true); }
int socket::connect_ex(const Address& address) { return connect_impl(address, false); }

void socket::shutdown(int how) {
  if (::shutdown(checked_fd(), how) != 0) raise_os_error(errno);
}

// ---- data ----

std::size_t socket::recv_into(std::span<char> buf, std::size_t nbytes, int flags) {
  if (nbytes > buf.size()) throw ValueError("buffer too small for requested bytes");
  if (nbytes == 0) nbytes = buf.size();
  const int fd = checked_fd();
  Deadline dl;
  bool have_deadline = false;
  // A request/response peer has not answered yet when we come back right after emptying the
  // queue: wait first (no EAGAIN recv). Only under a scheduler's waiter (edge-based: every
  // arrival after the short read is reported), never with the poll(2) waiter of OS threads
  // (where a poll costs as much as the failed recv it would save).
  if (flags == 0 && drained_.load(std::memory_order_relaxed) && !nonblocking() &&
      &current_io_waiter() != &thread_io_waiter()) {
    drained_.store(false, std::memory_order_relaxed);
    dl = deadline();
    have_deadline = true;
    wait_io(fd, Events::readable, dl);
  }
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), nbytes, flags);
    if (n >= 0) {
      if (flags == 0 && type_ == SOCK_STREAM) {
        drained_.store(n > 0 && static_cast<std::size_t>(n) < nbytes, std::memory_order_relaxed);
      }
      return static_cast<std::size_t>(n);
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (!would_block(err) || nonblocking()) raise_os_error(err);
    if (!have_deadline) {
      dl = deadline();
      have_deadline = true;
    }
    wait_io(fd, Events::readable, dl);
  }
}

std::size_t socket::recv_into(std::span<std::byte> buf, std::size_t nbytes, int flags) {
  return recv_into(std::span<char>(reinterpret_cast<char*>(buf.data()), buf.size()), nbytes,  // NOLINT
                   flags);
}

std::string socket::recv(std::size_t bufsize, int flags) {
  std::string out;
  out.resize(bufsize);
  const std::size_t n = bufsize == 0 ? 0 : recv_into(std::span<char>(out.data(), bufsize), 0, flags);
  if (bufsize == 0) checked_fd();
  out.resize(n);
  return out;
}

std::pair<std::string, Address> socket::recvfrom(std::size_t bufsize, int flags) {
  const int fd = checked_fd();
  std::string out;
  out.resize(bufsize);
  Deadline dl;
  bool have_deadline = false;
  for (;;) {
    detail::SockAddr s;
    s.len = sizeof s.storage;
    const ssize_t n = ::recvfrom(fd, out.data(), bufsize, flags, s.get(), &s.len);
    if (n >= 0) {
      out.resize(static_cast<std::size_t>(n));
      // Connected stream sockets report no address (Python returns None; we return ("", 0)).
      return {std::move(out), s.len > 0 ? detail::from_sockaddr(s.get(), s.len) : Address()};
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (!would_block(err) || nonblocking()) raise_os_error(err);
    if (!have_deadline) {
      dl = deadline();
      have_deadline = true;
    }
    wait_io(fd, Events::readable, dl);
  }
}

std::size_t socket::send(std::string_view data, int flags) {
  const int fd = checked_fd();
  Deadline dl;
  bool have_deadline = false;
  for (;;) {
    const ssize_t n = ::send(fd, data.data(), data.size(), flags | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    const int err = errno;
    if (err == EINTR) continue;
    if (!would_block(err) || nonblocking()) raise_os_error(err);
    if (!have_deadline) {
      dl = deadline();
      have_deadline = true;
    }
    wait_io(fd, Events::writable, dl);
  }
}

void socket::sendall(std::string_view data, int flags) {
  const int fd = checked_fd();
  const Deadline dl = deadline();  // bounds the whole call (Python >= 3.5)
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), flags | MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (!would_block(err) || nonblocking()) raise_os_error(err);
    wait_io(fd, Events::writable, dl);
  }
}

std::size_t socket::sendto(std::string_view data, const Address& address) {
  return sendto(data, 0, address);
}

std::size_t socket::sendto(std::string_view data, int flags, const Address& address) {
  const int fd = checked_fd();
  const detail::SockAddr s = detail::to_sockaddr(family_, address, "sendto()");
  Deadline dl;
  bool have_deadline = false;
  for (;;) {
    const ssize_t n = ::sendto(fd, data.data(), data.size(), flags | MSG_NOSIGNAL, s.get(), s.len);
    if (n >= 0) return static_cast<std::size_t>(n);
    const int err = errno;
    if (err == EINTR) continue;
    if (!would_block(err) || nonblocking()) raise_os_error(err);
    if (!have_deadline) {
      dl = deadline();
      have_deadline = true;
    }
    wait_io(fd, Events::writable, dl);
  }
}

// ---- module-level helpers ----

std::pair<socket, socket> socketpair(int family, int type, int proto) {
  int fds[2];
  if (::socketpair(family, (type & kTypeMask) | SOCK_NONBLOCK | SOCK_CLOEXEC, proto, fds) != 0)
    raise_os_error(errno);
  socket a = socket::adopt(fds[0]);
  socket b = socket::adopt(fds[1]);
  if (type & SOCK_NONBLOCK) {
    a.setblocking(false);
    b.setblocking(false);
  }
  return {std::move(a), std::move(b)};
}

socket create_connection(const Address& address, Timeout timeout,
                         const std::optional<Address>& source_address) {
  check_timeout(timeout);
  const auto candidates = detail::resolve_all(address, AF_UNSPEC, SOCK_STREAM);
  if (candidates.empty()) throw OSError(EINVAL, "getaddrinfo returns an empty list");
  std::exception_ptr last;
  for (const auto& [family, sa] : candidates) {
    try {
      socket s(family, SOCK_STREAM);
      s.settimeout(timeout);
      if (source_address) s.bind(*source_address);
      s.connect(detail::from_sockaddr(sa.get(), sa.len));
      return s;
    } catch (const OSError&) {
      last = std::current_exception();
    } catch (const TimeoutError&) {
      last = std::current_exception();
    }
  }
  std::rethrow_exception(last);
}

socket create_server(const Address& address, const ServerOptions& options) {
  const int family = address.is_unix() ? AF_UNIX : options.family;
  if (options.dualstack_ipv6 && family != AF_INET6)
    throw ValueError("dualstack_ipv6 requires AF_INET6 family");
  socket s(family, SOCK_STREAM);
  if (family != AF_UNIX) s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  if (options.reuse_port) s.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  if (family == AF_INET6) s.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, options.dualstack_ipv6 ? 0 : 1);
  try {
    s.bind(address);
  } catch (const gaierror&) {
    throw;
  } catch (const OSError& e) {
    // Python: "%s (while attempting to bind on address %r)"
    const std::string msg = e.strerror() + " (while attempting to bind on address " +
                            address.to_string() + ")";
    raise_os_error(e.errnum(), msg);
  }
  s.listen(options.backlog);
  return s;
}

}  // namespace triad::net
