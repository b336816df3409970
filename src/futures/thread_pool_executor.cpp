// ThreadPoolExecutor's engine.
//
// Run queue: Vyukov's intrusive MPSC queue (the task block is the node), made MPMC by a
// consumer-side spin lock. A producer does one exchange and one store; workers contend only
// among themselves. Tasks are in FIFO order.
//
// Idle accounting (idle_state_: idle workers in the low half, sleeping ones in the high
// half). A worker counts itself idle when it finds the queue empty, or just before it
// publishes a result while the queue looks empty (so whoever waits on that result and submits
// again sees an idle worker and does not start another thread). After a push, a submitter
//   - starts a worker if none was idle, sampled before and after the push, and fewer than
//     max_workers exist (Python's rule; the early sample covers an idle worker that took
//     this very task in between);
//   - wakes one sleeper if every idle worker is asleep;
//   - otherwise does nothing: an awake idle worker (spinning, or about to) will see the task.
// The Dekker pairs (push / read idle_state_, and register-sleeper / re-read head_) are all
// seq_cst, so a task is never left in the queue with every idle worker asleep.
#include "triad/futures/thread_pool_executor.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "triad/core/detail/cpu_relax.hpp"
#include "triad/core/detail/spinlock.hpp"
#include "triad/core/parking.hpp"
#include "triad/threading/thread.hpp"

namespace triad::detail {
namespace {

constexpr std::uint64_t kShutdownBit = 1;
constexpr std::uint64_t kBrokenBit = 2;
constexpr std::uint64_t kForkingBit = 4;
constexpr std::uint64_t kExitBit = 8;
constexpr std::uint64_t kOneSubmitter = 16;

constexpr std::uint64_t kOneSleeper = std::uint64_t{1} << 32;
constexpr std::uint64_t kIdleMask = kOneSleeper - 1;

constexpr const char* kBrokenMessage =
    "A thread initializer failed, the thread pool is not usable anymore";

int cpu_count() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

std::atomic<int> g_prefix_counter{0};

void print_exception(const char* header, std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    std::fprintf(stderr, "%s\n%s\n", header, x.what());
  } catch (...) {
    std::fprintf(stderr, "%s\n(non-standard exception)\n", header);
  }
}

}  // namespace

class ThreadPool : public std::enable_shared_from_this<ThreadPool> {
 public:
  struct Worker {
    // A daemon triad::Thread named "<prefix>_<N>", so current_thread().name() in a task gives
    // Python's name. Daemon: triad's exit logic must not wait for idle workers; the pools'
    // atexit hook shuts them down and joins them instead (Python's _python_exit).
    std::unique_ptr<Thread> thread;
    std::string name;
    std::atomic<FutureStateBase*> current{nullptr};  // for the fork child
  };

  ThreadPool(int max_workers, std::string prefix, std::function<void()> initializer,
             std::chrono::nanoseconds idle_spin)
      : max_workers_(max_workers),
        prefix_(std::move(prefix)),
        initializer_(std::move(initializer)),
        idle_spin_(idle_spin),
        max_spinners_(std::max(1, cpu_count() / 2)) {
    head_.store(&stub_, std::memory_order_relaxed);
    tail_.store(&stub_, std::memory_order_relaxed);
  }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  ~ThreadPool() {
    // Normally every worker was joined by shutdown(wait=true). The last reference may be
    // dropped by one of our own workers (a task shut its pool down): destroying a started
    // triad::Thread just detaches it, so that is fine.
    // Tasks nobody will run (no worker could be started): cancel them.
    for (FutureStateBase* t : drain()) {
      t->cancel();
      t->execute();
      t->release();
    }
  }

  [[nodiscard]] int max_workers() const noexcept { return max_workers_; }
  [[nodiscard]] const std::string& prefix() const noexcept { return prefix_; }
  [[nodiscard]] std::size_t num_threads() const noexcept {
    return static_cast<std::size_t>(threads_.load(std::memory_order_acquire));
  }

