// The hub's IO waiting for triad::net::socket in green threads (hub.hpp, net/io_waiter.hpp).
#include "triad/green/hub.hpp"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <string>

#include "triad/green/spawn.hpp"
#include "triad/net/socket.hpp"
#include "triad/threading/event.hpp"

namespace tg = triad::green;

namespace {

// A short recv empties the socket, so the next recv waits in the hub before the system call;
// an EOF (or reset) that arrived in the same readiness report as the data must still end it.
TEST(HubIo, RecvAfterShortReadSeesEofThatCameWithTheData) {
  auto [a, b] = triad::net::socketpair();
  auto g = tg::spawn([&b] {
    std::string first = b.recv(4096);   // waits: the fd is now registered with the hub
    std::string second = b.recv(4096);  // after a short read: waits first
    return first + "|" + second;
  });
  tg::sleep();  // ok-sleep: sleep(0) is a deterministic yield: g runs until it waits
  a.sendall("hel");
  a.shutdown(SHUT_WR);
  EXPECT_EQ(g.get(triad::seconds(30)), "hel|");
}

TEST(HubIo, RecvAfterShortReadGetsLaterData) {
  auto [a, b] = triad::net::socketpair();
  triad::Event first_read;
  auto g = tg::spawn([&b, &first_read] {
    std::string first = b.recv(4096);
    first_read.set();
    std::string second = b.recv(4096);  // after a short read: waits first, woken by "two"
    return first + "|" + second;
  });
  a.sendall("one");
  first_read.wait();  // main parks: g reads "one" (a short read)
  a.sendall("two");
  EXPECT_EQ(g.get(triad::seconds(30)), "one|two");
}

}  // namespace
