// Soak test of issue 4: a green echo server (StreamServer, one OS thread) takes N concurrent
// connections (default 10,000) whose clients misbehave — resets at once, resets after a reply,
// random garbage, a half message then EOF — and must not crash, must serve every well-behaved
// client and must leak no fd. Run by bench/echo/soak.sh on the release, ASan and TSan builds.
// Usage: bench_echo_soak [N]
//
// The clients run in a forked child (green threads on its own hub), so each process holds N
// sockets (the test needs `ulimit -n` > N + 100, not 2N). Every client connects first and waits
// until all N are connected, so the server really holds N connections at once; then each one
// plays its part. Exit status 0 = passed; the last line says what was checked.
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "triad/green/hub.hpp"
#include "triad/green/server.hpp"
#include "triad/green/spawn.hpp"
#include "triad/net/socket.hpp"
#include "triad/threading/event.hpp"

namespace tg = triad::green;
namespace tn = triad::net;

namespace {

int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void reset_on_close(tn::socket& s) {
  linger lg{1, 0};
  s.setsockopt(SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

// The child: n green clients. Returns how many well-behaved clients got their echo.
int run_clients(const tn::Address& addr, int n, int* expected, int* failed) {
  int connected = 0;
  int good = 0;
  *expected = 0;
  *failed = 0;
  triad::Event all_connected;
  std::vector<tg::BasicGreenlet> gs;
  gs.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int kind = i % 5;
    if (kind == 0 || kind == 2 || kind == 3) ++*expected;
    gs.push_back(tg::spawn([&, i, kind] {
      std::optional<tn::socket> s;
      try {
        s.emplace(tn::create_connection(addr, triad::seconds(60)));
      } catch (const std::exception&) {
        ++*failed;
      }
      if (++connected == n) all_connected.set();
      all_connected.wait();
      if (!s) return;
      try {
        if (kind == 1) {  // reset at once
          reset_on_close(*s);
          s->close();
          return;
        }
        std::string msg = "hello";
        if (kind == 2) {  // random garbage, NULs included
          std::mt19937 rng(static_cast<unsigned>(i));
          msg.resize(1 + rng() % 200);
          for (char& c : msg) c = static_cast<char>(rng());
        }
        if (kind == 4) {  // half a message, then EOF
          s->sendall("hel");
          s->shutdown(SHUT_WR);
          while (!s->recv(4096).empty()) {
          }
          return;
        }
        s->sendall(msg);
        std::string got;
        while (got.size() < msg.size()) {
          std::string part = s->recv(4096);
          if (part.empty()) break;
          got += part;
        }
        if (got == upper(msg)) ++good;
        if (kind == 3) reset_on_close(*s);  // reset after the reply
      } catch (const tn::OSError&) {
        // a reset seen by a well-behaved client counts as not served
      }
    }));
  }
  tg::joinall(gs);
  return good;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < static_cast<rlim_t>(n) + 100) {
    std::fprintf(stderr, "soak: need ulimit -n > %d (have %ld)\n", n + 100, static_cast<long>(rl.rlim_cur));
    return 2;
  }
  // Bind first (the child needs the port), fork before any hub or thread exists.
  tn::socket listener = tn::create_server({"127.0.0.1", 0}, {.backlog = 4096});
  const tn::Address addr = listener.getsockname();
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("fork");
    return 2;
  }
  if (child == 0) {
    listener.close();
    int expected = 0;
    int failed = 0;
    const int good = run_clients(addr, n, &expected, &failed);
    std::printf("soak clients: %d connected at once, %d of %d well-behaved served, %d connect failures\n",
                n - failed, good, expected, failed);
    std::fflush(stdout);
    std::_Exit(good == expected && failed == 0 ? 0 : 1);
  }
  (void)tg::get_hub();  // its epoll fd and eventfd live on: count fds after it exists
  const int fds_before = open_fds();
  std::size_t accepted = 0;
  std::size_t peak = 0;
  std::size_t live = 0;
  int status = 0;
  {
    tg::StreamServer server(std::move(listener),
                            [&](tn::socket& conn, const tn::Address&) {
                              ++live;
                              if (live > peak) peak = live;
                              try {
                                for (;;) {
                                  std::string data = conn.recv(4096);
                                  if (data.empty()) break;
                                  conn.sendall(upper(data));
                                }
                              } catch (const tn::OSError&) {
                                // reset by the client
                              }
                              --live;
                            },
                            std::nullopt, 4096);
    server.start();
    triad::Event child_done;
    std::thread reaper([&] {
      ::waitpid(child, &status, 0);
      child_done.set();
    });
    child_done.wait();  // main parks: the hub serves meanwhile
    reaper.join();
    accepted = server.accepted();
    server.stop(triad::seconds(10));
  }
  const int fds_after = open_fds();
  const bool clients_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const bool fds_ok = fds_after == fds_before - 1;  // the listener, closed by stop()
  std::printf("soak server: %zu accepted, %zu connections open at once, fds %d before (with the "
              "listener) / %d after: %s\n",
              accepted, peak, fds_before, fds_after,
              clients_ok && fds_ok && accepted == static_cast<std::size_t>(n) ? "PASSED" : "FAILED");
  return clients_ok && fds_ok && accepted == static_cast<std::size_t>(n) ? 0 : 1;
}
