// Queues between threads: triad's queues against a std::mutex + std::condition_variable +
// std::deque queue (and oneTBB's concurrent_bounded_queue when found), in one run.
// Python's side: bench/compare/queue.py. Results and commands: docs/bench/queue.md.
//
// Every "SPSC" benchmark moves kBatch ints from one producer thread to one consumer (the
// benchmark thread) per iteration; items_per_second is the figure to compare.
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "triad/queue/lifo_queue.hpp"
#include "triad/queue/priority_queue.hpp"
#include "triad/queue/queue.hpp"
#include "triad/queue/simple_queue.hpp"

#ifdef TRIAD_HAVE_TBB
#include <tbb/concurrent_queue.h>
#endif

namespace {

constexpr int kBatch = 200'000;

// The textbook blocking queue: what a C++ programmer writes without a library.
class StdQueue {
 public:
  explicit StdQueue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  void put(int x) {
    std::unique_lock lock(m_);
    if (maxsize_ > 0) not_full_.wait(lock, [&] { return items_.size() < maxsize_; });
    items_.push_back(x);
    lock.unlock();
    not_empty_.notify_one();
  }
  int get() {
    std::unique_lock lock(m_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    const int x = items_.front();
    items_.pop_front();
    lock.unlock();
    if (maxsize_ > 0) not_full_.notify_one();
    return x;
  }

 private:
  std::mutex m_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<int> items_;
  std::size_t maxsize_;
};

// Pins the calling thread to one CPU (best effort; ignored where it fails).
void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  (void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

void unpin() {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &set);
  (void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

// kBatch ints from a producer thread to the benchmark thread, per iteration. Pinned: the
// producer runs on CPU 0 and the consumer on CPU 1 (the cross-core best case); unpinned:
// wherever the scheduler puts them (the realistic case on a shared machine).
template <class Q>
void spsc(benchmark::State& state, Q& q, bool pinned = false) {
  long long sum = 0;
  if (pinned) pin_to(1);
  for (auto _ : state) {
    std::thread producer([&q, pinned] {
      if (pinned) pin_to(0);
      for (int i = 0; i < kBatch; ++i) q.put(i);
    });
    for (int i = 0; i < kBatch; ++i) sum += q.get();
    producer.join();
  }
  if (pinned) unpin();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Queue_SPSC_Unbounded(benchmark::State& state) {
  triad::Queue<int> q;
  spsc(state, q);
}
BENCHMARK(BM_Queue_SPSC_Unbounded)->UseRealTime();

void BM_Queue_SPSC_Bounded(benchmark::State& state) {
  triad::Queue<int> q(static_cast<std::size_t>(state.range(0)));
  spsc(state, q);
}
BENCHMARK(BM_Queue_SPSC_Bounded)->Arg(1024)->Arg(16)->Arg(1)->UseRealTime();

void BM_Queue_SPSC_Unbounded_Pinned(benchmark::State& state) {
  triad::Queue<int> q;
  spsc(state, q, true);
}
BENCHMARK(BM_Queue_SPSC_Unbounded_Pinned)->UseRealTime();

void BM_Queue_SPSC_Bounded_Pinned(benchmark::State& state) {
  triad::Queue<int> q(static_cast<std::size_t>(state.range(0)));
  spsc(state, q, true);
}
BENCHMARK(BM_Queue_SPSC_Bounded_Pinned)->Arg(1024)->UseRealTime();

// The same with the parking interface's spin turned off (set_park_spin(0)): every wait
// sleeps on the futex at once. Shows what the spin buys (or costs on a loaded machine).
void BM_Queue_SPSC_Bounded_NoSpin(benchmark::State& state) {
  const auto spin = triad::park_spin();
  triad::set_park_spin(std::chrono::nanoseconds(0));
  {
    triad::Queue<int> q(static_cast<std::size_t>(state.range(0)));
    spsc(state, q);
  }
  triad::set_park_spin(spin);
}
BENCHMARK(BM_Queue_SPSC_Bounded_NoSpin)->Arg(1024)->Arg(16)->Arg(1)->UseRealTime();

void BM_SimpleQueue_SPSC(benchmark::State& state) {
  triad::SimpleQueue<int> q;
  spsc(state, q);
}
BENCHMARK(BM_SimpleQueue_SPSC)->UseRealTime();

void BM_LifoQueue_SPSC_Bounded(benchmark::State& state) {
  triad::LifoQueue<int> q(1024);
  spsc(state, q);
}
BENCHMARK(BM_LifoQueue_SPSC_Bounded)->UseRealTime();

void BM_PriorityQueue_SPSC_Bounded(benchmark::State& state) {
  triad::PriorityQueue<int> q(1024);
  spsc(state, q);
}
BENCHMARK(BM_PriorityQueue_SPSC_Bounded)->UseRealTime();

void BM_StdMutexCondvarDeque_SPSC_Unbounded(benchmark::State& state) {
  StdQueue q;
  spsc(state, q);
}
BENCHMARK(BM_StdMutexCondvarDeque_SPSC_Unbounded)->UseRealTime();

void BM_StdMutexCondvarDeque_SPSC_Unbounded_Pinned(benchmark::State& state) {
  StdQueue q;
  spsc(state, q, true);
}
BENCHMARK(BM_StdMutexCondvarDeque_SPSC_Unbounded_Pinned)->UseRealTime();

void BM_StdMutexCondvarDeque_SPSC_Bounded_Pinned(benchmark::State& state) {
  StdQueue q(static_cast<std::size_t>(state.range(0)));
  spsc(state, q, true);
}
BENCHMARK(BM_StdMutexCondvarDeque_SPSC_Bounded_Pinned)->Arg(1024)->UseRealTime();

void BM_StdMutexCondvarDeque_SPSC_Bounded(benchmark::State& state) {
  StdQueue q(static_cast<std::size_t>(state.range(0)));
  spsc(state, q);
}
BENCHMARK(BM_StdMutexCondvarDeque_SPSC_Bounded)->Arg(1024)->Arg(16)->Arg(1)->UseRealTime();

#ifdef TRIAD_HAVE_TBB
// oneTBB's blocking queue (push blocks when full, pop blocks when empty).
struct TbbQueue {
  explicit TbbQueue(std::ptrdiff_t cap = 0) {
    if (cap > 0) q.set_capacity(cap);
  }
  void put(int x) { q.push(x); }
  int get() {
    int x = 0;
    q.pop(x);
    return x;
  }
  tbb::concurrent_bounded_queue<int> q;
};

void BM_TbbConcurrentBoundedQueue_SPSC_Unbounded(benchmark::State& state) {
  TbbQueue q;
  spsc(state, q);
}
BENCHMARK(BM_TbbConcurrentBoundedQueue_SPSC_Unbounded)->UseRealTime();

void BM_TbbConcurrentBoundedQueue_SPSC_Bounded(benchmark::State& state) {
  TbbQueue q(1024);
  spsc(state, q);
}
BENCHMARK(BM_TbbConcurrentBoundedQueue_SPSC_Bounded)->UseRealTime();
#endif

// One thread, put then get: the uncontended cost of the two calls.
void BM_Queue_PutGet_OneThread(benchmark::State& state) {
  triad::Queue<int> q;
  for (auto _ : state) {
    q.put(1);
    benchmark::DoNotOptimize(q.get());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Queue_PutGet_OneThread);

void BM_Queue_TryPutTryGet_OneThread(benchmark::State& state) {
  triad::Queue<int> q(16);
  for (auto _ : state) {
    benchmark::DoNotOptimize(q.try_put(1));
    benchmark::DoNotOptimize(q.try_get());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Queue_TryPutTryGet_OneThread);

void BM_StdMutexCondvarDeque_PutGet_OneThread(benchmark::State& state) {
  StdQueue q;
  for (auto _ : state) {
    q.put(1);
    benchmark::DoNotOptimize(q.get());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StdMutexCondvarDeque_PutGet_OneThread);

}  // namespace

BENCHMARK_MAIN();
