// A patched blocking read(2) on a green socket vs triad::net::socket::recv, one OS thread.
// Issue 4's goal: the patched read costs <= 1.1x socket::recv.
//   ready:     the data is already there (one send, then one read/recv of it): the cost of the
//              call itself (patch checks, libc, the socket object) around the same system call;
//   pingpong:  two green threads bounce one byte over a socketpair (AF_UNIX stream): every
//              read/recv waits in the hub for the other side, i.e. the whole cooperative path
//              (wait, switch, reactor) per read; reported per read (two per iteration).
// CPU time (Google Benchmark's default): everything runs on the benchmark's OS thread.
//
//   cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRIAD_BUILD_BENCH=ON
//   ninja -C build/bench bench_green_read
//   build/bench/bench/green_read/bench_green_read --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <span>

#include "triad/green/hub.hpp"
#include "triad/green/monkey.hpp"
#include "triad/green/spawn.hpp"
#include "triad/net/socket.hpp"

namespace tg = triad::green;
namespace tn = triad::net;

namespace {

struct Pair {
  int a = -1;
  int b = -1;
  Pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
    a = sv[0];
    b = sv[1];
  }
  ~Pair() {
    ::close(a);
    ::close(b);
  }
};

// Runs body() in a green thread of this OS thread's hub and waits for it.
template <class F>
void in_green(F body) {
  tg::spawn(std::move(body)).join();
}

void BM_SocketRecvReady(benchmark::State& state) {
  auto [x, y] = tn::socketpair();
  in_green([&] {
    char c = 'x';
    char buf[64];
    for (auto _ : state) {
      x.send(std::string_view(&c, 1));
      if (y.recv_into(std::span<char>(buf, sizeof buf)) != 1) std::abort();
    }
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SocketRecvReady);

void BM_PatchedReadReady(benchmark::State& state) {
  Pair p;
  in_green([&] {
    char c = 'x';
    char buf[64];
    for (auto _ : state) {
      if (::write(p.a, &c, 1) != 1) std::abort();
      if (::read(p.b, buf, sizeof buf) != 1) std::abort();
    }
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PatchedReadReady);

void BM_SocketRecvPingPong(benchmark::State& state) {
  auto [x, y] = tn::socketpair();
  bool stop = false;
  auto echo = tg::spawn([&] {
    char c = 0;
    for (;;) {
      if (y.recv_into(std::span<char>(&c, 1), 1) != 1) return;
      if (stop) return;
      y.send(std::string_view(&c, 1));
    }
  });
  in_green([&] {
    char c = 'x';
    char buf[64];
    for (auto _ : state) {
      x.send(std::string_view(&c, 1));
      if (x.recv_into(std::span<char>(buf, sizeof buf)) != 1) std::abort();
    }
    stop = true;
    x.send(std::string_view(&c, 1));
  });
  echo.join();
  state.SetItemsProcessed(state.iterations() * 2);  // reads
}
BENCHMARK(BM_SocketRecvPingPong);

void BM_PatchedReadPingPong(benchmark::State& state) {
  Pair p;
  bool stop = false;
  auto echo = tg::spawn([&] {
    char c = 0;
    for (;;) {
      if (::read(p.b, &c, 1) != 1) return;
      if (stop) return;
      if (::write(p.b, &c, 1) != 1) std::abort();
    }
  });
  in_green([&] {
    char c = 'x';
    char buf[64];
    for (auto _ : state) {
      if (::write(p.a, &c, 1) != 1) std::abort();
      if (::read(p.a, buf, sizeof buf) != 1) std::abort();
    }
    stop = true;
    if (::write(p.a, &c, 1) != 1) std::abort();
  });
  echo.join();
  state.SetItemsProcessed(state.iterations() * 2);  // reads
}
BENCHMARK(BM_PatchedReadPingPong);

}  // namespace

int main(int argc, char** argv) {
  tg::monkey::patch_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
