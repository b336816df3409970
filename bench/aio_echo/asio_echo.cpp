// The Boost.Asio anchor for the async echo benchmark: a C++20-coroutine echo server on one
// io_context, one thread (the way Asio's own examples write it: async_read_some into a buffer
// in the coroutine frame, async_write of what came).
// Usage: bench_echo_asio PORT [backend]   prints "ready" once listening; runs until killed.
// (Boost 1.74's Asio has only its epoll reactor: a backend argument other than "epoll" is
// reported and ignored.)
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace asio = boost::asio;

namespace {

asio::awaitable<void> echo_conn(asio::ip::tcp::socket sock) {
  char buf[65536];
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n =
        co_await sock.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    co_await asio::async_write(sock, asio::buffer(buf, n), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
}

asio::awaitable<void> listener(asio::ip::tcp::acceptor acc) {
  for (;;) {
    asio::ip::tcp::socket s = co_await acc.async_accept(asio::use_awaitable);
    s.set_option(asio::ip::tcp::no_delay(true));
    asio::co_spawn(acc.get_executor(), echo_conn(std::move(s)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [backend]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  if (argc > 2 && std::strcmp(argv[2], "epoll") != 0) {
    std::fprintf(stderr, "bench_echo_asio: Boost.Asio %d has no %s backend here; using epoll\n",
                 BOOST_ASIO_VERSION, argv[2]);
  }
  asio::io_context io(1);  // concurrency hint 1: one thread, no internal locking
  asio::ip::tcp::acceptor acc(io);
  const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  acc.open(ep.protocol());
  acc.set_option(asio::socket_base::reuse_address(true));
  acc.bind(ep);
  acc.listen(1024);
  asio::co_spawn(io, listener(std::move(acc)), asio::detached);
  std::printf("ready (Boost.Asio %d C++20 awaitables, epoll)\n", BOOST_ASIO_VERSION);
  std::fflush(stdout);
  io.run();
  return 0;
}
