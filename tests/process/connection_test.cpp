// Pipe / Connection. Ports _test_multiprocessing._TestConnection plus frame corruption.
#include "triad/process/connection.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "process/leak_check.hpp"
#include "triad/process/process.hpp"

namespace tp = triad::process;

namespace {

struct Point {
  int x = 0;
  std::string label;
  template <class A>
  void serialize(A& ar) {
    ar(x, label);
  }
  bool operator==(const Point&) const = default;
};

class ConnectionTest : public tp::testing::LeakCheckedTest {};

TEST_F(ConnectionTest, SendRecvValuesBetweenProcesses) {
  auto [a, b] = tp::Pipe();
  tp::Process p([&] {
    a.close();
    auto v = b.recv<std::vector<int>>();
    b.send(static_cast<int>(v.size()));
    b.send(std::map<std::string, double>{{"pi", 3.14}});
    b.send(Point{7, "héllo wörld ✓"});
    b.send(std::string(1 << 20, 'z'));
  });
  p.start();
  b.close();
  a.send(std::vector<int>{1, 2, 3});
  EXPECT_EQ(a.recv<int>(), 3);
  EXPECT_EQ((a.recv<std::map<std::string, double>>().at("pi")), 3.14);
  EXPECT_EQ(a.recv<Point>(), (Point{7, "héllo wörld ✓"}));
  EXPECT_EQ(a.recv<std::string>(), std::string(1 << 20, 'z'));
  p.join();
  EXPECT_THROW((void)a.recv<int>(), triad::EOFError) << "the peer closed";
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(ConnectionTest, BytesOffsetsAndMaxlength) {
  auto [a, b] = tp::Pipe();
  a.send_bytes("abcdef", 2, 3);
  EXPECT_EQ(b.recv_bytes(), "cde");
  a.send_bytes("");
  EXPECT_EQ(b.recv_bytes(), "");
  EXPECT_THROW(a.send_bytes("abc", 4), triad::ValueError);
  EXPECT_THROW(a.send_bytes("abc", 1, 3), triad::ValueError);
  a.send_bytes("0123456789");
  EXPECT_THROW((void)b.recv_bytes(5), tp::OSError);
  EXPECT_TRUE(b.closed()) << "Python closes the connection after a bad length";
}

TEST_F(ConnectionTest, PollHonoursTimeout) {
  auto [a, b] = tp::Pipe();
  EXPECT_FALSE(b.poll());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(b.poll(std::chrono::milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
  a.send(1);
  EXPECT_TRUE(b.poll(triad::forever));
  EXPECT_EQ(b.recv<int>(), 1);
}

TEST_F(ConnectionTest, SimplexEnds) {
  auto [r, w] = tp::Pipe(false);
  EXPECT_TRUE(r.readable());
  EXPECT_FALSE(r.writable());
  EXPECT_THROW(r.send(1), tp::OSError);
  EXPECT_THROW((void)w.recv<int>(), tp::OSError);
  w.send(std::string("one way"));
  EXPECT_EQ(r.recv<std::string>(), "one way");
  w.close();
  EXPECT_THROW((void)r.recv<int>(), triad::EOFError);
  EXPECT_THROW(w.send(1), tp::OSError);
}

TEST_F(ConnectionTest, SendToClosedPeerIsBrokenPipe) {
  auto [a, b] = tp::Pipe();
  b.close();
  try {
    a.send(1);
    FAIL() << "expected OSError";
  } catch (const tp::OSError& e) {
    EXPECT_EQ(e.error_number(), EPIPE);
  }
}

TEST_F(ConnectionTest, TruncatedFrameIsAClearError) {
  auto [a, b] = tp::Pipe();
  const std::uint32_t len = 100;
  (void)!::write(a.fileno(), &len, 4);
  (void)!::write(a.fileno(), "short", 5);
  a.close();
  try {
    (void)b.recv_bytes();
    FAIL() << "expected OSError";
  } catch (const tp::OSError& e) {
    EXPECT_STREQ(e.what(), "got end of file during message");
  }
}

TEST_F(ConnectionTest, HugeCorruptedLengthDoesNotAllocate) {
  auto [a, b] = tp::Pipe();
  const std::uint32_t marker = 0xFFFFFFFFu;
  const std::uint64_t len = std::uint64_t{1} << 60;
  (void)!::write(a.fileno(), &marker, 4);
  (void)!::write(a.fileno(), &len, 8);
  (void)!::write(a.fileno(), "abc", 3);
  a.close();
  EXPECT_THROW((void)b.recv_bytes(), tp::OSError);
}

TEST_F(ConnectionTest, CorruptedPayloadIsValueError) {
  auto [a, b] = tp::Pipe();
  // A string whose announced length exceeds the frame.
  std::string bogus(8, '\0');
  const std::uint64_t n = 1'000'000;
  std::memcpy(bogus.data(), &n, 8);
  bogus += "xy";
  a.send_bytes(bogus);
  EXPECT_THROW((void)b.recv<std::string>(), triad::ValueError);
  a.send_bytes("abc");
  EXPECT_THROW((void)b.recv<int>(), triad::ValueError) << "3 bytes are not an int";
  // A bool is one byte, 0 or 1; anything else would be undefined behaviour once loaded.
  a.send_bytes(std::string(1, '\x02'));
  EXPECT_THROW((void)b.recv<bool>(), triad::ValueError);
  a.send_bytes(std::string("\x02\0\0\0\0\0\0\0\x01\x07", 10));  // vector<bool>{true, 7}
  EXPECT_THROW((void)b.recv<std::vector<bool>>(), triad::ValueError);
  a.send(true);
  EXPECT_TRUE(b.recv<bool>());
  a.send(std::vector<bool>{true, false});
  EXPECT_EQ(b.recv<std::vector<bool>>(), (std::vector<bool>{true, false}));
  a.send(42);
  EXPECT_EQ(b.recv<int>(), 42) << "the connection stays usable after a bad message";
}

// A long header (0xFFFFFFFF then a 64-bit length) announcing nearly 2^64 bytes must not wrap
// the frame arithmetic around into a short read (found by fuzz/fuzz_connection_frame).
TEST_F(ConnectionTest, HugeAnnouncedLengthIsAnError) {
  auto [a, b] = tp::Pipe();
  std::string frame("\xff\xff\xff\xff", 4);
  const std::uint64_t n = ~std::uint64_t{0} - 3;
  frame.append(reinterpret_cast<const char*>(&n), 8);
  frame += "hell";
  ASSERT_EQ(::write(a.fileno(), frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
  a.close();
  EXPECT_THROW((void)b.recv_bytes(), triad::Error);
}

TEST_F(ConnectionTest, LargeMessagesBothWays) {
  auto [a, b] = tp::Pipe();
  const std::string big(8 << 20, 'q');
  tp::Process p([&] {
    a.close();
    b.send_bytes(b.recv_bytes());  // echo
  });
  p.start();
  b.close();
  a.send_bytes(big);
  EXPECT_EQ(a.recv_bytes(), big);
  p.join();
}

TEST_F(ConnectionTest, ClosedHandle) {
  tp::Connection c;
  EXPECT_TRUE(c.closed());
  EXPECT_THROW(c.send(1), tp::OSError);
  EXPECT_THROW((void)c.poll(), tp::OSError);
  EXPECT_THROW((void)c.fileno(), tp::OSError);
}

}  // namespace
