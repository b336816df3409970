// Streams (include/triad/aio/streams.hpp): ports of test_asyncio/test_streams.py.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

#include <string>
#include <vector>

#include "net/fd_count.hpp"
#include "triad/aio.hpp"
#include "triad/aio/streams.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

// Runs body on a fresh loop (the readers below need a running loop for their awaits).
template <class F>
void run(F body) {
  aio::run(body());
}

// The socket tests run on every Reactor backend: StreamsOn/<test>/epoll and .../io_uring
// (skipped where the kernel refuses io_uring).
class StreamsOn : public ::testing::TestWithParam<triad::net::Backend> {
 protected:
  void SetUp() override {
    if (!triad::net::Reactor::available(GetParam())) {
      GTEST_SKIP() << triad::net::to_string(GetParam()) << " is not available here";
    }
  }
  // aio::run(body()) on a loop with this test's backend.
  template <class F>
  void run(F body) {
    aio::EventLoop loop(GetParam());
    loop.run_until_complete(body());
    loop.close();
  }
};

TEST(StreamReader, ReadFedData) {
  run([]() -> aio::Task<void> {
    aio::StreamReader r;
    r.feed_data("line1\nline2\n");
    EXPECT_EQ(co_await r.read(3), "lin");
    EXPECT_EQ(co_await r.readline(), "e1\n");
    EXPECT_EQ(co_await r.read(0), "");
    r.feed_eof();
    EXPECT_EQ(co_await r.read(-1), "line2\n");
    EXPECT_TRUE(r.at_eof());
    EXPECT_EQ(co_await r.read(5), "");
    EXPECT_EQ(co_await r.readline(), "");
  });
}

TEST(StreamReader, ReadWaitsForData) {
  run([]() -> aio::Task<void> {
    aio::StreamReader r;
    aio::get_running_loop().call_soon([r]() mutable { r.feed_data("chunk"); });
    EXPECT_EQ(co_await r.read(100), "chunk");
  });
}

TEST(StreamReader, ReadUntilEofConcatenates) {
  run([]() -> aio::Task<void> {
    aio::StreamReader r;
    auto& loop = aio::get_running_loop();
    loop.call_soon([r]() mutable { r.feed_data("a"); });
    loop.call_later(1ms, [r]() mutable {
      r.feed_data("b");
      r.feed_eof();
    });
    EXPECT_EQ(co_await r.read(), "ab");
  });
}

TEST(StreamReader, ReadExactly) {
  run([]() -> aio::Task<void> {
    aio::StreamReader r;
    r.feed_data("12345678");
    EXPECT_EQ(co_await r.readexactly(3), "123");
    EXPECT_EQ(co_await r.readexactly(0), "");
    EXPECT_THROW(co_await r.readexactly(-1), triad::ValueError);
    r.feed_eof();
    try {
      co_await r.readexactly(10);
      ADD_FAILURE();
    } catch (const aio::IncompleteReadError& e) {
      EXPECT_EQ(e.partial(), "45678");
      EXPECT_EQ(e.expected(), std::optional<std::size_t>(10));
      EXPECT_STREQ(e.what(), "5 bytes read on a total of 10 expected bytes");
    }
  });
}

TEST(StreamReader, ReadUntil) {
  run([]() -> aio::Task<void> {
    aio::StreamReader r;
    r.feed_data("aaa||bbb||c");
    EXPECT_EQ(co_await r.readuntil("||"), "aaa||");
    EXPECT_EQ(co_await r.readuntil("||"), "bbb||");
    EXPECT_THROW(co_await r.readuntil(""), triad::ValueError);
    r.feed_eof();
    try {
      co_await r.readuntil("||");
      ADD_FAILURE();
    } catch (const aio::IncompleteReadError& e) {
      EXPECT_EQ(e.partial(), "c");
      EXPECT_FALSE(e.expected().has_value());
      EXPECT_STREQ(e.what(), "1 bytes read on a total of undefined expected bytes");
    }
  });
}

TEST(StreamReader, LimitOverrun) {
  run([]() -> aio::Task<void> {
    aio::StreamReader r(3);
    r.feed_data("abcdef");
    try {
      co_await r.readuntil("\n");
      ADD_FAILURE();
    } catch (const aio::LimitOverrunError& e) {
      EXPECT_STREQ(e.what(), "Separator is not found, and chunk exceed the limit");
      EXPECT_EQ(e.consumed(), 6U);
    }
    r.feed_data("\nxy");
    try {
      co_await r.readuntil("\n");
      ADD_FAILURE();
    } catch (const aio::LimitOverrunError& e) {
      EXPECT_STREQ(e.what(), "Separator is found, but chunk is longer than limit");
    }
    // readline turns it into ValueError and drops the overlong line.
    EXPECT_THROW(co_await r.readline(), triad::ValueError);
    r.feed_data("\n");
    EXPECT_EQ(co_await r.readline(), "xy\n");
    EXPECT_THROW(aio::StreamReader(std::size_t{0}), triad::ValueError);
  });
}

