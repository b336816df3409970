// socket: a BSD socket with Python's socket API, blocking on OS threads and cooperative in
// green threads.
//
// Python: socket.socket, socket.socketpair, socket.create_connection, socket.create_server,
// socket.setdefaulttimeout. Names, argument order, defaults, exceptions and messages are
// Python's; the constants are the C ones (AF_INET, SOCK_STREAM, SOL_SOCKET, SHUT_WR, ...).
//
//   using namespace triad::net;
//   socket srv = create_server({"127.0.0.1", 0});
//   socket cli = create_connection(srv.getsockname(), triad::seconds(5));
//   auto [conn, peer] = srv.accept();
//   cli.sendall("ping");
//   std::string got = conn.recv(1024);   // "ping"; "" means the peer closed (EOF)
//
// Blocking model. The fd is ALWAYS O_NONBLOCK internally. A blocking call tries the system
// call and, on EAGAIN, waits through current_io_waiter() (io_waiter.hpp) and retries, so:
// blocks? yes, the calling OS thread (poll(2)) — or, in a green thread, only that green
// thread, which yields to its hub. The socket's timeout (settimeout; default
// getdefaulttimeout(), initially none) bounds each call as a whole, sendall included:
//   timeout none (forever)  blocking;
//   timeout > 0             blocking up to the timeout, then triad::TimeoutError("timed out");
//   timeout 0               non-blocking: BlockingIOError ([Errno 11]) instead of waiting.
// (Python's methods take no timeout argument; settimeout is the per-socket form, and
// setblocking(false) is the non-blocking form of every call.)
//
// Errors. OS errors raise the OSError subclass Python raises (errors.hpp):
// ConnectionRefusedError, ConnectionResetError, BrokenPipeError (send never raises SIGPIPE:
// MSG_NOSIGNAL), BlockingIOError, ...; use after close() raises OSError "[Errno 9] Bad file
// descriptor", as does a call that was waiting when another context closed the socket.
// Bad addresses raise ValueError (wrong shape for the family, port out of range) or gaierror.
//
// Thread safety: as in Python, one thread may recv while another sends on the same socket;
// close() from one thread wakes the others' waits (they raise EBADF). Changing options or
// the timeout concurrently with calls is a race. A socket is a move-only RAII handle (unlike
// triad's primitives it is movable, so accept() can return one); the destructor closes it.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "triad/core/timeout.hpp"
#include "triad/net/address.hpp"
#include "triad/net/errors.hpp"
#include "triad/net/events.hpp"

namespace triad::net {

class socket {  // NOLINT(readability-identifier-naming): Python's name
 public:
  // Creates a socket (Python: socket.socket(family, type, proto)). SOCK_NONBLOCK in `type`
  // makes it non-blocking (timeout 0), SOCK_CLOEXEC is always set. Throws OSError
  // (e.g. "[Errno 97] Address family not supported by protocol").
  explicit socket(int family = AF_INET, int type = SOCK_STREAM, int proto = 0);
  // Takes ownership of an open socket fd (Python: socket.socket(fileno=fd)); family, type and
  // protocol are read from the fd; the fd is made O_NONBLOCK. Throws OSError (ENOTSOCK...).
  static socket adopt(int fd);
  // Duplicates fd (Python: socket.fromfd); the caller keeps its fd.
  static socket fromfd(int fd);

  socket(socket&& other) noexcept;
  socket& operator=(socket&& other) noexcept;  // closes the current fd first
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;
  ~socket();

  [[nodiscard]] int family() const noexcept { return family_; }
  [[nodiscard]] int type() const noexcept { return type_; }
  [[nodiscard]] int proto() const noexcept { return proto_; }
  // The fd, or -1 once closed/detached (Python: fileno()).
  [[nodiscard]] int fileno() const noexcept { return fd_.load(std::memory_order_relaxed); }
  // Gives up the fd without closing it and returns it (-1 if closed). The fd stays
  // O_NONBLOCK.
  int detach() noexcept;
  // Closes the socket (idempotent). Waits on it in other contexts end with OSError EBADF
  // (see io_waiter.hpp). Never throws (close(2) errors other than EBADF are ignored, as
  // Python ignores ECONNRESET).
  void close() noexcept;

  // Python: bind(address). Throws ValueError (address shape), gaierror, OSError
  // ("[Errno 98] Address already in use", PermissionError, ...).
  void bind(const Address& address);
  // Python: listen([backlog]); backlog < 0 means min(SOMAXCONN, 128).
  void listen(int backlog = -1);
  // Waits for a connection (Python: accept() -> (conn, address)). The new socket gets
  // getdefaulttimeout() (blocking by default), like Python's.
  // Blocks? yes, per the timeout · yields a green thread? yes · thread-safe with other calls
  // · throws OSError, TimeoutError · timeout: the socket's.
  std::pair<socket, Address> accept();
  // Connects (Python: connect(address)); waits for completion per the timeout.
  // Throws ConnectionRefusedError, TimeoutError, BlockingIOError ([Errno 115] Operation now
  // in progress) when non-blocking, ValueError/gaierror for bad addresses.
  void connect(const Address& address);
  // Like connect() but returns the errno (0 on success) instead of raising OSErrors (address
  // errors still raise). A timeout returns EAGAIN (Python returns EWOULDBLOCK).
  int connect_ex(const Address& address);

