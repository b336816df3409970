// ProcessPoolExecutor: run functions in a pool of worker processes; results come back as
// triad::Future<T>.
//
// Python: concurrent.futures.ProcessPoolExecutor.
//
//   int square(int x) { return x * x; }
//
//   triad::process::ProcessPoolExecutor pool(4);
//   triad::Future<int> f = pool.submit(square, 7);
//   f.result();                                    // 49
//   std::vector<int> v = pool.map(square, std::vector<int>{1, 2, 3}, 2);  // chunksize 2
//
// Functions cross by identity: a function pointer or a captureless lambda (anything else
// is a compile-time error saying so); arguments and results go through cereal. The workers
// are forked when the pool is created, so the function is at the same address in them.
// An exception raised in a worker re-raises in the parent as the same type when that type is
// registered (register_exception<E>(); triad's exceptions and the std::exception family are
// pre-registered), otherwise as RemoteError(type name, message, "worker pid N").
//
// A worker that dies (crash, SIGKILL, exit) breaks the pool within ~20 ms, as in Python:
// every pending future fails with BrokenProcessPool, the other workers are terminated, and
// later submit() calls raise BrokenProcessPool.
//
// Which thread runs done-callbacks: the pool's collector thread in the parent (the thread
// that receives results), or the thread that adds the callback to an already-done future.
//
// Differences from the thread pool's Executor: ProcessPoolExecutor has the same submit / map /
// shutdown shape and Future type but is not a triad::Executor subclass, because
// Executor::submit accepts any callable and runs it in-process. map() is eager: it returns
// the results in input order as a vector (raising the first exception), in tasks of
// `chunksize` calls. Not yet: max_tasks_per_child, the spawn context, cancel_futures.
//
// Thread safety: submit, map and shutdown may be called from any thread of the parent.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include "triad/core/error.hpp"
#include "triad/futures/future.hpp"
#include "triad/process/detail/serialize.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"

namespace triad::process {

class Pool;

namespace detail {

struct PoolTask {
  std::uint64_t id = 0;
  std::uint64_t invoker = 0;
  std::uint64_t fn = 0;
  std::string args;
  bool stop = false;
  template <class A>
  void serialize(A& ar) {
    ar(id, invoker, fn, args, stop);
  }
};

struct PoolResult {
  std::uint64_t id = 0;
  bool ok = false;
  std::string payload;
  std::string type_name;
  std::string message;
  int pid = 0;
  template <class A>
  void serialize(A& ar) {
    ar(id, ok, payload, type_name, message, pid);
  }
};

using PoolInvoker = std::string (*)(const void* fn, const std::string& args);

template <class Fp, class R, class... A>
std::string pool_invoke(const void* fn, const std::string& data) {
  auto args = decode<std::tuple<A...>>(data.data(), data.size());
  auto f = reinterpret_cast<Fp>(const_cast<void*>(fn));
  std::string out;
  if constexpr (std::is_void_v<R>) {
    std::apply(f, std::move(args));
  } else {
    encode(out, static_cast<R>(std::apply(f, std::move(args))));
  }
  return out;
}

template <class Fp, class R, class A>
std::string pool_invoke_chunk(const void* fn, const std::string& data) {
  auto items = decode<std::vector<A>>(data.data(), data.size());
  auto f = reinterpret_cast<Fp>(const_cast<void*>(fn));
  std::vector<R> results;
  results.reserve(items.size());
  for (auto& x : items) results.push_back(f(std::move(x)));
  std::string out;
  encode(out, results);
  return out;
}

template <class F>
constexpr void check_pool_function() {
  static_assert(FunctionLike<std::decay_t<F>>,
                "ProcessPoolExecutor: functions cross to worker processes by identity, so pass "
                "a function pointer or a captureless lambda. Move captured state into the "
                "arguments (they are serialized with cereal), or use Process with the fork "
                "start method for closures.");
}

}  // namespace detail

class ProcessPoolExecutor {
 public:
  // max_workers: default cpu_count(); initializer runs first in every worker (a throwing
  // initializer breaks the pool). Only the fork context is supported yet.
  // Throws ValueError("max_workers must be greater than 0"), ValueError for a spawn context.
  explicit ProcessPoolExecutor(std::optional<int> max_workers = std::nullopt,
                               std::function<void()> initializer = {},
                               const Context* context = nullptr);
  ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
  ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;
  // shutdown(true).
  ~ProcessPoolExecutor();