TEST(StreamReader, ConcurrentReadIsRuntimeError) {
  run([]() -> aio::Task<void> {
    aio::StreamReader r;
    auto first = aio::create_task(r.read(1));
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    try {
      co_await r.read(1);
      ADD_FAILURE();
    } catch (const triad::RuntimeError& e) {
      EXPECT_STREQ(e.what(), "read() called while another coroutine is already waiting for incoming data");
    }
    r.feed_data("x");
    EXPECT_EQ(co_await first, "x");
  });
}

TEST(StreamReader, ExceptionIsRaisedByReads) {
  run([]() -> aio::Task<void> {
    aio::StreamReader r;
    auto reader = aio::create_task(r.readline());
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    r.set_exception(std::make_exception_ptr(triad::ValueError("broken")));
    EXPECT_THROW(co_await reader, triad::ValueError);
    EXPECT_THROW(co_await r.read(1), triad::ValueError);
  });
}

TEST(StreamReader, CancelledReadKeepsBuffer) {
  run([]() -> aio::Task<void> {
    aio::StreamReader r;
    r.feed_data("ab");
    auto t = aio::create_task(r.readexactly(3));
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    t.cancel();
    EXPECT_THROW(co_await t, triad::CancelledError);
    EXPECT_EQ(r.buffered(), 2U);
    r.feed_data("c");
    EXPECT_EQ(co_await r.readexactly(3), "abc");
  });
}

aio::Task<void> upper_echo(aio::StreamReader r, aio::StreamWriter w) {
  for (;;) {
    std::string line = co_await r.readline();
    if (line.empty()) break;
    for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    w.write(line);
    co_await w.drain();
  }
  w.close();
  co_await w.wait_closed();
}

TEST_P(StreamsOn, EchoServerAndClients) {
  const std::size_t fds_before = triad_test::open_fd_count();
  run([]() -> aio::Task<void> {
    aio::Server srv = co_await aio::start_server(upper_echo, "127.0.0.1", 0);
    EXPECT_TRUE(srv.is_serving());
    const int port = srv.port();
    EXPECT_GT(port, 0);
    auto client = [port](int i) -> aio::Task<std::string> {
      auto [r, w] = co_await aio::open_connection("127.0.0.1", port);
      EXPECT_EQ(w.peername().port(), port);
      w.write("hello " + std::to_string(i) + "\n");
      co_await w.drain();
      std::string got = co_await r.readline();
      w.write_eof();
      EXPECT_EQ(co_await r.read(), "");  // the server closes after our EOF
      w.close();
      co_await w.wait_closed();
      co_return got;
    };
    std::vector<aio::Task<std::string>> cs;
    for (int i = 0; i < 20; ++i) cs.push_back(client(i));
    auto got = co_await aio::gather(std::move(cs));
    for (int i = 0; i < 20; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], "HELLO " + std::to_string(i) + "\n");
    srv.close();
    EXPECT_FALSE(srv.is_serving());
    co_await srv.wait_closed();
  });
  EXPECT_EQ(triad_test::open_fd_count(), fds_before);
}

TEST_P(StreamsOn, ConnectionRefused) {
  run([]() -> aio::Task<void> {
    // A port that was just free: bind, read the port, close.
    int port = 0;
    {
      auto s = triad::net::create_server({"127.0.0.1", 0});
      port = s.getsockname().port();
    }
    EXPECT_THROW(co_await aio::open_connection("127.0.0.1", port), triad::net::ConnectionRefusedError);
  });
}

