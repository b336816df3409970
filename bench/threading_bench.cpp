// Benchmarks of the threading primitives against their std:: anchors, side by side:
//   - uncontended Lock acquire+release vs std::mutex (goal: <= 1.5x),
//   - Semaphore release with no waiter vs std::counting_semaphore (goal: no syscall),
//   - Event set/wait ping-pong vs a std::condition_variable ping-pong (goal: <=),
//   - Lock under 2 contending threads vs std::mutex.
// Run: build/<dir>/bench/bench_threading --benchmark_repetitions=5
//        --benchmark_report_aggregates_only=true   (results: docs/bench/threading.md)
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <semaphore>
#include <thread>

#include "triad/threading/event.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/rlock.hpp"
#include "triad/threading/semaphore.hpp"

namespace {

// --- uncontended lock ------------------------------------------------------------------

void BM_StdMutex_Uncontended(benchmark::State& state) {
  std::mutex m;
  for (auto _ : state) {
    m.lock();
    benchmark::ClobberMemory();
    m.unlock();
  }
}
BENCHMARK(BM_StdMutex_Uncontended);

void BM_Lock_Uncontended(benchmark::State& state) {
  triad::Lock lock;
  for (auto _ : state) {
    lock.acquire();
    benchmark::ClobberMemory();
    lock.release();
  }
}
BENCHMARK(BM_Lock_Uncontended);

void BM_Lock_ScopedLock_Uncontended(benchmark::State& state) {
  triad::Lock lock;
  for (auto _ : state) {
    std::scoped_lock guard(lock);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Lock_ScopedLock_Uncontended);

void BM_StdRecursiveMutex_Uncontended(benchmark::State& state) {
  std::recursive_mutex m;
  for (auto _ : state) {
    m.lock();
    benchmark::ClobberMemory();
    m.unlock();
  }
}
BENCHMARK(BM_StdRecursiveMutex_Uncontended);

void BM_RLock_Uncontended(benchmark::State& state) {
  triad::RLock lock;
  for (auto _ : state) {
    lock.acquire();
    benchmark::ClobberMemory();
    lock.release();
  }
}
BENCHMARK(BM_RLock_Uncontended);

// --- semaphore release with no waiter ---------------------------------------------------
// ReleaseAbove0: release onto a positive value. AcquireRelease0to1: take the only permit and
// give it back, so every release goes from 0 to 1 with nobody waiting; that is the case in
// which GCC 12's std::counting_semaphore makes a futex syscall and triad's makes none.

void BM_StdCountingSemaphore_ReleaseAbove0(benchmark::State& state) {
  std::counting_semaphore<> sem(0);
  for (auto _ : state) sem.release();
}
BENCHMARK(BM_StdCountingSemaphore_ReleaseAbove0);

void BM_Semaphore_ReleaseAbove0(benchmark::State& state) {
  triad::Semaphore sem(0);
  for (auto _ : state) sem.release();
}
BENCHMARK(BM_Semaphore_ReleaseAbove0);

void BM_StdCountingSemaphore_AcquireRelease0to1(benchmark::State& state) {
  std::counting_semaphore<> sem(1);
  for (auto _ : state) {
    sem.acquire();
    sem.release();
  }
}
BENCHMARK(BM_StdCountingSemaphore_AcquireRelease0to1);

void BM_Semaphore_AcquireRelease0to1(benchmark::State& state) {
  triad::Semaphore sem(1);
  for (auto _ : state) {
    sem.acquire();
    sem.release();
  }
}
BENCHMARK(BM_Semaphore_AcquireRelease0to1);

// --- ping-pong between two threads (one round trip per iteration) -----------------------

void BM_StdConditionVariable_PingPong(benchmark::State& state) {
  std::mutex m;
  std::condition_variable cv;
  int turn = 0;  // 0: main's turn, 1: partner's turn, 2: stop
  std::thread partner([&] {
    std::unique_lock guard(m);
    for (;;) {
      cv.wait(guard, [&] { return turn != 0; });
      if (turn == 2) return;
      turn = 0;
      cv.notify_one();
    }
  });
  for (auto _ : state) {
    std::unique_lock guard(m);
    turn = 1;
    cv.notify_one();
    cv.wait(guard, [&] { return turn == 0; });
  }
  {
    std::scoped_lock guard(m);
    turn = 2;
  }
  cv.notify_one();
  partner.join();
}
BENCHMARK(BM_StdConditionVariable_PingPong)->UseRealTime();

void BM_Event_PingPong(benchmark::State& state) {
  triad::Event ping;
  triad::Event pong;
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    for (;;) {
      ping.wait();
      ping.clear();
      if (stop.load(std::memory_order_relaxed)) return;
      pong.set();
    }
  });
  for (auto _ : state) {
    ping.set();
    pong.wait();
    pong.clear();
  }
  stop = true;
  ping.set();
  partner.join();
}
BENCHMARK(BM_Event_PingPong)->UseRealTime();

// --- contended lock: 2 threads incrementing a shared counter ----------------------------

std::mutex g_mutex;
triad::Lock g_lock;
long g_counter = 0;

void BM_StdMutex_Contended(benchmark::State& state) {
  for (auto _ : state) {
    g_mutex.lock();
    ++g_counter;
    g_mutex.unlock();
  }
}
BENCHMARK(BM_StdMutex_Contended)->Threads(2)->UseRealTime();

void BM_Lock_Contended(benchmark::State& state) {
  for (auto _ : state) {
    g_lock.acquire();
    ++g_counter;
    g_lock.release();
  }
}
BENCHMARK(BM_Lock_Contended)->Threads(2)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  // Make the process multi-threaded before measuring: glibc's pthread_mutex_lock and
  // libstdc++'s shared_ptr skip their atomic instructions while a process has never started a
  // thread (__libc_single_threaded), which no program that needs a lock ever is. Without
  // this, the std::mutex anchor would be measured on a path real programs never take.
  std::thread([] {}).join();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
