// S36: examples/s36_io_models.cpp and the seven servers of examples/s36_io_models/.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "s36_io_models/io_models.hpp"
#include "tour/scenario.hpp"

namespace {

using io_models::IoModelServer;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::size_t kBig = std::size_t{512} << 10;
#else
constexpr std::size_t kBig = std::size_t{1} << 20;
#endif

TEST(S36Scenario, Passes) {
  ASSERT_NE(tour::find_scenario("S36"), nullptr);
  const auto r = tour::run_scenario(*tour::find_scenario("S36"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.checks, 7U);
  for (const std::string_view model : io_models::model_names()) {
    EXPECT_NE(r.output.find("[ok] " + std::string(model) + ": every client got its bytes back"), std::string::npos)
        << model << "\n" << r.output;
    EXPECT_NE(r.output.find("[" + std::string(model) + "] cost: "), std::string::npos) << model;
  }
}

TEST(S36Models, SevenModelsInTheSeedsOrder) {
  const std::vector<std::string_view> expected{"blocking", "nonblocking", "select", "poll",
                                               "epoll",    "io_uring",    "signal"};
  EXPECT_EQ(io_models::model_names(), expected);
  for (const std::string_view m : expected) {
    const auto s = io_models::make_server(m);
    ASSERT_NE(s, nullptr) << m;
    EXPECT_EQ(s->name(), m);
    EXPECT_FALSE(s->cost().empty());
    EXPECT_FALSE(s->running());
    s->stop();  // a no-op before start()
  }
  EXPECT_EQ(io_models::make_server("kqueue"), nullptr);
}

class S36Model : public ::testing::TestWithParam<std::string_view> {
 protected:
  std::unique_ptr<IoModelServer> server_ = io_models::make_server(GetParam());
};

std::string param_name(const ::testing::TestParamInfo<std::string_view>& info) { return std::string(info.param); }

INSTANTIATE_TEST_SUITE_P(AllModels, S36Model, ::testing::ValuesIn(io_models::model_names()), param_name);

// The same client check against every model.
TEST_P(S36Model, PassesTheClientCheck) {
  const int port = server_->start();
  ASSERT_GT(port, 0);
  EXPECT_TRUE(server_->running());
  const auto r = io_models::run_client_check(port, {.clients = 6, .big = kBig});
  EXPECT_TRUE(r.passed()) << r.error;
  EXPECT_EQ(r.clients, 6);
  EXPECT_EQ(r.clients_ok, 6);
  EXPECT_EQ(r.messages, 6 * 6);
  EXPECT_EQ(r.half_close_eof, 3);
  EXPECT_EQ(r.plain_closes, 3);
  EXPECT_EQ(r.bytes, 6 * (1 + 7 + 1000 + 65539 + kBig + 100));
  EXPECT_TRUE(r.reset_survived);
  server_->stop();
  EXPECT_FALSE(server_->running());
  EXPECT_EQ(server_->accepted(), 6U + 2U);  // the clients, the resetting one, the one after it
}

// stop() with clients still connected (idle, and in the middle of a message) closes every fd
// it opened and joins its threads; the clients see the connection end.
TEST_P(S36Model, StopWithOpenConnectionsLeaksNoFd) {
  const int before = io_models::count_open_fds();
  const int port = server_->start();
  EXPECT_GT(io_models::count_open_fds(), before);
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(io_models::connect_local(port));
    ASSERT_GE(clients.back(), 0);
  }
  ASSERT_TRUE(io_models::echo_once(port));  // the server is serving (and accepted the 3 above)
  const std::string half = "no newline, no end";
  ASSERT_EQ(::send(clients[0], half.data(), half.size(), MSG_NOSIGNAL), static_cast<ssize_t>(half.size()));
  server_->stop();
  EXPECT_FALSE(server_->running());
  for (const int c : clients) {  // each connection was closed by the server: EOF or reset
    pollfd p{c, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1);
    char buf[64];
    ssize_t n = 0;
    while ((n = ::recv(c, buf, sizeof buf, 0)) > 0) {
    }
    EXPECT_LE(n, 0);
    ::close(c);
  }
  EXPECT_EQ(io_models::count_open_fds(), before);
  // And the server can be started again.
  const int port2 = server_->start();
  EXPECT_TRUE(io_models::echo_once(port2));
  server_->stop();
  EXPECT_EQ(io_models::count_open_fds(), before);
}

// stop() right after start(), before the server thread had a chance to run.
TEST_P(S36Model, StopRightAfterStart) {
  const int before = io_models::count_open_fds();
  for (int i = 0; i < 3; ++i) {
    server_->start();
    server_->stop();
  }
  EXPECT_EQ(io_models::count_open_fds(), before);
}

TEST_P(S36Model, StartTwiceIsALogicError) {
  server_->start();
  EXPECT_THROW(server_->start(), std::logic_error);
  server_->stop();
}

// A client that resets its connection while the server is echoing to it does not kill the
// server (no SIGPIPE, no error escaping the loop), and the other clients stay served.
TEST_P(S36Model, ResettingClientDoesNotKillTheServer) {
  const int port = server_->start();
  const int bystander = io_models::connect_local(port);
  ASSERT_GE(bystander, 0);
  for (int i = 0; i < 3; ++i) {
    const int c = io_models::connect_local(port);
    ASSERT_GE(c, 0);
    const std::vector<char> data(200 * 1024, 'r');
    ASSERT_GT(::send(c, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL), 0);
    pollfd p{c, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1);  // the echo has started
    const linger hard{1, 0};
    ::setsockopt(c, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(c);  // RST
  }
  EXPECT_TRUE(io_models::echo_once(port));
  const std::string msg = "bystander";
  ASSERT_EQ(::send(bystander, msg.data(), msg.size(), MSG_NOSIGNAL), static_cast<ssize_t>(msg.size()));
  std::string back;
  char buf[64];
  while (back.size() < msg.size()) {
    pollfd p{bystander, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1);
    const ssize_t n = ::recv(bystander, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    back.append(buf, static_cast<std::size_t>(n));
  }
  EXPECT_EQ(back, msg);
  ::close(bystander);
  server_->stop();
}

// A client that writes without reading fills the server's socket buffers: a non-blocking
// server must hold the unsent echo, stop reading, and wait for writability (it counts each
// such wait), and lose nothing. The blocking server simply sleeps in send(); io_uring's send
// request waits inside the kernel — they are only checked for the bytes.
TEST_P(S36Model, SlowReaderGetsEveryByte) {
  const int port = server_->start();
  const int c = io_models::connect_local(port);
  ASSERT_GE(c, 0);
  ::fcntl(c, F_SETFL, ::fcntl(c, F_GETFL) | O_NONBLOCK);
  const bool counts_waits = GetParam() != "blocking" && GetParam() != "io_uring";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  // Byte i of the stream is pattern[i % kPeriod]; the pattern is long enough that any 64 KiB
  // window of the stream is one contiguous slice of it (cheap under the sanitizers).
  constexpr std::size_t kPeriod = 65521;  // prime: no alignment with chunk sizes
  constexpr std::size_t kChunk = 64 * 1024;
  std::vector<char> pattern(kPeriod + kChunk);
  for (std::size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>(((i % kPeriod) * 7) ^ ((i % kPeriod) >> 10));
  auto window = [&](std::uint64_t pos) { return pattern.data() + pos % kPeriod; };
  std::uint64_t sent = 0;
  std::uint64_t seen = 0;
  // Phase 1: write only, until the server had to wait for a full socket (or, for the models
  // that do not count, a fixed 8 MiB: more than the default socket buffers hold).
  while (counts_waits ? server_->partial_writes() == 0 : sent < (std::uint64_t{8} << 20)) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "sent " << sent;
    const ssize_t n = ::send(c, window(sent), kChunk, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::uint64_t>(n);
      continue;
    }
    ASSERT_TRUE(n < 0 && errno == EAGAIN) << std::strerror(errno);
    if (!counts_waits) break;  // everything is full: go and read
    pollfd p{c, POLLOUT, 0};
    ::poll(&p, 1, 20);  // the server may still be catching up; then look at its counter again
  }
  ::shutdown(c, SHUT_WR);
  // Phase 2: read everything back, then the server's EOF.
  char buf[65536];
  for (;;) {
    pollfd p{c, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 30000), 1) << "seen " << seen << " of " << sent;
    const ssize_t n = ::recv(c, buf, sizeof buf, 0);
    if (n < 0 && errno == EAGAIN) continue;
    ASSERT_GE(n, 0) << std::strerror(errno);
    if (n == 0) break;
    ASSERT_EQ(std::memcmp(buf, window(seen), static_cast<std::size_t>(n)), 0) << "wrong bytes after " << seen;
    seen += static_cast<std::uint64_t>(n);
  }
  EXPECT_EQ(seen, sent);
  if (counts_waits) {
    EXPECT_GT(server_->partial_writes(), 0U);
  }
  ::close(c);
  server_->stop();
}

}  // namespace