  // ---- submit ------------------------------------------------------------------------------
  void submit(FutureStateBase& task) {
    std::uint64_t g = gate_.fetch_add(kOneSubmitter, std::memory_order_acq_rel);
    while (g & (kShutdownBit | kBrokenBit | kForkingBit)) [[unlikely]] {
      gate_.fetch_sub(kOneSubmitter, std::memory_order_acq_rel);
      if (g & kBrokenBit) throw BrokenThreadPool(kBrokenMessage);
      if (g & kShutdownBit) {
        throw RuntimeError((g & kExitBit) ? "cannot schedule new futures after interpreter shutdown"
                                          : "cannot schedule new futures after shutdown");
      }
      unsigned spins = 0;  // a fork is in progress: wait for the parent handler
      while (gate_.load(std::memory_order_acquire) & kForkingBit) backoff(spins);
      g = gate_.fetch_add(kOneSubmitter, std::memory_order_acq_rel);
    }
    // Python starts a worker only if none is idle at submit time. Sample before the push
    // too: an idle worker may take this very task (and stop being idle) before we look again.
    const std::uint64_t before = idle_state_.load(std::memory_order_relaxed);
    push(&task);
    std::exception_ptr start_error;
    const std::uint64_t idle = idle_state_.load(std::memory_order_seq_cst);
    const std::uint64_t idle_workers = idle & kIdleMask;
    if (idle_workers == 0 && (before & kIdleMask) == 0) {
      if (threads_.load(std::memory_order_relaxed) < max_workers_) {
        try {
          start_worker();
        } catch (...) {
          start_error = std::current_exception();
        }
      }
    } else if (idle_workers != 0 && idle_workers == (idle >> 32)) {
      wake_one();  // every idle worker sleeps
    }
    gate_.fetch_sub(kOneSubmitter, std::memory_order_acq_rel);
    if (start_error && threads_.load(std::memory_order_acquire) == 0) [[unlikely]] {
      // No worker exists to run it: fail the task (it stays queued and is skipped).
      task.try_set_exception(start_error);
    }
  }

  // ---- shutdown ----------------------------------------------------------------------------
  void shutdown(bool wait, bool cancel_futures, bool at_exit = false) {
    gate_.fetch_or(kShutdownBit | (at_exit ? kExitBit : 0), std::memory_order_acq_rel);
    wait_for_submitters();
    if (cancel_futures) {
      for (FutureStateBase* t : drain()) {
        t->cancel();
        t->execute();  // notices the cancellation and drops the callable now
        t->release();
      }
    }
    closed_.store(true, std::memory_order_seq_cst);
    wake_all();
    if (wait) join_workers();
  }

  // ---- fork --------------------------------------------------------------------------------
  void fork_prepare() {
    gate_.fetch_or(kForkingBit, std::memory_order_acq_rel);
    wait_for_submitters();
    threads_mutex_.lock();
    consumer_lock_.lock();
    idle_lock_.lock();
  }
  void fork_parent() {
    idle_lock_.unlock();
    consumer_lock_.unlock();
    threads_mutex_.unlock();
    gate_.fetch_and(~kForkingBit, std::memory_order_acq_rel);
  }
  void fork_child() {
    // Only the forking thread exists. The worker threads are gone: forget them without
    // joining (their Thread objects are leaked on purpose).
    std::vector<FutureStateBase*> running;
    for (auto& w : workers_) {
      if (FutureStateBase* t = w->current.load(std::memory_order_relaxed)) running.push_back(t);
    }
    new std::vector<std::unique_ptr<Worker>>(std::move(workers_));  // NOLINT: leaked on purpose
    workers_.clear();
    std::vector<FutureStateBase*> queued;
    while (QueueNode* n = pop_locked()) queued.push_back(static_cast<FutureStateBase*>(n));
    idle_list_ = WaitList();  // its nodes lived on the vanished threads' stacks
    idle_state_.store(0, std::memory_order_relaxed);
    spinners_.store(0, std::memory_order_relaxed);
    threads_.store(0, std::memory_order_relaxed);
    idle_lock_.unlock();
    consumer_lock_.unlock();
    threads_mutex_.unlock();
    gate_.fetch_and(~kForkingBit, std::memory_order_acq_rel);
    for (FutureStateBase* t : queued) {
      t->cancel();
      t->execute();
      t->release();
    }
    for (FutureStateBase* t : running) {
      // The dead worker's reference is leaked: its callable may be mid-call.
      t->try_set_exception(std::make_exception_ptr(BrokenThreadPool(
          "the worker thread running this task does not exist in the forked child")));
    }
  }

