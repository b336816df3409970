// gevent.pool.Group / Pool behaviour (test__pool.py, test__group.py) and StreamServer
// (test__server.py): bounded concurrency, join, kill, and a green echo server.
#include "triad/green/pool.hpp"

#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "triad/green/hub.hpp"
#include "triad/green/server.hpp"
#include "triad/net/socket.hpp"
#include "triad/threading/event.hpp"

namespace tg = triad::green;
using namespace std::chrono_literals;

namespace {

TEST(Group, TracksAndForgetsFinishedGreenlets) {
  tg::Group group;
  auto a = group.spawn([] { tg::sleep(triad::seconds(0.01)); });  // ok-sleep: keeps it alive
  auto b = group.spawn([] { return 1; });
  EXPECT_EQ(group.size(), 2u);
  EXPECT_TRUE(group.contains(a));
  EXPECT_TRUE(group.join(triad::seconds(10)));
  EXPECT_EQ(group.size(), 0u);
  EXPECT_TRUE(a.ready() && b.ready());
}

TEST(Group, KillKillsMembers) {
  tg::Group group;
  for (int i = 0; i < 5; ++i) group.spawn([] { tg::sleep(triad::seconds(30)); });  // ok-sleep: killed
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  group.kill();
  EXPECT_EQ(group.size(), 0u);
}

TEST(Group, JoinRaiseError) {
  tg::Group group;
  group.spawn([] { throw std::length_error("bad"); });
  EXPECT_THROW(group.join({}, true), std::length_error);
}

TEST(Pool, BoundsConcurrency) {  // test__pool: test_pool_size
  tg::Pool pool(3);
  int running = 0;
  int peak = 0;
  for (int i = 0; i < 12; ++i) {
    pool.spawn([&] {
      ++running;
      peak = std::max(peak, running);
      tg::sleep(triad::seconds(0.002));  // ok-sleep: holds the slot
      --running;
    });
    EXPECT_LE(pool.size(), 3u);
  }
  pool.join();
  EXPECT_EQ(peak, 3);
  EXPECT_EQ(pool.free_count(), 3u);
}

TEST(Pool, ZeroSizeIsRejected) { EXPECT_THROW(tg::Pool(0), triad::ValueError); }

TEST(Pool, WaitAvailableTimesOut) {
  tg::Pool pool(1);
  auto g = pool.spawn([] { tg::sleep(triad::seconds(30)); });  // ok-sleep: killed
  EXPECT_TRUE(pool.full());
  EXPECT_EQ(pool.wait_available(10ms), 0u);
  g.kill();
  EXPECT_EQ(pool.wait_available(triad::seconds(5)), 1u);
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(StreamServer, UpperCaseEchoManyClients) {
  tg::StreamServer server({"127.0.0.1", 0}, [](triad::net::socket& conn, const triad::net::Address&) {
    for (;;) {
      std::string data = conn.recv(1024);
      if (data.empty()) return;
      conn.sendall(upper(data));
    }
  });
  server.start();
  const auto addr = server.address();
  std::vector<tg::Greenlet<std::string>> clients;
  for (int i = 0; i < 50; ++i) {
    clients.push_back(tg::spawn([addr, i] {
      auto s = triad::net::create_connection(addr);
      s.sendall("hello " + std::to_string(i));
      std::string got = s.recv(1024);
      s.close();
      return got;
    }));
  }
  for (int i = 0; i < 50; ++i) EXPECT_EQ(clients[static_cast<size_t>(i)].get(), "HELLO " + std::to_string(i));
  server.stop();
  EXPECT_EQ(server.accepted(), 50u);
}

TEST(StreamServer, PoolLimitAndClientReset) {
  std::atomic<int> handled{0};
  triad::Event all_handled;
  tg::StreamServer server(
      {"127.0.0.1", 0},
      [&](triad::net::socket& conn, const triad::net::Address&) {
        try {
          while (!conn.recv(64).empty()) {
          }
        } catch (const triad::net::ConnectionResetError&) {
        }
        if (++handled == 4) all_handled.set();
      },
      2);
  server.start();
  const auto addr = server.address();
  std::thread t([addr] {  // an OS-thread client that resets its connections
    for (int i = 0; i < 4; ++i) {
      auto s = triad::net::create_connection(addr);
      linger lg{1, 0};
      s.setsockopt(SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      s.sendall("x");
      s.close();  // RST
    }
  });
  t.join();
  EXPECT_TRUE(all_handled.wait(triad::seconds(30)));  // main parks: the hub serves meanwhile
  EXPECT_EQ(handled.load(), 4);
  server.stop();
}

}  // namespace

namespace {

int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

// The stress test, scaled to the machine: many concurrent clients (green threads of
// another OS thread's hub), some sending garbage, some resetting mid-conversation: the server
// survives, serves the well-behaved ones, and leaks no fd.
TEST(StreamServer, ConcurrentClientsWithResetsAndGarbageLeakNoFd) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr int kClients = 200;
#else
  constexpr int kClients = 1000;
#endif
  // The server runs on this thread's hub, whose epoll fd and eventfd live as long as the
  // thread: create it first so that only the connections' fds are counted.
  (void)tg::get_hub();
  const int fds_before = open_fds();
  std::atomic<int> good{0};
  {
    tg::StreamServer server({"127.0.0.1", 0},
                            [](triad::net::socket& conn, const triad::net::Address&) {
                              for (;;) {
                                std::string data = conn.recv(4096);
                                if (data.empty()) return;
                                conn.sendall(upper(data));
                              }
                            });
    server.start();
    const auto addr = server.address();
    triad::Event done;
    std::thread clients([&] {
      std::vector<tg::BasicGreenlet> gs;
      for (int i = 0; i < kClients; ++i) {
        gs.push_back(tg::spawn([addr, i, &good] {
          try {
            auto s = triad::net::create_connection(addr);
            if (i % 5 == 1) {  // reset at once
              linger lg{1, 0};
              s.setsockopt(SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
              s.close();
              return;
            }
            std::string msg = i % 5 == 2 ? std::string("\xff\x00\xfe garbage", 11) : "hello";
            s.sendall(msg);
            std::string got;
            while (got.size() < msg.size()) {
              std::string part = s.recv(4096);
              if (part.empty()) break;
              got += part;
            }
            if (i % 5 == 3) {  // reset after a reply
              linger lg{1, 0};
              s.setsockopt(SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            }
            if (got == upper(msg)) ++good;
            s.close();
          } catch (const triad::net::OSError&) {
          }
        }));
      }
      tg::joinall(gs);
      done.set();
    });
    EXPECT_TRUE(done.wait(triad::seconds(120)));  // main parks; the hub keeps serving
    clients.join();
    server.stop(triad::seconds(5));
  }
  EXPECT_EQ(good.load(), kClients - kClients / 5);
  EXPECT_EQ(open_fds(), fds_before);
}

}  // namespace
