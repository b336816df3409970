// triad::aio benchmarks (docs/bench/aio.md), side by side with Boost.Asio's C++20 awaitables
// when Boost is found (TRIAD_HAVE_BOOST_ASIO). The Python side is bench/compare/aio.py.
//
//   bench_aio [google-benchmark flags]        the micro-benchmarks
//   bench_aio echo PORT [triad|asio]          an echo server for the bench/echo harness
//                                             (prints "ready"; one thread; runs until killed)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "triad/aio.hpp"
#include "triad/aio/streams.hpp"

#if TRIAD_HAVE_BOOST_ASIO
#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#endif

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

// ---- co_await of a coroutine that completes at once ------------------------------------------

aio::Task<int> immediate(int x) { co_return x + 1; }

void BM_AioAwaitImmediate(benchmark::State& state) {
  aio::EventLoop loop;
  auto body = [&]() -> aio::Task<void> {
    int acc = 0;
    for (auto _ : state) {
      acc = co_await immediate(acc);
      benchmark::DoNotOptimize(acc);
    }
  };
  loop.run_until_complete(body());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AioAwaitImmediate);

// ---- create_task + gather of tasks that sleep(0) ---------------------------------------------

aio::Task<void> yield_once() { co_await aio::sleep(0s); }

void BM_AioCreateTaskGather(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  aio::EventLoop loop;
  auto body = [&]() -> aio::Task<void> {
    std::vector<aio::TaskHandle<void>> hs;
    hs.reserve(n);
    for (std::size_t i = 0; i < n; ++i) hs.push_back(aio::create_task(yield_once()));
    co_await aio::gather(std::move(hs));
  };
  for (auto _ : state) loop.run_until_complete(body());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_AioCreateTaskGather)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);

// ---- sleep(0): one trip through the ready queue ----------------------------------------------

void BM_AioSleepZero(benchmark::State& state) {
  aio::EventLoop loop;
  auto body = [&]() -> aio::Task<void> {
    for (auto _ : state) co_await aio::sleep(0s);
  };
  loop.run_until_complete(body());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AioSleepZero);

// ---- Future set_result -> awaiting task resumed ----------------------------------------------

void BM_AioFuturePingPong(benchmark::State& state) {
  aio::EventLoop loop;
  auto body = [&]() -> aio::Task<void> {
    for (auto _ : state) {
      auto f = loop.create_future<int>();
      loop.call_soon([f]() mutable { f.set_result(1); });
      benchmark::DoNotOptimize(co_await f);
    }
  };
  loop.run_until_complete(body());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AioFuturePingPong);

#if TRIAD_HAVE_BOOST_ASIO
namespace asio = boost::asio;

asio::awaitable<int> asio_immediate(int x) { co_return x + 1; }

void BM_AsioAwaitImmediate(benchmark::State& state) {
  asio::io_context io(1);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        int acc = 0;
        for (auto _ : state) {
          acc = co_await asio_immediate(acc);
          benchmark::DoNotOptimize(acc);
        }
      },
      asio::detached);
  io.run();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AsioAwaitImmediate);

// co_spawn n coroutines that each yield once (post), and wait for all of them (a counter and
// a final post: Asio has no gather; this is its idiomatic equivalent).
void BM_AsioSpawnGather(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    asio::io_context io(1);
    std::size_t left = n;
    for (std::size_t i = 0; i < n; ++i) {
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            co_await asio::post(io, asio::use_awaitable);
            --left;
          },
          asio::detached);
    }
    io.run();
    if (left != 0) state.SkipWithError("not all finished");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_AsioSpawnGather)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);
#endif

// ---- echo servers for the bench/echo harness ---------------------------------------------------

aio::Task<void> echo_conn(aio::StreamReader r, aio::StreamWriter w) {
  for (;;) {
    std::string data;
    try {
      data = co_await r.read(65536);
    } catch (const triad::net::OSError&) {
      break;
    }
    if (data.empty()) break;
    w.write(data);
    try {
      co_await w.drain();
    } catch (const triad::net::OSError&) {
      break;
    }
  }
  w.close();
}

int triad_echo(int port) {
  aio::run([port]() -> aio::Task<void> {
    aio::Server srv = co_await aio::start_server(echo_conn, "127.0.0.1", port, aio::kDefaultStreamLimit, 1024);
    std::printf("ready (triad::aio streams, %s)\n",
                triad::net::to_string(aio::get_running_loop().reactor().backend()));
    std::fflush(stdout);
    co_await srv.serve_forever();
  });
  return 0;
}

#if TRIAD_HAVE_BOOST_ASIO
asio::awaitable<void> asio_echo_conn(asio::ip::tcp::socket sock) {
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

asio::awaitable<void> asio_listener(asio::ip::tcp::acceptor acc) {
  for (;;) {
    asio::ip::tcp::socket s = co_await acc.async_accept(asio::use_awaitable);
    s.set_option(asio::ip::tcp::no_delay(true));
    asio::co_spawn(acc.get_executor(), asio_echo_conn(std::move(s)), asio::detached);
  }
}

int asio_echo(int port) {
  asio::io_context io(1);
  asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  acc.listen(1024);
  asio::co_spawn(io, asio_listener(std::move(acc)), asio::detached);
  std::printf("ready (Boost.Asio C++20 awaitables)\n");
  std::fflush(stdout);
  io.run();
  return 0;
}
#endif

int aio_echo_server_main(int port, const std::string& kind) {
  if (kind == "triad") return triad_echo(port);
#if TRIAD_HAVE_BOOST_ASIO
  if (kind == "asio") return asio_echo(port);
#endif
  std::fprintf(stderr, "unknown echo server kind: %s\n", kind.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "echo") == 0) {
    const int port = std::atoi(argv[2]);
    const std::string kind = argc >= 4 ? argv[3] : "triad";
    return aio_echo_server_main(port, kind);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
