// monkey::patch_all(): plain blocking libc calls yield to the hub inside green threads and go
// straight through elsewhere. Includes the libcurl test: an unmodified third-party
// blocking client made concurrent.
#include "triad/green/monkey.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "triad/green/hub.hpp"
#include "triad/green/spawn.hpp"

#if defined(TRIAD_HAVE_CURL)
#include <curl/curl.h>
#endif

namespace tg = triad::green;
using namespace std::chrono_literals;

namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class Monkey : public ::testing::Test {
 protected:
  void SetUp() override { tg::monkey::patch_all(); }
  void TearDown() override { tg::monkey::unpatch_all(); }
};

TEST(MonkeyLink, IsLinkedInThisBinary) { EXPECT_TRUE(tg::monkey::is_linked()); }

TEST_F(Monkey, PatchedSleepsOverlap) {  // S03's shape: usleep 50/100/150 ms -> ~150 ms total
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<tg::BasicGreenlet> gs;
  for (useconds_t us : {50000u, 100000u, 150000u}) {
    gs.push_back(tg::spawn([us] { ::usleep(us); }));  // ok-sleep: the subject
  }
  tg::joinall(gs);
  const double took = since(t0);
  EXPECT_GE(took, 0.149);
  EXPECT_LT(took, 0.28);
}

TEST_F(Monkey, NanosleepAndClockNanosleepYield) {
  std::vector<std::string> log;
  // b's absolute deadline is taken before either starts, so it is always the earlier one
  // (a sleeps 100 ms from its own start), however late the green threads get to run.
  timespec b_deadline{};
  ::clock_gettime(CLOCK_MONOTONIC, &b_deadline);
  b_deadline.tv_nsec += 10 * 1000 * 1000;
  if (b_deadline.tv_nsec >= 1000000000L) {
    b_deadline.tv_nsec -= 1000000000L;
    b_deadline.tv_sec += 1;
  }
  auto a = tg::spawn([&] {
    timespec ts{0, 100 * 1000 * 1000};
    ::nanosleep(&ts, nullptr);  // ok-sleep: the subject
    log.push_back("a");
  });
  auto b = tg::spawn([&] {
    ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &b_deadline, nullptr);  // ok-sleep: subject
    log.push_back("b");
  });
  tg::joinall({a, b});
  EXPECT_EQ(log, (std::vector<std::string>{"b", "a"}));
}

TEST_F(Monkey, OutsideGreenThreadsCallsGoStraightThrough) {
  std::thread t([] {
    EXPECT_EQ(tg::Hub::current_if_exists(), nullptr);
    ::usleep(1000);  // ok-sleep: must not create a hub
    EXPECT_EQ(tg::Hub::current_if_exists(), nullptr);
  });
  t.join();
}