TEST_P(StreamsOn, BackPressureDrainWaitsForThePeer) {
  run([]() -> aio::Task<void> {
    aio::Future<aio::StreamReader> server_reader = aio::get_running_loop().create_future<aio::StreamReader>();
    aio::Future<void> release = aio::get_running_loop().create_future<void>();
    auto handler = [server_reader, release](aio::StreamReader r, aio::StreamWriter w) mutable -> aio::Task<void> {
      server_reader.set_result(r);
      co_await release;  // hold the connection open without reading
      w.close();
    };
    aio::Server srv = co_await aio::start_server(handler, "127.0.0.1", 0);
    auto [r, w] = co_await aio::open_connection("127.0.0.1", srv.port());
    w.set_write_buffer_limits(1024, 256);
    EXPECT_THROW(w.set_write_buffer_limits(1, 2), triad::ValueError);
    const std::string block(64 * 1024, 'x');
    // Fill the kernel buffers until the writer buffers above the high-water mark.
    for (int i = 0; i < 1000 && w.get_write_buffer_size() <= 1024; ++i) w.write(block);
    EXPECT_GT(w.get_write_buffer_size(), 1024U);
    auto drainer = aio::create_task(w.drain());
    co_await aio::sleep(5ms);  // ok-sleep: the drain must still be blocked (nobody reads)
    EXPECT_FALSE(drainer.done());
    // Now the server reads everything: the drain completes.
    aio::StreamReader sr = co_await server_reader;
    std::size_t total = 0;
    while (!drainer.done()) total += (co_await sr.read(1 << 20)).size();
    co_await drainer;
    EXPECT_GT(total, 0U);
    release.set_result();
    w.close();
    co_await w.wait_closed();
    srv.close();
    co_await srv.wait_closed();
  });
}

TEST_P(StreamsOn, ResetByPeerSurfacesOnDrainAndRead) {
  run([]() -> aio::Task<void> {
    auto handler = [](aio::StreamReader, aio::StreamWriter w) -> aio::Task<void> {
      // Abort: SO_LINGER 0 makes close() send a RST.
      struct linger lg{1, 0};
      ::setsockopt(w.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      w.close();
      co_return;
    };
    aio::Server srv = co_await aio::start_server(handler, "127.0.0.1", 0);
    // The reset may even be seen by the connect itself (SO_ERROR), as in Python.
    bool raised = false;
    try {
      auto [r, w] = co_await aio::open_connection("127.0.0.1", srv.port());
      std::string got;
      try {
        got = co_await r.read();
      } catch (const triad::net::ConnectionResetError&) {
        raised = true;
      }
      EXPECT_TRUE(raised || got.empty());
      for (int i = 0; i < 3; ++i) w.write("after reset");  // dropped, never raises
      w.close();
      co_await w.wait_closed();
    } catch (const triad::net::ConnectionResetError&) {
      raised = true;
    }
    srv.close();
    co_await srv.wait_closed();
  });
}

TEST_P(StreamsOn, HandlerExceptionIsReportedAndConnectionClosed) {
  aio::EventLoop loop(GetParam());
  std::vector<std::string> messages;
  loop.set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext& c) { messages.push_back(c.message); });
  auto body = [&]() -> aio::Task<void> {
    auto handler = [](aio::StreamReader, aio::StreamWriter) -> aio::Task<void> {
      throw triad::ValueError("handler failed");
      co_return;
    };
    aio::Server srv = co_await aio::start_server(handler, "127.0.0.1", 0);
    auto [r, w] = co_await aio::open_connection("127.0.0.1", srv.port());
    EXPECT_EQ(co_await r.read(), "");  // the server side was closed
    w.close();
    srv.close();
    co_await srv.wait_closed();
  };
  loop.run_until_complete(body());
  EXPECT_EQ(messages, std::vector<std::string>{"Unhandled exception in client_connected_cb"});
}

TEST_P(StreamsOn, ServeForeverEndsWhenCancelled) {
  run([]() -> aio::Task<void> {
    aio::Server srv = co_await aio::start_server(upper_echo, "127.0.0.1", 0);
    auto t = aio::create_task(srv.serve_forever());
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
    t.cancel();
    EXPECT_THROW(co_await t, triad::CancelledError);
    EXPECT_FALSE(srv.is_serving());
  });
}

TEST_P(StreamsOn, UnixSockets) {
  const std::string path = "/tmp/triad_aio_test_" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  run([&]() -> aio::Task<void> {
    aio::Server srv = co_await aio::start_unix_server(upper_echo, path);
    auto [r, w] = co_await aio::open_unix_connection(path);
    w.write("unix\n");
    EXPECT_EQ(co_await r.readline(), "UNIX\n");
    w.close();
    co_await w.wait_closed();
    srv.close();
    co_await srv.wait_closed();
  });
  ::unlink(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamsOn,
                         ::testing::Values(triad::net::Backend::epoll, triad::net::Backend::io_uring),
                         [](const ::testing::TestParamInfo<triad::net::Backend>& param_info) {
                           return std::string(triad::net::to_string(param_info.param));
                         });

}  // namespace
