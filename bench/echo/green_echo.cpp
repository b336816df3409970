// The green echo server: one OS thread, one green thread per connection, plain blocking-style
// code on triad::net::socket (the gevent way), for bench/echo/run.sh and docs/bench/green.md.
// Usage: bench_echo_green PORT [epoll|io_uring] [server|spawn]
//   server: gevent's StreamServer(address, handle) (default);
//   spawn:  an accept loop in the main greenlet that spawns a green thread per connection.
// Prints "ready (...)" once listening; runs until killed.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "triad/green/hub.hpp"
#include "triad/green/server.hpp"
#include "triad/green/spawn.hpp"
#include "triad/net/reactor.hpp"
#include "triad/net/socket.hpp"

namespace {

// What a gevent handler does: recv, sendall, until EOF or an error.
void handle(triad::net::socket& conn) {
  conn.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  char buf[16384];
  try {
    for (;;) {
      const std::size_t n = conn.recv_into(std::span<char>(buf, sizeof buf));
      if (n == 0) return;
      conn.sendall(std::string_view(buf, n));
    }
  } catch (const triad::net::OSError&) {
    // reset by the peer: drop the connection
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [epoll|io_uring] [server|spawn]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  // The hub's reactor reads TRIAD_REACTOR when it is created (first use below).
  if (argc > 2) ::setenv("TRIAD_REACTOR", argv[2], 1);
  const bool per_spawn = argc > 3 && std::strcmp(argv[3], "spawn") == 0;
  using namespace triad::green;
  const char* backend = to_string(get_hub().reactor().backend());
  auto listener = triad::net::create_server({"127.0.0.1", port}, {.backlog = 1024});
  if (per_spawn) {
    std::printf("ready (green spawn, %s)\n", backend);
    std::fflush(stdout);
    for (;;) {
      auto [conn, addr] = listener.accept();
      spawn([c = std::make_shared<triad::net::socket>(std::move(conn))] { handle(*c); });
    }
  }
  StreamServer server(std::move(listener),
                      [](triad::net::socket& conn, const triad::net::Address&) { handle(conn); },
                      std::nullopt, 1024);
  server.start();
  std::printf("ready (green StreamServer, %s)\n", backend);
  std::fflush(stdout);
  server.serve_forever();
}