TEST_F(Monkey, BlockingSocketReadYieldsAndKeepsBlockingSemantics) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::vector<std::string> log;
  auto reader = tg::spawn([&] {
    char buf[16] = {};
    log.push_back("read");
    const ssize_t n = ::read(sv[0], buf, sizeof buf);  // blocks this green thread only
    log.push_back("got " + std::string(buf, n > 0 ? static_cast<size_t>(n) : 0));
    // The user never asked for O_NONBLOCK: fcntl says blocking.
    log.push_back((::fcntl(sv[0], F_GETFL) & O_NONBLOCK) ? "nonblocking" : "blocking");
  });
  auto writer = tg::spawn([&] {
    log.push_back("write");
    EXPECT_EQ(::write(sv[1], "hi", 2), 2);
  });
  tg::joinall({reader, writer});
  EXPECT_EQ(log, (std::vector<std::string>{"read", "write", "got hi", "blocking"}));
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_F(Monkey, UserNonBlockingSocketStillGetsEagain) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto g = tg::spawn([&] {
    ::fcntl(sv[0], F_SETFL, ::fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    char c;
    const ssize_t n = ::recv(sv[0], &c, 1, 0);
    return n == -1 && errno == EAGAIN && (::fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0;
  });
  EXPECT_TRUE(g.get());
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_F(Monkey, RecvTimeoutOptionIsHonoured) {  // no invented timeouts, but SO_RCVTIMEO is kept
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  timeval tv{0, 30000};
  ASSERT_EQ(::setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  auto g = tg::spawn([&] {
    char c;
    const ssize_t n = ::recv(sv[0], &c, 1, 0);
    return n == -1 && errno == EAGAIN;
  });
  EXPECT_TRUE(g.get());
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_F(Monkey, RecvTimeoutSetAfterFirstUseIsHonoured) {  // the setsockopt wrapper keeps it
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ASSERT_EQ(::write(sv[1], "x", 1), 1);
  auto g = tg::spawn([&] {
    char c;
    if (::recv(sv[0], &c, 1, 0) != 1) return false;  // classifies the socket (no timeout yet)
    timeval tv{0, 30000};
    if (::setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) return false;
    const ssize_t n = ::recv(sv[0], &c, 1, 0);
    return n == -1 && errno == EAGAIN;
  });
  EXPECT_TRUE(g.get(triad::seconds(30)));
  ::close(sv[0]);
  ::close(sv[1]);
}

// A short read empties the socket, so the next read waits in the hub before reading; an EOF
// that arrived together with the data (one readiness report) must still end that wait.
TEST_F(Monkey, ReadAfterShortReadSeesEofThatCameWithTheData) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto g = tg::spawn([&] {
    char buf[64];
    const ssize_t a = ::read(sv[0], buf, sizeof buf);  // waits: registers the fd in the hub
    const ssize_t b = ::read(sv[0], buf, sizeof buf);  // short read before: waits first
    return a == 3 && b == 0;
  });
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield: g runs until it waits
  ASSERT_EQ(::write(sv[1], "hel", 3), 3);
  ::shutdown(sv[1], SHUT_WR);
  EXPECT_TRUE(g.get(triad::seconds(30)));
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_F(Monkey, PollWaitsInTheHub) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::vector<std::string> log;
  auto poller = tg::spawn([&] {
    pollfd p{sv[0], POLLIN, 0};
    const int r = ::poll(&p, 1, 5000);
    log.push_back("poll " + std::to_string(r) + ((p.revents & POLLIN) ? " in" : ""));
    pollfd q{sv[0], POLLIN, 0};
    char buf[4];
    (void)::read(sv[0], buf, sizeof buf);
    log.push_back("timeout " + std::to_string(::poll(&q, 1, 20)));
  });
  auto writer = tg::spawn([&] {
    log.push_back("write");
    (void)::write(sv[1], "x", 1);
  });
  tg::joinall({poller, writer});
  EXPECT_EQ(log, (std::vector<std::string>{"write", "poll 1 in", "timeout 0"}));
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_F(Monkey, SelectWaitsInTheHub) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto sel = tg::spawn([&] {
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(sv[0], &rd);
    timeval tv{5, 0};
    const int r = ::select(sv[0] + 1, &rd, nullptr, nullptr, &tv);
    return r == 1 && FD_ISSET(sv[0], &rd);
  });
  auto writer = tg::spawn([&] { (void)::write(sv[1], "x", 1); });
  EXPECT_TRUE(sel.get());
  writer.join();
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_F(Monkey, AcceptAndConnectOverTcp) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  ::listen(lfd, 16);
  auto server = tg::spawn([&] {
    const int c = ::accept(lfd, nullptr, nullptr);
    char buf[8];
    const ssize_t n = ::recv(c, buf, sizeof buf, 0);
    (void)::send(c, buf, static_cast<size_t>(n), 0);
    ::close(c);
    return n;
  });
  auto client = tg::spawn([&] {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    (void)::send(s, "ping", 4, 0);
    char buf[8] = {};
    const ssize_t n = ::recv(s, buf, sizeof buf, 0);
    ::close(s);
    return std::string(buf, static_cast<size_t>(n));
  });
  EXPECT_EQ(client.get(), "ping");
  EXPECT_EQ(server.get(), 4);
  ::close(lfd);
}

TEST_F(Monkey, KillInterruptsPatchedRead) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto g = tg::spawn([&] {
    char c;
    (void)::read(sv[0], &c, 1);
    ADD_FAILURE() << "read returned";
  });
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield through the hub, not a timed wait
  g.kill();
  EXPECT_TRUE(g.ready());
  EXPECT_TRUE(g.successful());
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_F(Monkey, ThreadedResolverResolvesLoopback) {
  auto g = tg::spawn([] { return tg::monkey::resolve("127.0.0.1", "80", AF_INET, SOCK_STREAM); });
  const auto res = g.get();
  ASSERT_FALSE(res.empty());
  EXPECT_EQ(res[0].family, AF_INET);
}

#if defined(TRIAD_HAVE_CURL)
// A thread-per-connection HTTP server on OS threads (not green, not patched in effect): each
// answer is delayed by `delay`.
class SlowHttpServer {
 public:
  explicit SlowHttpServer(std::chrono::milliseconds delay) : delay_(delay) {
    lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(lfd_, 128);
    acceptor_ = std::thread([this] { run(); });
  }
  ~SlowHttpServer() {
    stop_ = true;
    ::shutdown(lfd_, SHUT_RDWR);
    acceptor_.join();
    for (auto& t : workers_) t.join();
    ::close(lfd_);
  }
  int port() const { return port_; }

 private:
  void run() {
    while (!stop_) {
      const int c = ::accept(lfd_, nullptr, nullptr);
      if (c < 0) return;
      workers_.emplace_back([this, c] {
        std::string req;
        char buf[1024];
        while (req.find("\r\n\r\n") == std::string::npos) {
          const ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          req.append(buf, static_cast<size_t>(n));
        }
        std::this_thread::sleep_for(delay_);  // ok-sleep: the server's simulated latency
        const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        (void)::send(c, resp, sizeof resp - 1, MSG_NOSIGNAL);
        ::close(c);
      });
    }
  }
  std::chrono::milliseconds delay_;
  int lfd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

size_t collect(char* p, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}

TEST_F(Monkey, LibcurlEasyRequestsRunConcurrentlyOnOneThread) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  SlowHttpServer server(200ms);
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  constexpr int kRequests = 50;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<tg::Greenlet<std::string>> gs;
  for (int i = 0; i < kRequests; ++i) {
    gs.push_back(tg::spawn([&url]() -> std::string {
      CURL* h = curl_easy_init();  // plain, unmodified blocking libcurl
      std::string body;
      curl_easy_setopt(h, CURLOPT_URL, url.c_str());
      curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect);
      curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
      const CURLcode rc = curl_easy_perform(h);
      curl_easy_cleanup(h);
      return rc == CURLE_OK ? body : std::string("curl error ") + curl_easy_strerror(rc);
    }));
  }
  std::vector<tg::BasicGreenlet> all(gs.begin(), gs.end());
  tg::joinall(all);
  const double took = since(t0);
  for (auto& g : gs) EXPECT_EQ(g.get(), "ok");
  // Serial: 50 x 0.2 s = 10 s. Concurrent: ~0.2 s plus overhead; generous bound.
  EXPECT_LT(took, 5.0) << "took " << took << " s";
  RecordProperty("elapsed_seconds", std::to_string(took));
  curl_global_cleanup();
}
#endif

}  // namespace
