#include "triad/net/io_waiter.hpp"

#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "triad/net/socket.hpp"

using namespace std::chrono_literals;
namespace net = triad::net;
using net::Events;
using net::WaitResult;

namespace {

TEST(IoWaiter, DefaultIsThePollWaiter) {
  EXPECT_EQ(&net::current_io_waiter(), &net::thread_io_waiter());
}

TEST(IoWaiter, PollWaiterReportsReadyAndTimeouts) {
  auto [a, b] = net::socketpair();
  auto& w = net::thread_io_waiter();
  EXPECT_EQ(w.wait(a.fileno(), Events::readable, triad::Deadline::after(30ms)), WaitResult::timed_out);
  EXPECT_EQ(w.wait(a.fileno(), Events::writable, triad::Deadline::never()), WaitResult::ready);
  // An expired deadline checks once.
  EXPECT_EQ(w.wait(a.fileno(), Events::readable, triad::Deadline::after(0s)), WaitResult::timed_out);
  b.sendall("x");
  EXPECT_EQ(w.wait(a.fileno(), Events::readable, triad::Deadline::after(0s)), WaitResult::ready);
}

// A scheduler-style waiter that records the calls and answers as told.
class ScriptedWaiter final : public net::IoWaiter {
 public:
  WaitResult answer = WaitResult::timed_out;
  int waits = 0;
  int last_fd = -1;
  Events last_events = Events::none;
  int closings = 0;
  WaitResult wait(int fd, Events events, triad::Deadline) override {
    ++waits;
    last_fd = fd;
    last_events = events;
    return answer;
  }
  void closing(int) noexcept override { ++closings; }
};

TEST(IoWaiter, SocketsWaitThroughTheInstalledWaiter) {
  ScriptedWaiter sw;
  net::IoWaiter* prev = net::exchange_io_waiter(&sw);
  EXPECT_EQ(prev, &net::thread_io_waiter());
  EXPECT_EQ(&net::current_io_waiter(), &sw);
  {
    auto [a, b] = net::socketpair();
    EXPECT_THROW((void)a.recv(1), triad::TimeoutError);
    EXPECT_EQ(sw.waits, 1);
    EXPECT_EQ(sw.last_fd, a.fileno());
    EXPECT_EQ(sw.last_events, Events::readable);
    sw.answer = WaitResult::closed;
    try {
      (void)a.recv(1);
      ADD_FAILURE();
    } catch (const net::OSError& e) {
      EXPECT_EQ(e.errnum(), EBADF);
    }
    // Data ready: no wait at all.
    b.sendall("x");
    EXPECT_EQ(a.recv(1), "x");
    EXPECT_EQ(sw.waits, 2);
  }
  EXPECT_EQ(sw.closings, 2);  // both sockets announced their close
  // Other threads are unaffected.
  std::thread([] { EXPECT_EQ(&net::current_io_waiter(), &net::thread_io_waiter()); }).join();
  EXPECT_EQ(net::exchange_io_waiter(prev), &sw);
  EXPECT_EQ(&net::current_io_waiter(), &net::thread_io_waiter());
}

}  // namespace
