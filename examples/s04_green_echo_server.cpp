// S04 (seeds 000, 002, 003, 单线程下实现并发的套接字通信): a single-threaded upper-case echo
// server written with the plain blocking socket calls (accept, recv, send) — made concurrent by
// monkey::patch_all() — serving hundreds of client THREADS at once; a client that resets its
// connection is handled cleanly (ConnectionResetError ends only that conversation).
//
// Python (seed 003):
//   from gevent import monkey; monkey.patch_all()
//   def comunicate(conn):
//       while True:
//           try:
//               data = conn.recv(1024)
//               if len(data) == 0: break
//               conn.send(data.upper())
//           except ConnectionResetError: break
//       conn.close()
//   def server(ip, port, backlog=5):
//       server = socket(AF_INET, SOCK_STREAM); server.bind((ip, port)); server.listen(backlog)
//       while True: conn, client_addr = server.accept(); spawn(comunicate, conn)
//   g1 = spawn(server, '127.0.0.1', 8080); g1.join()
//   # client: 500 threads, each sends '<thread name> say hello <n>' and prints the reply
//
// triad: 500 client threads (50 in --fast mode, to keep CI fast), each sending three messages;
// one extra client resets its connection. The server is stopped at the end (the seed's runs
// forever), which the seed has no way to do.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/green/monkey.hpp"
#include "triad/green/spawn.hpp"
#include "triad/threading/event.hpp"

namespace {

struct ServerStats {
  std::atomic<int> conversations{0};
  std::atomic<int> resets{0};
  std::atomic<bool> one_thread{true};
};

// The seed's comunicate(), with plain blocking calls.
void comunicate(int conn, ServerStats& stats, std::thread::id server_thread) {
  stats.conversations++;
  char buf[1024];
  for (;;) {
    if (std::this_thread::get_id() != server_thread) stats.one_thread = false;
    const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
    if (n < 0 && errno == ECONNRESET) {  // Python: except ConnectionResetError: break
      stats.resets++;
      break;
    }
    if (n <= 0) break;
    std::transform(buf, buf + n, buf, [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
    if (::send(conn, buf, static_cast<size_t>(n), MSG_NOSIGNAL) < 0) break;
  }
  ::close(conn);
}

bool client(std::uint16_t port, int id) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(s);
    return false;
  }
  bool ok = true;
  for (int n = 0; n < 3 && ok; ++n) {
    const std::string msg = "Thread-" + std::to_string(id) + " say hello " + std::to_string(n);
    ok = ::send(s, msg.data(), msg.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(msg.size());
    std::string got;
    char buf[1024];
    while (ok && got.size() < msg.size()) {
      const ssize_t r = ::recv(s, buf, sizeof buf, 0);
      if (r <= 0) ok = false; else got.append(buf, static_cast<size_t>(r));
    }
    std::string want = msg;
    std::transform(want.begin(), want.end(), want.begin(), [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
    ok = ok && got == want;
  }
  ::close(s);
  return ok;
}

}  // namespace

TOUR_SCENARIO(S04, "000, 002, 003", "单线程下实现并发的套接字通信", "One-thread green echo server, hundreds of clients",
              "Plain blocking accept/recv/send in green threads, made cooperative by monkey "
              "patching: one OS thread serves every client thread concurrently.") {
  const int clients = ctx.fast() ? 50 : 500;
  ServerStats stats;
  std::atomic<std::uint16_t> port{0};
  triad::Event listening;
  triad::Event stop;
  std::atomic<int> listen_fd{-1};
  std::thread server_thread([&] {
    namespace tg = triad::green;
    tg::monkey::patch_all();
    const auto me = std::this_thread::get_id();
    auto server = tg::spawn([&] {  // the seed's server()
      const int srv = ::socket(AF_INET, SOCK_STREAM, 0);
      int one = 1;
      ::setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ::bind(srv, reinterpret_cast<sockaddr*>(&a), sizeof a);
      socklen_t len = sizeof a;
      ::getsockname(srv, reinterpret_cast<sockaddr*>(&a), &len);
      ::listen(srv, 512);
      port = ntohs(a.sin_port);
      listen_fd = srv;
      listening.set();
      for (;;) {
        const int conn = ::accept(srv, nullptr, nullptr);  // yields until a client connects
        if (conn < 0) return;                              // closed by the stopper below
        tg::spawn(comunicate, conn, std::ref(stats), me);
      }
    });
    auto stopper = tg::spawn([&] {
      stop.wait();                 // parks this green thread; set from the main thread
      ::close(listen_fd.load());   // wakes the accept above (EBADF)
    });
    tg::joinall({server, stopper});
    tg::sleep();  // let the last conversations finish closing
    tg::monkey::unpatch_all();
  });
  listening.wait();
  ctx.say("server listening on 127.0.0.1:" + std::to_string(port.load()) + " (one OS thread)");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(clients));
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      if (client(port.load(), i)) ok++;
    });
  }
  // A rude client: connects, sends, and resets the connection (SO_LINGER 0 then close).
  {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port.load());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      (void)::send(s, "bye", 3, MSG_NOSIGNAL);
      linger lg{1, 0};
      ::setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    ::close(s);
  }
  for (auto& t : threads) t.join();
  stop.set();
  server_thread.join();
  ctx.say(std::to_string(ok.load()) + "/" + std::to_string(clients) + " client threads got their " +
          "3 upper-cased replies; " + std::to_string(stats.conversations.load()) + " conversations");
  ctx.check(ok.load() == clients, "every client thread was served (upper-case echo)");
  ctx.check(stats.conversations.load() == clients + 1, "the rude client was accepted too");
  ctx.check(stats.one_thread.load(), "every conversation ran on the server's single OS thread");
}
