// Processes and IPC: triad::process against the anchors, in one run.
//   Queue:     triad Queue<T>  vs  Boost.Interprocess message_queue, one producer process (the
//              benchmark) to one consumer process, 8-byte and 1 KiB messages.
//   Start:     Process(fork) start+join  vs  bare fork()+waitpid(); Process(spawn) start+join.
//   Pool:      ProcessPoolExecutor(2): one task's round trip; 100 k trivial tasks submitted
//              then their results taken; map(chunksize=256) over 100 k items.
//   Ping-pong: Pipe() Connection send/recv round trip  vs  a raw pipe pair and a raw
//              socketpair with 8-byte read/write.
// Python's side: bench/compare/process.py. Results and commands: docs/bench/process.md.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "triad/process/connection.hpp"
#include "triad/process/process_pool_executor.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"

namespace tp = triad::process;

namespace {

constexpr int kBatch = 200'000;
using KiB = std::array<char, 1024>;

void noop() {}

template <class T>
void BM_Queue(benchmark::State& state) {
  tp::Queue<T> q;
  tp::Queue<int> ack;
  tp::Process consumer([&] {
    for (;;) {
      for (int i = 0; i < kBatch; ++i) {
        T v = q.get();
        benchmark::DoNotOptimize(v);
      }
      ack.put(1);
    }
  });
  consumer.start();
  T item{};
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) q.put(item);
    (void)ack.get();
  }
  consumer.kill();
  consumer.join();
  state.SetItemsProcessed(state.iterations() * kBatch);
}
void BM_Queue8B_triad(benchmark::State& s) { BM_Queue<std::uint64_t>(s); }
void BM_Queue1KiB_triad(benchmark::State& s) { BM_Queue<KiB>(s); }
BENCHMARK(BM_Queue8B_triad)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Queue1KiB_triad)->UseRealTime()->Unit(benchmark::kMillisecond);

template <std::size_t N>
void BM_BoostMQ(benchmark::State& state) {
  namespace bip = boost::interprocess;
  const std::string name = "triad_bench_mq_" + std::to_string(::getpid());
  const std::string ack_name = name + "_ack";
  bip::message_queue::remove(name.c_str());
  bip::message_queue::remove(ack_name.c_str());
  {
    bip::message_queue mq(bip::create_only, name.c_str(), 4096, N);
    bip::message_queue ackq(bip::create_only, ack_name.c_str(), 4, sizeof(int));
    const pid_t pid = ::fork();
    if (pid == 0) {
      bip::message_queue cq(bip::open_only, name.c_str());
      bip::message_queue ca(bip::open_only, ack_name.c_str());
      std::array<char, N> buf;
      for (;;) {
        for (int i = 0; i < kBatch; ++i) {
          std::size_t got;
          unsigned prio;
          cq.receive(buf.data(), N, got, prio);
        }
        const int one = 1;
        ca.send(&one, sizeof one, 0);
      }
    }
    std::array<char, N> item{};
    for (auto _ : state) {
      for (int i = 0; i < kBatch; ++i) mq.send(item.data(), N, 0);
      int a;
      std::size_t got;
      unsigned prio;
      ackq.receive(&a, sizeof a, got, prio);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  bip::message_queue::remove(name.c_str());
  bip::message_queue::remove(ack_name.c_str());
  state.SetItemsProcessed(state.iterations() * kBatch);
}
void BM_Queue8B_boost_message_queue(benchmark::State& s) { BM_BoostMQ<8>(s); }
void BM_Queue1KiB_boost_message_queue(benchmark::State& s) { BM_BoostMQ<1024>(s); }
BENCHMARK(BM_Queue8B_boost_message_queue)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Queue1KiB_boost_message_queue)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_StartJoin_bare_fork_waitpid(benchmark::State& state) {
  for (auto _ : state) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    ::waitpid(pid, nullptr, 0);
  }
}
BENCHMARK(BM_StartJoin_bare_fork_waitpid)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_StartJoin_triad_fork(benchmark::State& state) {
  for (auto _ : state) {
    tp::Process p(noop);
    p.start();
    p.join();
  }
}
BENCHMARK(BM_StartJoin_triad_fork)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_StartJoin_triad_spawn(benchmark::State& state) {
  for (auto _ : state) {
    tp::Process p(tp::ProcessOptions().with_context(tp::get_context("spawn")), noop);
    p.start();
    p.join();
  }
}
BENCHMARK(BM_StartJoin_triad_spawn)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_PingPong_triad_Pipe(benchmark::State& state) {
  auto [a, b] = tp::Pipe();
  tp::Process echo([&] {
    a.close();
    try {
      for (;;) b.send(b.recv<std::uint64_t>());
    } catch (const triad::EOFError&) {
    }
  });
  echo.start();
  b.close();
  std::uint64_t x = 0;
  for (auto _ : state) {
    a.send(x);
    x = a.recv<std::uint64_t>() + 1;
  }
  a.close();
  echo.join();
}
BENCHMARK(BM_PingPong_triad_Pipe)->UseRealTime()->Unit(benchmark::kMicrosecond);

