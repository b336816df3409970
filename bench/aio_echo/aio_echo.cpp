// The triad::aio echo server for the async echo benchmark, one thread: asyncio's streams API
// exactly as the Python anchor (bench/compare/aio_echo.py) uses it — start_server, then per
// connection `data = co_await reader.read(65536)`, `writer.write(data)`, `co_await
// writer.drain()` until EOF.
// Usage: bench_echo_aio PORT [epoll|io_uring]   prints "ready" once listening; runs until killed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "triad/aio/event_loop.hpp"
#include "triad/aio/streams.hpp"

namespace aio = triad::aio;

namespace {

aio::Task<void> echo_conn(aio::StreamReader r, aio::StreamWriter w) {
  try {
    for (;;) {
      std::string data = co_await r.read(65536);
      if (data.empty()) break;  // EOF
      w.write(data);
      co_await w.drain();
    }
  } catch (const triad::net::OSError&) {
    // ConnectionResetError: the client went away
  }
  w.close();
}

aio::Task<void> serve(int port) {
  aio::Server srv = co_await aio::start_server(echo_conn, "127.0.0.1", port, aio::kDefaultStreamLimit, 1024);
  std::printf("ready (triad::aio streams, %s)\n",
              triad::net::to_string(aio::get_running_loop().reactor().backend()));
  std::fflush(stdout);
  co_await srv.serve_forever();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [epoll|io_uring]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  triad::net::Backend backend = triad::net::Backend::automatic;
  if (argc > 2) {
    if (std::strcmp(argv[2], "epoll") == 0) {
      backend = triad::net::Backend::epoll;
    } else if (std::strcmp(argv[2], "io_uring") == 0) {
      backend = triad::net::Backend::io_uring;
    } else {
      std::fprintf(stderr, "unknown backend %s (epoll | io_uring)\n", argv[2]);
      return 2;
    }
  }
  aio::EventLoop loop(backend);
  loop.run_until_complete(serve(port));
  return 0;
}
