// The triad::net Reactor echo server, single-threaded.
// Usage: bench_echo_reactor PORT [watch|wait] [epoll|io_uring]
//   watch: a persistent level-triggered Watch per connection (asyncio add_reader style);
//   wait:  a one-shot IoWait re-armed after every EAGAIN (what a green hub does per recv).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "triad/net/reactor.hpp"
#include "triad/net/socket.hpp"

using triad::net::Events;
using triad::net::IoWait;
using triad::net::Reactor;

namespace {

char g_buf[65536];

struct Conn {
  int fd;
  Reactor* r;
  IoWait wait;
  std::string out;
  triad::net::Watch watch;
};

// Echo what is readable; returns false when the connection is finished.
bool echo_once(Conn& c) {
  const ssize_t n = ::read(c.fd, g_buf, sizeof g_buf);
  if (n < 0) return errno == EAGAIN;
  if (n == 0) return false;
  const ssize_t w = ::send(c.fd, g_buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
  if (w < 0) return errno == EAGAIN;
  if (w < n) c.out.append(g_buf + w, static_cast<std::size_t>(n - w));  // rare: dropped to
  return true;                                                             // keep it simple
}

void finish(Conn* c) {
  c->r->close_fd(c->fd);
  c->watch.cancel();
  ::close(c->fd);
  delete c;
}

void on_wait(IoWait& w) noexcept {
  auto* c = static_cast<Conn*>(w.user);
  for (;;) {
    if (w.result == Events::closed) return;
    // Read until EAGAIN (edge-based waits), then arm again.
    const ssize_t n = ::read(c->fd, g_buf, sizeof g_buf);
    if (n > 0) {
      if (::send(c->fd, g_buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) < 0 && errno != EAGAIN) break;
      continue;
    }
    if (n == 0 || errno != EAGAIN) break;
    try {
      if (c->r->arm(w)) return;
    } catch (...) {
      break;
    }
  }
  finish(c);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [watch|wait] [epoll|io_uring]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const bool use_wait = argc > 2 && std::strcmp(argv[2], "wait") == 0;
  triad::net::Backend be = triad::net::Backend::automatic;
  if (argc > 3) be = std::strcmp(argv[3], "io_uring") == 0 ? triad::net::Backend::io_uring
                                                           : triad::net::Backend::epoll;
  Reactor r(be);
  auto srv = triad::net::create_server({"127.0.0.1", port}, {.backlog = 1024});
  srv.setblocking(false);
  auto accept_watch = r.watch(srv.fileno(), Events::readable, [&](Events) {
    for (;;) {
      const int fd = ::accept4(srv.fileno(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto* c = new Conn{fd, &r, {}, {}, {}};
      if (use_wait) {
        c->wait.fd = fd;
        c->wait.events = Events::readable;
        c->wait.user = c;
        c->wait.complete = on_wait;
        if (!r.arm(c->wait)) on_wait(c->wait);
      } else {
        c->watch = r.watch(fd, Events::readable, [c](Events) {
          if (!echo_once(*c)) finish(c);
        });
      }
    }
  });
  std::printf("ready (%s, %s)\n", use_wait ? "wait" : "watch", to_string(r.backend()));
  std::fflush(stdout);
  for (;;) r.run_once();
}