 private:
  // ---- the run queue -----------------------------------------------------------------------
  void push(QueueNode* n) noexcept {
    n->qnext.store(nullptr, std::memory_order_relaxed);
    QueueNode* prev = head_.exchange(n, std::memory_order_seq_cst);
    prev->qnext.store(n, std::memory_order_release);
  }
  // Consumer side; caller holds consumer_lock_. Null if empty or a push is half done.
  QueueNode* pop_locked() noexcept {
    QueueNode* tail = tail_.load(std::memory_order_relaxed);
    QueueNode* next = tail->qnext.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (!next) return nullptr;
      tail_.store(next, std::memory_order_relaxed);
      tail = next;
      next = next->qnext.load(std::memory_order_acquire);
    }
    if (next) {
      tail_.store(next, std::memory_order_relaxed);
      return tail;
    }
    if (tail != head_.load(std::memory_order_acquire)) return nullptr;
    push(&stub_);
    next = tail->qnext.load(std::memory_order_acquire);
    if (next) {
      tail_.store(next, std::memory_order_relaxed);
      return tail;
    }
    return nullptr;
  }
  [[nodiscard]] bool looks_empty() const noexcept {
    return tail_.load(std::memory_order_acquire) == &stub_ &&
           stub_.qnext.load(std::memory_order_acquire) == nullptr;
  }
  // Sound "non-empty" test (a half-done push counts as non-empty).
  [[nodiscard]] bool has_work() const noexcept {
    return head_.load(std::memory_order_seq_cst) != &stub_;
  }
  FutureStateBase* pop(Worker* w) noexcept {
    if (looks_empty()) return nullptr;
    consumer_lock_.lock();
    auto* t = static_cast<FutureStateBase*>(pop_locked());
    if (t && w) w->current.store(t, std::memory_order_relaxed);
    consumer_lock_.unlock();
    return t;
  }
  std::vector<FutureStateBase*> drain() {
    std::vector<FutureStateBase*> out;
    consumer_lock_.lock();
    while (QueueNode* n = pop_locked()) {
      try {
        out.push_back(static_cast<FutureStateBase*>(n));
      } catch (...) {
        // Out of memory: put it back at the end rather than lose it.
        push(n);
        break;
      }
    }
    consumer_lock_.unlock();
    return out;
  }

  void wait_for_submitters() const noexcept {
    unsigned spins = 0;
    while (gate_.load(std::memory_order_acquire) >= kOneSubmitter) backoff(spins);
  }

  // ---- workers -----------------------------------------------------------------------------
  void start_worker() {
    std::lock_guard<std::mutex> lk(threads_mutex_);
    const int n = threads_.load(std::memory_order_relaxed);
    if (n >= max_workers_ || closed_.load(std::memory_order_acquire)) return;
    auto w = std::make_unique<Worker>();
    w->name = prefix_ + "_" + std::to_string(n);
    Worker* wp = w.get();
    workers_.push_back(std::move(w));
    try {
      wp->thread = std::make_unique<Thread>(ThreadOptions{.name = wp->name, .daemon = true},
                                            [self = shared_from_this(), wp] {
                                              self->worker_main(*wp);
                                            });
      wp->thread->start();
    } catch (...) {
      workers_.pop_back();
      throw;
    }
    threads_.store(n + 1, std::memory_order_release);
  }

  void worker_main(Worker& w) {
    if (initializer_) {
      try {
        initializer_();
      } catch (...) {
        print_exception("Exception in initializer:", std::current_exception());
        initializer_failed();
        return;
      }
    }
    bool idle = false;
    for (;;) {
      if (FutureStateBase* t = pop(&w)) {
        if (idle) {
          idle_state_.fetch_sub(1, std::memory_order_seq_cst);
          idle = false;
        }
        run(w, t, idle);
        continue;
      }
      if (!idle) {
        idle_state_.fetch_add(1, std::memory_order_seq_cst);
        idle = true;
      }
      if (closed_.load(std::memory_order_seq_cst)) {
        // No submitter is in flight once closed_ is set: an empty pop means empty.
        if (!has_work()) break;
        continue;
      }
      if (spin()) continue;
      sleep();
    }
    if (idle) idle_state_.fetch_sub(1, std::memory_order_seq_cst);
  }

  void run(Worker& w, FutureStateBase* t, bool& idle) noexcept {
    const auto outcome = t->execute();
    w.current.store(nullptr, std::memory_order_relaxed);
    if (outcome != FutureStateBase::Outcome::kSkipped) {
      if (!idle && looks_empty()) {
        idle_state_.fetch_add(1, std::memory_order_seq_cst);
        idle = true;
      }
      t->publish_from_running(outcome == FutureStateBase::Outcome::kException);
    }
    t->release();
  }

  // Spins for idle_spin_ waiting for work; false if none came (or no spinner slot).
  bool spin() noexcept {
    if (idle_spin_ <= std::chrono::nanoseconds::zero()) return false;
    int s = spinners_.load(std::memory_order_relaxed);
    do {
      if (s >= max_spinners_) return false;
    } while (!spinners_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel,
                                              std::memory_order_relaxed));
    const auto limit = Clock::now() + idle_spin_;
    bool found = false;
    while (!found) {
      for (int i = 0; i < 64; ++i) {
        if (head_.load(std::memory_order_relaxed) != &stub_ ||
            closed_.load(std::memory_order_relaxed)) {
          found = true;
          break;
        }
        cpu_relax();
      }
      if (!found && Clock::now() >= limit) break;
      // Let other runnable threads (often the submitter, on an oversubscribed machine) have
      // the CPU between checks: on this 2-core VM under load this cuts round trips 5x.
      if (!found) sched_yield();
    }
    spinners_.fetch_sub(1, std::memory_order_acq_rel);
    return found;
  }

  void sleep() {
    WaitNode node;
    idle_lock_.lock();
    idle_list_.push_back(node);
    idle_state_.fetch_add(kOneSleeper, std::memory_order_seq_cst);
    idle_lock_.unlock();
    if (has_work() || closed_.load(std::memory_order_seq_cst)) {
      idle_lock_.lock();
      const bool mine = idle_list_.remove(node);
      if (mine) idle_state_.fetch_sub(kOneSleeper, std::memory_order_seq_cst);
      idle_lock_.unlock();
      if (mine) return;
      // A waker took the node: its unpark is in flight.
    }
    node.context->park(node, Deadline::never());
  }

  void wake_one() noexcept {
    idle_lock_.lock();
    WaitNode* n = idle_list_.pop_front();
    if (n) idle_state_.fetch_sub(kOneSleeper, std::memory_order_seq_cst);
    idle_lock_.unlock();
    if (n) n->context->unpark(*n);
  }

  void wake_all() noexcept {
    WaitNode* first = nullptr;
    WaitNode* last = nullptr;
    idle_lock_.lock();
    while (WaitNode* n = idle_list_.pop_front()) {
      idle_state_.fetch_sub(kOneSleeper, std::memory_order_seq_cst);
      n->next = nullptr;
      if (last) last->next = n; else first = n;
      last = n;
    }
    idle_lock_.unlock();
    while (first) {
      WaitNode* next = first->next;
      first->context->unpark(*first);
      first = next;
    }
  }

  void join_workers() {
    std::lock_guard<std::mutex> lk(threads_mutex_);
    const std::uint64_t me = get_ident();
    for (auto& w : workers_) {
      if (w->thread && w->thread->ident() != me) w->thread->join();
    }
  }

  void initializer_failed() {
    gate_.fetch_or(kBrokenBit, std::memory_order_acq_rel);
    wait_for_submitters();
    for (FutureStateBase* t : drain()) {
      t->try_set_exception(std::make_exception_ptr(BrokenThreadPool(kBrokenMessage)));
      t->execute();  // drops the callable (the task is already finished)
      t->release();
    }
  }

  // Submit side.
  alignas(64) std::atomic<std::uint64_t> gate_{0};
  // Producer end of the queue.
  alignas(64) std::atomic<QueueNode*> head_{nullptr};
  // Consumer end.
  alignas(64) SpinLock consumer_lock_;
  std::atomic<QueueNode*> tail_{nullptr};
  QueueNode stub_;
  // Idle workers.
  alignas(64) std::atomic<std::uint64_t> idle_state_{0};
  std::atomic<int> threads_{0};
  std::atomic<int> spinners_{0};
  alignas(64) SpinLock idle_lock_;
  WaitList idle_list_;
  std::atomic<bool> closed_{false};
  // Rarely touched.
  alignas(64) std::mutex threads_mutex_;
  std::vector<std::unique_ptr<Worker>> workers_;
  const int max_workers_;
  const std::string prefix_;
  const std::function<void()> initializer_;
  const std::chrono::nanoseconds idle_spin_;
  const int max_spinners_;
};