  // Receives up to bufsize bytes (Python: recv(bufsize[, flags])). An empty string means the
  // peer shut down its side (EOF). Blocks per the timeout; throws OSError subclasses
  // (ConnectionResetError...), TimeoutError.
  std::string recv(std::size_t bufsize, int flags = 0);
  // Receives into buf (Python: recv_into(buffer[, nbytes[, flags]])); nbytes 0 = buf.size().
  // Returns the byte count (0 = EOF). Throws ValueError("buffer too small for requested
  // bytes") if nbytes > buf.size().
  std::size_t recv_into(std::span<char> buf, std::size_t nbytes = 0, int flags = 0);
  std::size_t recv_into(std::span<std::byte> buf, std::size_t nbytes = 0, int flags = 0);
  // Python: recvfrom(bufsize[, flags]) -> (data, address).
  std::pair<std::string, Address> recvfrom(std::size_t bufsize, int flags = 0);
  // Sends some of data; returns how much (Python: send). Blocks until at least one byte can
  // be sent (per the timeout). Throws BrokenPipeError, ConnectionResetError, TimeoutError...
  std::size_t send(std::string_view data, int flags = 0);
  // Sends all of data (Python: sendall), the timeout bounding the whole call. On an error
  // an unknown amount was sent (as in Python).
  void sendall(std::string_view data, int flags = 0);
  // Python: sendto(data[, flags], address).
  std::size_t sendto(std::string_view data, const Address& address);
  std::size_t sendto(std::string_view data, int flags, const Address& address);

  // Python: shutdown(how) with SHUT_RD, SHUT_WR or SHUT_RDWR.
  void shutdown(int how);
  [[nodiscard]] Address getsockname() const;
  [[nodiscard]] Address getpeername() const;
  // Python: setsockopt(level, optname, value) for int options and raw bytes.
  void setsockopt(int level, int optname, int value);
  void setsockopt(int level, int optname, const void* value, socklen_t len);
  // Python: getsockopt(level, optname) -> int, getsockopt(level, optname, buflen) -> bytes.
  [[nodiscard]] int getsockopt(int level, int optname) const;
  [[nodiscard]] std::string getsockopt(int level, int optname, std::size_t buflen) const;

  // Python: settimeout(None | seconds). Throws ValueError("Timeout value out of range") for a
  // negative timeout.
  void settimeout(Timeout timeout);
  // Python: gettimeout() (is_forever() for None).
  [[nodiscard]] Timeout gettimeout() const noexcept { return timeout_; }
  // Python: setblocking(flag): true = settimeout(forever), false = settimeout(0).
  void setblocking(bool flag) noexcept;
  // Python: getblocking(): false iff the timeout is 0.
  [[nodiscard]] bool getblocking() const noexcept;

 private:
  struct Adopt {};
  socket(Adopt, int fd, int family, int type, int proto) noexcept;
  int checked_fd() const;
  Deadline deadline() const noexcept { return Deadline::after(timeout_); }
  bool nonblocking() const noexcept { return !timeout_.is_forever() && timeout_.duration() <= Clock::duration::zero(); }
  // Waits for ev through the current IoWaiter; raises on timeout/close.
  void wait_io(int fd, Events ev, Deadline deadline) const;
  int connect_impl(const Address& address, bool raise);

  std::atomic<int> fd_{-1};
  // The last recv_into() on this stream socket returned less than it asked for, i.e. it
  // emptied the receive queue. Under a scheduler's IoWaiter (a green hub, whose reactor
  // reports every new arrival after that point), the next blocking recv then waits for
  // readiness BEFORE the system call instead of paying for an EAGAIN first.
  std::atomic<bool> drained_{false};
  int family_ = 0;
  int type_ = 0;
  int proto_ = 0;
  Timeout timeout_;
};

// Python: socket.socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0).
std::pair<socket, socket> socketpair(int family = AF_UNIX, int type = SOCK_STREAM, int proto = 0);

// Python: socket.create_connection(address, timeout, source_address): resolves address
// (getaddrinfo for names; AF_INET and AF_INET6), tries each result in turn with `timeout`
// applied to the new socket, and returns the first that connects. Sets no TCP_NODELAY.
// Throws the last connect error (ConnectionRefusedError, TimeoutError, ...), or gaierror.
socket create_connection(const Address& address, Timeout timeout = forever,
                         const std::optional<Address>& source_address = std::nullopt);

// Options of create_server (Python's keyword arguments).
struct ServerOptions {
  int family = AF_INET;         // AF_INET, AF_INET6 (a UnixPath address implies AF_UNIX)
  int backlog = -1;             // < 0: listen()'s default
  bool reuse_port = false;      // SO_REUSEPORT
  bool dualstack_ipv6 = false;  // AF_INET6 accepting IPv4 too (IPV6_V6ONLY off)
};
// Python: socket.create_server(address, family=..., backlog=..., reuse_port=...,
// dualstack_ipv6=...): a listening socket with SO_REUSEADDR (not on AF_UNIX).
socket create_server(const Address& address, const ServerOptions& options = {});

// Python: socket.setdefaulttimeout / getdefaulttimeout: the timeout of new sockets
// (initially none = blocking). Thread-safe. Negative: ValueError("Timeout value out of range").
void setdefaulttimeout(Timeout timeout);
[[nodiscard]] Timeout getdefaulttimeout() noexcept;

}  // namespace triad::net
