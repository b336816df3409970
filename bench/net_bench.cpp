// triad::net micro-benchmarks: reactor timers, post/wake, IoWait arm/disarm, socket round trip.
// The echo server comparison lives in bench/echo/ (see docs/bench/net.md).
#include <benchmark/benchmark.h>

#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "triad/net/reactor.hpp"
#include "triad/net/socket.hpp"

using triad::Deadline;
using triad::net::Backend;
using triad::net::Events;
using triad::net::Reactor;

namespace {

Backend backend_of(const benchmark::State& st) {
  return st.range(0) == 0 ? Backend::epoll : Backend::io_uring;
}

// Schedule N due timers, run them all: per-timer cost of call_at + heap + dispatch.
void BM_TimerScheduleAndFire(benchmark::State& st) {
  Reactor r(backend_of(st));
  const auto n = static_cast<int>(st.range(1));
  std::int64_t fired = 0;
  for (auto _ : st) {
    const auto now = triad::Clock::now();
    for (int i = 0; i < n; ++i)
      (void)r.call_at(Deadline::at(now - std::chrono::nanoseconds(i % 97)), [&fired] { ++fired; });
    while (r.timer_count() > 0) r.run_once(Deadline::after(std::chrono::seconds(0)));
  }
  st.SetItemsProcessed(fired);
}
BENCHMARK(BM_TimerScheduleAndFire)->Args({0, 1000})->Args({0, 100000})->Args({1, 1000});

// Schedule and cancel (the common fate of timeouts).
void BM_TimerScheduleAndCancel(benchmark::State& st) {
  Reactor r(Backend::epoll);
  std::vector<triad::net::TimerHandle> hs(1024);
  const auto far = Deadline::after(std::chrono::hours(1));
  for (auto _ : st) {
    for (auto& h : hs) h = r.call_at(far, [] {});
    for (auto& h : hs) h.cancel();
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * 1024);
}
BENCHMARK(BM_TimerScheduleAndCancel);

// post() from the reactor thread itself + drain (inbox cost without cross-core traffic).
void BM_PostAndRun(benchmark::State& st) {
  Reactor r(Backend::epoll);
  std::int64_t ran = 0;
  for (auto _ : st) {
    for (int i = 0; i < 256; ++i) r.post([&ran] { ++ran; });
    r.run_once(Deadline::after(std::chrono::seconds(0)));
  }
  st.SetItemsProcessed(ran);
}
BENCHMARK(BM_PostAndRun);

// Arm + disarm of an IoWait on a registered fd (a green wait that times out / is killed).
void BM_IoWaitArmDisarm(benchmark::State& st) {
  Reactor r(backend_of(st));
  int fds[2];
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds);
  triad::net::IoWait w;
  w.fd = fds[0];
  w.events = Events::readable;
  w.complete = [](triad::net::IoWait&) noexcept {};
  for (auto _ : st) {
    if (r.arm(w)) r.disarm(w);
  }
  r.close_fd(fds[0]);
  ::close(fds[0]);
  ::close(fds[1]);
}
BENCHMARK(BM_IoWaitArmDisarm)->Arg(0)->Arg(1);

// Ping-pong over a socketpair through the reactor: write, run_once until the IoWait completes.
void BM_IoWaitRoundTrip(benchmark::State& st) {
  Reactor r(backend_of(st));
  int fds[2];
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds);
  triad::net::IoWait w;
  bool done = false;
  w.fd = fds[0];
  w.events = Events::readable;
  w.user = &done;
  w.complete = [](triad::net::IoWait& iw) noexcept { *static_cast<bool*>(iw.user) = true; };
  char c = 'x';
  for (auto _ : st) {
    done = false;
    if (r.arm(w)) {
      (void)::write(fds[1], &c, 1);
      while (!done) r.run_once();
    }
    (void)::read(fds[0], &c, 1);
  }
  r.close_fd(fds[0]);
  ::close(fds[0]);
  ::close(fds[1]);
}
BENCHMARK(BM_IoWaitRoundTrip)->Arg(0)->Arg(1);

// Blocking socket round trip between two OS threads (poll(2) waiter).
void BM_SocketPingPongThreads(benchmark::State& st) {
  auto [a, b] = triad::net::socketpair();
  std::thread echo([&b] {
    char buf[64];
    for (;;) {
      const std::size_t n = b.recv_into(std::span<char>(buf));
      if (n == 0) return;
      b.sendall(std::string_view(buf, n));
    }
  });
  char buf[64];
  for (auto _ : st) {
    a.sendall("ping");
    std::size_t got = 0;
    while (got < 4) got += a.recv_into(std::span<char>(buf + got, sizeof buf - got));
  }
  a.shutdown(SHUT_WR);
  echo.join();
}
BENCHMARK(BM_SocketPingPongThreads)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