namespace {

// Every live pool, for the atexit and at-fork handlers. Leaked: it must outlive static
// destructors that may destroy pools.
struct Registry {
  std::mutex m;
  std::vector<std::weak_ptr<ThreadPool>> pools;
  std::vector<std::shared_ptr<ThreadPool>> forking;  // held across fork()
};

Registry& registry() {
  static Registry* r = new Registry;  // NOLINT: leaked on purpose
  return *r;
}

void at_exit_handler() {
  std::vector<std::shared_ptr<ThreadPool>> live;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lk(r.m);
    for (auto& w : r.pools) {
      if (auto p = w.lock()) live.push_back(std::move(p));
    }
  }
  for (auto& p : live) p->shutdown(true, false, /*at_exit=*/true);
}

void fork_prepare() {
  Registry& r = registry();
  r.m.lock();
  r.forking.clear();
  for (auto& w : r.pools) {
    if (auto p = w.lock()) r.forking.push_back(std::move(p));
  }
  for (auto& p : r.forking) p->fork_prepare();
}

void fork_parent() {
  Registry& r = registry();
  for (auto& p : r.forking) p->fork_parent();
  std::vector<std::shared_ptr<ThreadPool>> drop;
  drop.swap(r.forking);
  r.m.unlock();
}

void fork_child() {
  Registry& r = registry();
  for (auto& p : r.forking) p->fork_child();
  std::vector<std::shared_ptr<ThreadPool>> keep;
  keep.swap(r.forking);
  r.m.unlock();
}