void raw_ping_pong(benchmark::State& state, int to_child[2], int to_parent[2]) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(to_child[1]);
    ::close(to_parent[0]);
    std::uint64_t v;
    while (::read(to_child[0], &v, 8) == 8) {
      if (::write(to_parent[1], &v, 8) != 8) break;
    }
    ::_exit(0);
  }
  ::close(to_child[0]);
  ::close(to_parent[1]);
  std::uint64_t x = 0;
  for (auto _ : state) {
    if (::write(to_child[1], &x, 8) != 8) state.SkipWithError("write");
    if (::read(to_parent[0], &x, 8) != 8) state.SkipWithError("read");
    ++x;
  }
  ::close(to_child[1]);
  ::close(to_parent[0]);
  ::waitpid(pid, nullptr, 0);
}

void BM_PingPong_raw_pipe(benchmark::State& state) {
  int a[2], b[2];
  if (::pipe(a) != 0 || ::pipe(b) != 0) return state.SkipWithError("pipe");
  raw_ping_pong(state, a, b);
}
BENCHMARK(BM_PingPong_raw_pipe)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_PingPong_raw_socketpair(benchmark::State& state) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return state.SkipWithError("socketpair");
  // The parent uses sv[0], the child sv[1]; dups give each direction its own descriptors.
  int to_child[2] = {sv[1], sv[0]};
  int to_parent[2] = {::dup(sv[0]), ::dup(sv[1])};
  raw_ping_pong(state, to_child, to_parent);
}
BENCHMARK(BM_PingPong_raw_socketpair)->UseRealTime()->Unit(benchmark::kMicrosecond);

int add_one(int x) { return x + 1; }

// One task in flight: submit, then wait for its result (a full cross-process round trip).
void BM_Pool_RoundTrip(benchmark::State& state) {
  tp::ProcessPoolExecutor pool(2);
  int x = 0;
  for (auto _ : state) x = pool.submit(add_one, x).result();
  benchmark::DoNotOptimize(x);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Pool_RoundTrip)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The "submit then result()": submit N trivial tasks, then take every result (as
// bench/futures_bench.cpp's BM_Pool_SubmitThenResult does for the thread pool).
void BM_Pool_SubmitThenResult(benchmark::State& state) {
  tp::ProcessPoolExecutor pool(2);
  const auto n = static_cast<int>(state.range(0));
  std::vector<triad::Future<int>> fs;
  fs.reserve(static_cast<std::size_t>(n));
  std::int64_t sum = 0;
  for (auto _ : state) {
    fs.clear();
    for (int i = 0; i < n; ++i) fs.push_back(pool.submit(add_one, i));
    for (auto& f : fs) sum += f.result();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Pool_SubmitThenResult)->Arg(100'000)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Pool_map_chunksize256(benchmark::State& state) {
  tp::ProcessPoolExecutor pool(2);
  std::vector<int> xs(100'000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<int>(i);
  std::int64_t sum = 0;
  for (auto _ : state) {
    for (int r : pool.map(add_one, xs, triad::MapOptions{.timeout = {}, .chunksize = 256})) sum += r;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(xs.size()));
}
BENCHMARK(BM_Pool_map_chunksize256)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  tp::bootstrap();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
