// S27 (seed 002, socket 并发: 每个连接一个进程 / 线程): a TCP echo server (upper-case) that
// serves each connection in its own process, and the same with a thread per connection.
// Several clients are served at once: three clients connect, and each gets its answer while
// all three connections are still open, which a one-at-a-time server could not do.
//
// Python (seed 002):
//   def talk(conn):
//       while True:
//           data = conn.recv(1024)
//           if not data: break
//           conn.send(data.upper())
//       conn.close()
//   while True:
//       conn, addr = server.accept()
//       p = Process(target=talk, args=(conn,)); p.start()      # or Thread(target=talk, ...)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/process/process.hpp"
#include "triad/threading/thread.hpp"

namespace tp = triad::process;

namespace {

constexpr int kClients = 3;

void talk(int conn) {
  char buf[1024];
  for (;;) {
    const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) buf[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(buf[i])));
    if (::send(conn, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
  }
  ::close(conn);
}

int listen_local(int& port) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 16) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return -1;
  port = ntohs(a.sin_port);
  return s;
}

// Connects kClients clients, sends on each, and reads every answer while all stay open.
int run_clients(tour::Context& ctx, int port, const std::string& mode) {
  std::vector<int> socks;
  for (int i = 0; i < kClients; ++i) {
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ::close(c);
    else socks.push_back(c);
  }
  int served = 0;
  for (std::size_t i = 0; i < socks.size(); ++i) {
    const std::string msg = "hello from client " + std::to_string(i);
    (void)::send(socks[i], msg.data(), msg.size(), MSG_NOSIGNAL);
  }
  for (std::size_t i = 0; i < socks.size(); ++i) {
    pollfd p{socks[i], POLLIN, 0};
    char buf[128];
    if (::poll(&p, 1, 10000) == 1) {
      const ssize_t n = ::recv(socks[i], buf, sizeof buf, 0);
      if (n > 0) {
        ctx.say("  [" + mode + "] client " + std::to_string(i) + " got: " + std::string(buf, static_cast<std::size_t>(n)));
        ++served;
      }
    }
  }
  for (int c : socks) ::close(c);
  return served;
}

}  // namespace

TOUR_SCENARIO(S27, "002", "socket 并发: 每个连接一个进程/线程", "Echo server: a process (or thread) per connection",
              "Three clients are served at once, by a process per connection, then a thread per connection.") {
  {
    int port = 0;
    const int server = listen_local(port);
    ctx.check(server >= 0, "the server listens on 127.0.0.1");
    if (server < 0) return;
    // The accept loop is a process too, so that its per-connection children are its own.
    tp::Process acceptor([server] {
      std::vector<std::unique_ptr<tp::Process>> talkers;
      for (int i = 0; i < kClients; ++i) {
        const int conn = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) break;
        talkers.push_back(std::make_unique<tp::Process>(talk, conn));
        talkers.back()->start();
        ::close(conn);  // the child has its own copy
      }
      for (auto& t : talkers) t->join();
    });
    acceptor.start();
    const int served = run_clients(ctx, port, "process");
    acceptor.join();
    ::close(server);
    ctx.check(served == kClients && acceptor.exitcode() == 0,
              "process per connection: all three clients were served while all were connected");
  }
  {
    int port = 0;
    const int server = listen_local(port);
    triad::Thread acceptor([server] {
      std::vector<std::unique_ptr<triad::Thread>> talkers;
      for (int i = 0; i < kClients; ++i) {
        const int conn = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) break;
        talkers.push_back(std::make_unique<triad::Thread>(talk, conn));
        talkers.back()->start();
      }
      for (auto& t : talkers) t->join();
    });
    acceptor.start();
    const int served = run_clients(ctx, port, "thread");
    acceptor.join();
    ::close(server);
    ctx.check(served == kClients, "thread per connection: all three clients were served while all were connected");
  }
}