void register_pool(const std::shared_ptr<ThreadPool>& p) {
  static std::once_flag once;
  std::call_once(once, [] {
    // Make sure triad's thread runtime (and its at-fork handlers) exists first: prepare
    // handlers run in reverse registration order, so ours then runs before the threading
    // layer's and can still let a submitter that is inside Thread::start() finish.
    (void)main_thread();
    std::atexit(at_exit_handler);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
  });
  Registry& r = registry();
  std::lock_guard<std::mutex> lk(r.m);
  std::erase_if(r.pools, [](const std::weak_ptr<ThreadPool>& w) { return w.expired(); });
  r.pools.push_back(p);
}

}  // namespace
}  // namespace triad::detail

namespace triad {

int ThreadPoolExecutor::default_max_workers() noexcept {
  return std::min(32, detail::cpu_count() + 4);
}

ThreadPoolExecutor::ThreadPoolExecutor() : ThreadPoolExecutor(ThreadPoolOptions{}) {}

ThreadPoolExecutor::ThreadPoolExecutor(std::optional<int> max_workers,
                                       std::string thread_name_prefix,
                                       std::function<void()> initializer)
    : ThreadPoolExecutor(ThreadPoolOptions{max_workers, std::move(thread_name_prefix),
                                           std::move(initializer), std::nullopt}) {}

ThreadPoolExecutor::ThreadPoolExecutor(ThreadPoolOptions options) {
  const int n = options.max_workers.value_or(default_max_workers());
  if (n <= 0) throw ValueError("max_workers must be greater than 0");
  std::string prefix = std::move(options.thread_name_prefix);
  if (prefix.empty()) {
    prefix = "ThreadPoolExecutor-" + std::to_string(detail::g_prefix_counter.fetch_add(1));
  }
  const auto spin = options.idle_spin.value_or(
      detail::cpu_count() > 1 ? std::chrono::nanoseconds(std::chrono::microseconds(50))
                              : std::chrono::nanoseconds(0));
  pool_ = std::make_shared<detail::ThreadPool>(n, std::move(prefix),
                                               std::move(options.initializer), spin);
  detail::register_pool(pool_);
}

ThreadPoolExecutor::~ThreadPoolExecutor() { pool_->shutdown(true, false); }

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  pool_->shutdown(wait, cancel_futures);
}

int ThreadPoolExecutor::max_workers() const noexcept { return pool_->max_workers(); }
std::size_t ThreadPoolExecutor::num_threads() const noexcept { return pool_->num_threads(); }
const std::string& ThreadPoolExecutor::thread_name_prefix() const noexcept {
  return pool_->prefix();
}

void ThreadPoolExecutor::schedule(detail::FutureStateBase& task) { pool_->submit(task); }

}  // namespace triad