  // Schedules fn(args...) in a worker. Never blocks (unless the task queue's buffer is full).
  // Throws RuntimeError("cannot schedule new futures after shutdown"), BrokenProcessPool
  // once a worker died.
  template <class F, class... A>
  auto submit(F&& fn, A&&... args) {
    detail::check_pool_function<F>();
    using Fp = decltype(+fn);
    using R = std::remove_cvref_t<std::invoke_result_t<Fp, std::decay_t<A>...>>;
    static_assert(std::is_void_v<R> || detail::is_sendable_v<R>,
                  "ProcessPoolExecutor: the result type must be serializable with cereal");
    detail::PoolTask t;
    t.invoker = reinterpret_cast<std::uint64_t>(&detail::pool_invoke<Fp, R, std::decay_t<A>...>);
    t.fn = reinterpret_cast<std::uint64_t>(+fn);
    detail::encode(t.args, std::tuple<std::decay_t<A>...>(std::forward<A>(args)...));
    auto promise = std::make_shared<Promise<R>>();
    Future<R> fut = promise->get_future();
    enqueue(t, [promise](const detail::PoolResult* r, std::exception_ptr broken) {
      if (!promise->set_running_or_notify_cancel()) return;
      if (broken) return promise->set_exception(broken);
      if (!r->ok) return promise->set_exception(make_remote_exception(*r));
      try {
        if constexpr (std::is_void_v<R>) {
          promise->set_result();
        } else {
          promise->set_result(detail::decode<R>(r->payload.data(), r->payload.size()));
        }
      } catch (...) {
        promise->set_exception(std::current_exception());
      }
    });
    return fut;
  }

  // fn over xs in tasks of `chunksize` calls; the results in input order. Blocks until all
  // are done; raises the first exception (by position). Throws ValueError("chunksize must be
  // >= 1.") and like submit().
  template <class F, class X>
  auto map(F&& fn, const std::vector<X>& xs, std::size_t chunksize = 1) {
    detail::check_pool_function<F>();
    using Fp = decltype(+fn);
    using R = std::remove_cvref_t<std::invoke_result_t<Fp, X>>;
    if (chunksize < 1) throw ValueError("chunksize must be >= 1.");
    std::vector<Future<std::vector<R>>> parts;
    for (std::size_t i = 0; i < xs.size(); i += chunksize) {
      std::vector<X> chunk(xs.begin() + static_cast<std::ptrdiff_t>(i),
                           xs.begin() + static_cast<std::ptrdiff_t>(std::min(xs.size(), i + chunksize)));
      parts.push_back(submit_chunk<Fp, R, X>(+fn, chunk));
    }
    std::vector<R> out;
    out.reserve(xs.size());
    for (auto& p : parts)
      for (auto& r : p.result()) out.push_back(std::move(r));
    return out;
  }

  // Python: shutdown(wait=True). Further submits raise RuntimeError. With wait, blocks until
  // every pending future is done and the workers have exited.
  void shutdown(bool wait = true);

  // The workers' pids (Python: the keys of _processes).
  [[nodiscard]] std::vector<pid_t> worker_pids() const;
  [[nodiscard]] int max_workers() const noexcept { return max_workers_; }

  // Makes exceptions of type E raised in workers re-raise as E in the parent (E must be
  // constructible from a std::string message). Thread-safe.
  template <class E>
  static void register_exception() {
    register_exception_type(demangled_name(typeid(E)), [](const std::string& msg) {
      return std::make_exception_ptr(E(msg));
    });
  }

 private:
  friend class Pool;  // multiprocessing.Pool (pool.hpp) shares the exception registry
  using Completion = std::function<void(const detail::PoolResult*, std::exception_ptr)>;
  template <class Fp, class R, class X>
  Future<std::vector<R>> submit_chunk(Fp fn, const std::vector<X>& chunk) {
    detail::PoolTask t;
    t.invoker = reinterpret_cast<std::uint64_t>(&detail::pool_invoke_chunk<Fp, R, X>);
    t.fn = reinterpret_cast<std::uint64_t>(fn);
    detail::encode(t.args, chunk);
    auto promise = std::make_shared<Promise<std::vector<R>>>();
    auto fut = promise->get_future();
    enqueue(t, [promise](const detail::PoolResult* r, std::exception_ptr broken) {
      if (!promise->set_running_or_notify_cancel()) return;
      if (broken) return promise->set_exception(broken);
      if (!r->ok) return promise->set_exception(make_remote_exception(*r));
      try {
        promise->set_result(detail::decode<std::vector<R>>(r->payload.data(), r->payload.size()));
      } catch (...) {
        promise->set_exception(std::current_exception());
      }
    });
    return fut;
  }

  void enqueue(detail::PoolTask& t, Completion done);
  void collect();
  void break_pool(const std::string& why);
  static std::exception_ptr make_remote_exception(const detail::PoolResult& r);
  static std::string demangled_name(const std::type_info& t);
  static void register_exception_type(std::string name,
                                      std::function<std::exception_ptr(const std::string&)> make);

  int max_workers_;
  Queue<detail::PoolTask> tasks_;
  Queue<detail::PoolResult> results_;
  std::vector<std::unique_ptr<Process>> workers_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Completion> pending_;
  std::uint64_t next_id_ = 1;
  bool shutdown_ = false;
  std::exception_ptr broken_;
  std::atomic<bool> stop_collector_{false};
  std::thread collector_;
};

}  // namespace triad::process
