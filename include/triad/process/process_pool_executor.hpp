// ProcessPoolExecutor: run functions in a pool of worker processes; results come back as
// triad::Future<T>.
//
// Python: concurrent.futures.ProcessPoolExecutor.
//
//   int square(int x) { return x * x; }
//
//   triad::process::ProcessPoolExecutor pool(4);
//   triad::Future<int> f = pool.submit(square, 7);
//   f.result();                                            // 49
//   for (int y : pool.map(square, std::vector<int>{1, 2, 3}, triad::MapOptions{.chunksize = 2}))
//     use(y);                                              // 1, 4, 9 in input order
//
// Functions cross by identity: a function pointer or a captureless lambda (anything else
// is a compile-time error saying so); arguments and results go through cereal (trivially
// copyable arguments as raw bytes). The workers are forked when the pool is created, so the
// function is at the same address in them. An exception raised in a worker re-raises in the
// parent as the same type when that type is registered (register_exception<E>(); triad's
// exceptions and the std::exception family are pre-registered), otherwise as
// RemoteError(type name, message, "worker pid N").
//
// Transport: tasks and results travel on two shared-memory rings (the process Queue's ring,
// see detail/ring.hpp), so a busy pool makes no system call per task: a worker takes the
// next task without waking anyone, and returns its results in batches (up to 64 results, or
// whatever finished within ~100 µs, or whatever it has when the task ring is empty); the
// parent's collector thread completes a batch's futures under one lock. A futex wake-up is
// made only for a side that is actually asleep.
//
// A worker that dies (crash, SIGKILL, exit) breaks the pool within ~20 ms, as in Python:
// every pending future fails with BrokenProcessPool, the other workers are killed, and later
// submit() calls raise BrokenProcessPool.
//
// max_tasks_per_child (Python 3.11): a worker exits after that many tasks and the collector
// starts a fresh one at once. Python refuses it with the fork start method (forking a
// threaded parent again later is unsafe for Python's own locks); triad forks the replacement
// from its collector thread, whose at-fork handlers make triad's own state safe, so fork is
// allowed here. User state with locks held by other parent threads is the usual fork caveat
// (docs/process.md).
//
// Which thread runs done-callbacks: the pool's collector thread in the parent (the thread
// that receives results), or the thread that adds the callback to an already-done future.
//
// Differences from the thread pool's Executor: the same submit / map / shutdown shape, the
// same Future and the same lazy MapResults from map(), but ProcessPoolExecutor is not a
// triad::Executor subclass, because Executor::submit accepts any callable and runs it
// in-process. Only the fork context is supported (a spawn context raises ValueError; spawned
// workers would need the rings in named shared memory).
//
// Thread safety: submit, map and shutdown may be called from any thread of the parent.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "triad/core/error.hpp"
#include "triad/futures/executor.hpp"
#include "triad/futures/future.hpp"
#include "triad/process/detail/ring.hpp"
#include "triad/process/detail/serialize.hpp"
#include "triad/process/process.hpp"

namespace triad::process {

namespace detail {

// ---- Kept for other pools (multiprocessing.Pool): a task and a result as cereal values, and
// an invoker that runs a function on cereal-encoded arguments.

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

// The demangled type of the exception being handled ("unknown exception" if none).
std::string current_exception_type_name();
// An exception raised in a worker, as the parent re-raises it: the registered type or
// RemoteError(type_name, message, "worker pid N").
std::exception_ptr pool_remote_exception(const std::string& type_name, const std::string& message,
                                          int pid);

// ---- The ProcessPoolExecutor's wire format (both ends run the same binary).

// A task message: this header, then the encoded arguments.
struct PoolTaskHeader {
  std::uint64_t id;
  std::uint64_t call;  // a PoolCall
  std::uint64_t fn;
  std::uint32_t kind;  // kPoolCall or kPoolStop
  std::uint32_t reserved;
};
inline constexpr std::uint32_t kPoolCall = 0;
inline constexpr std::uint32_t kPoolStop = 1;

// A result message: one or more of (this header, `size` bytes of payload).
// status kPoolOk: the encoded result. kPoolRaised: u32 type-name length, the type name, the
// message. kPoolWorkerExit (id 0, no payload): the worker reached max_tasks_per_child.
struct PoolResultHeader {
  std::uint64_t id;
  std::uint32_t size;
  std::uint32_t status;
  std::int32_t pid;
  std::uint32_t reserved;
};
inline constexpr std::uint32_t kPoolOk = 0;
inline constexpr std::uint32_t kPoolRaised = 1;
inline constexpr std::uint32_t kPoolWorkerExit = 2;

// Runs fn on the arguments in [args, args + n) and appends the encoded result to out.
using PoolCall = void (*)(const void* fn, const char* args, std::size_t n, std::string& out);

template <class... A>
inline constexpr bool all_raw_v = (is_raw_v<A> && ...);

// Arguments: raw bytes one after the other when every one is trivially copyable, else the
// cereal encoding of the tuple.
template <class... D, class... A>
void encode_args(std::string& out, A&&... a) {
  if constexpr (all_raw_v<D...>) {
    (out.append(reinterpret_cast<const char*>(std::addressof(a)), sizeof(D)), ...);
  } else {
    encode(out, std::tuple<D...>(std::forward<A>(a)...));
  }
}

template <class X>
X take_raw(const char* p, std::size_t& off) {
  X v;
  std::memcpy(static_cast<void*>(std::addressof(v)), p + off, sizeof(X));
  off += sizeof(X);
  return v;
}

template <class... D>
std::tuple<D...> decode_args(const char* p, std::size_t n) {
  if constexpr (all_raw_v<D...>) {
    constexpr std::size_t want = (std::size_t{0} + ... + sizeof(D));
    if (n != want)
      throw ValueError("corrupted message: expected " + std::to_string(want) +
                       " bytes of arguments, got " + std::to_string(n));
    std::size_t off = 0;
    return std::tuple<D...>{take_raw<D>(p, off)...};  // braced: left to right
  } else {
    return decode<std::tuple<D...>>(p, n);
  }
}

template <class Fp, class R, class... D>
void pool_call(const void* fn, const char* args, std::size_t n, std::string& out) {
  auto t = decode_args<D...>(args, n);
  auto f = reinterpret_cast<Fp>(const_cast<void*>(fn));
  if constexpr (std::is_void_v<R>) {
    std::apply(f, std::move(t));
  } else {
    encode(out, static_cast<R>(std::apply(f, std::move(t))));
  }
}

// A map chunk: the arguments are a std::vector of argument tuples; the result is the values
// of the calls up to the first exception (void results as a count), then u8 0, or u8 1 and
// the exception's type name and message.
// A chunk's arguments: when every argument type is trivially copyable, the raw bytes of each
// call's arguments one call after the other; else the cereal encoding of a std::vector of
// argument tuples.
template <class... D, class Tuple>
void encode_chunk(std::string& out, const std::vector<Tuple>& items) {
  if constexpr (all_raw_v<D...>) {
    out.reserve(out.size() + items.size() * (std::size_t{0} + ... + sizeof(D)));
    for (const auto& t : items)
      std::apply([&](const auto&... a) { encode_args<D...>(out, a...); }, t);
  } else {
    encode(out, items);
  }
}

template <class... D>
std::vector<std::tuple<D...>> decode_chunk(const char* p, std::size_t n) {
  if constexpr (all_raw_v<D...>) {
    constexpr std::size_t each = (std::size_t{0} + ... + sizeof(D));
    if (n % each != 0)
      throw ValueError("corrupted message: a chunk of " + std::to_string(n) +
                       " bytes is not a whole number of " + std::to_string(each) +
                       "-byte argument lists");
    std::vector<std::tuple<D...>> items;
    items.reserve(n / each);
    for (std::size_t off = 0; off < n; off += each) items.push_back(decode_args<D...>(p + off, each));
    return items;
  } else {
    return decode<std::vector<std::tuple<D...>>>(p, n);
  }
}

template <class Fp, class R, class... D>
void pool_call_chunk(const void* fn, const char* args, std::size_t n, std::string& out) {
  auto items = decode_chunk<D...>(args, n);
  auto f = reinterpret_cast<Fp>(const_cast<void*>(fn));
  using V = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
  std::vector<V> values;
  std::uint64_t count = 0;
  std::string type_name, message;
  bool raised = false;
  if constexpr (!std::is_void_v<R>) values.reserve(items.size());
  for (auto& t : items) {
    try {
      if constexpr (std::is_void_v<R>) {
        std::apply(f, std::move(t));
        ++count;
      } else {
        values.push_back(static_cast<R>(std::apply(f, std::move(t))));
      }
    } catch (const std::exception& e) {
      type_name = current_exception_type_name();
      message = e.what();
      raised = true;
      break;
    } catch (...) {
      type_name = current_exception_type_name();
      raised = true;
      break;
    }
  }
  if constexpr (std::is_void_v<R>) {
    encode(out, count);
  } else {
    encode(out, values);
  }
  const std::uint8_t flag = raised ? 1 : 0;
  encode(out, flag);
  if (raised) encode(out, std::make_tuple(type_name, message));
}

// The parent's record of a task in flight.
struct PendingCall {
  std::uint64_t id = 0;
  PendingCall() = default;
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;
  virtual ~PendingCall() = default;
  // The worker returned `payload` (status kPoolOk). Never throws.
  virtual void complete(const char* payload, std::size_t n, int pid) noexcept = 0;
  // The call raised in the worker, or the pool broke. Never throws.
  virtual void fail(std::exception_ptr e) noexcept = 0;
  // shutdown(cancel_futures=true): cancel the future if it is still pending.
  virtual void cancel() noexcept = 0;
};

template <class T>
struct PendingBase : PendingCall {
  Promise<T> promise;
  void fail(std::exception_ptr e) noexcept override {
    try {
      if (promise.set_running_or_notify_cancel()) promise.set_exception(std::move(e));
    } catch (...) {
    }
  }
  void cancel() noexcept override {
    try {
      promise.get_future().cancel();
    } catch (...) {
    }
  }
};

template <class R>
struct PendingResult final : PendingBase<R> {
  void complete(const char* p, std::size_t n, int) noexcept override {
    try {
      if (!this->promise.set_running_or_notify_cancel()) return;
      try {
        if constexpr (std::is_void_v<R>) {
          this->promise.set_result();
        } else {
          this->promise.set_result(decode<R>(p, n));
        }
      } catch (...) {
        this->promise.set_exception(std::current_exception());
      }
    } catch (...) {
    }
  }
};

template <class R, class V>
struct PendingChunk final : PendingBase<triad::detail::MapChunk<V>> {
  void complete(const char* p, std::size_t n, int pid) noexcept override {
    try {
      if (!this->promise.set_running_or_notify_cancel()) return;
      try {
        this->promise.set_result(decode_chunk(p, n, pid));
      } catch (...) {
        this->promise.set_exception(std::current_exception());
      }
    } catch (...) {
    }
  }
  static triad::detail::MapChunk<V> decode_chunk(const char* p, std::size_t n, int pid) {
    triad::detail::MapChunk<V> out;
    CheckedInputArchive ar(p, n);
    if constexpr (std::is_void_v<R>) {
      std::uint64_t count = 0;
      ar(count);
      if (count > n * 64) throw ValueError("corrupted message: a map chunk too long");
      out.values.resize(static_cast<std::size_t>(count));
    } else {
      ar(out.values);
    }
    std::uint8_t raised = 0;
    ar(raised);
    if (raised) {
      std::tuple<std::string, std::string> e;
      ar(e);
      out.error = pool_remote_exception(std::get<0>(e), std::get<1>(e), pid);
    }
    return out;
  }
};

}  // namespace detail

class ProcessPoolExecutor {
 public:
  // Python: ProcessPoolExecutor(max_workers=None, mp_context=None, initializer=None,
  // initargs=(), max_tasks_per_child=None).
  // max_workers: default cpu_count(); initializer runs first in every worker (a throwing
  // initializer breaks the pool); max_tasks_per_child: a worker is replaced after that many
  // tasks (0 or absent = never). Forks the workers before returning.
  // Throws ValueError("max_workers must be greater than 0"),
  // ValueError("max_tasks_per_child must be >= 1"), ValueError for a spawn context.
  explicit ProcessPoolExecutor(std::optional<int> max_workers = std::nullopt,
                               std::function<void()> initializer = {},
                               const Context* context = nullptr,
                               std::optional<int> max_tasks_per_child = std::nullopt);
  ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
  ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;
  // shutdown(true).
  ~ProcessPoolExecutor();

  // Python: submit(fn, *args). Schedules fn(args...) in a worker and returns its Future.
  // Blocks only while the task ring (4 MiB) is full · does not yield a green thread ·
  // thread-safe · throws RuntimeError("cannot schedule new futures after shutdown"),
  // BrokenProcessPool once a worker died · no timeout.
  template <class F, class... A>
  auto submit(F&& fn, A&&... args) {
    detail::check_pool_function<F>();
    using Fp = decltype(+fn);
    using R = std::remove_cvref_t<std::invoke_result_t<Fp, std::decay_t<A>...>>;
    static_assert(std::is_void_v<R> || detail::is_sendable_v<R>,
                  "ProcessPoolExecutor: the result type must be serializable with cereal");
    std::string& buf = scratch();
    buf.assign(sizeof(detail::PoolTaskHeader), '\0');
    detail::encode_args<std::decay_t<A>...>(buf, std::forward<A>(args)...);
    auto* call = new detail::PendingResult<R>();
    Future<R> fut = call->promise.get_future();
    send(buf, call, reinterpret_cast<std::uint64_t>(&detail::pool_call<Fp, R, std::decay_t<A>...>),
         reinterpret_cast<std::uint64_t>(+fn));
    return fut;
  }

  // Python: map(fn, *iterables, timeout=None, chunksize=1), with ThreadPoolExecutor's shape
  // (triad::Executor::map): ex.map(fn, xs), ex.map(fn, xs, ys) (zip, stops at the shortest),
  // ex.map(fn, xs, 2s), ex.map(fn, xs, MapOptions{.timeout = 2s, .chunksize = 256}).
  // Submits every call at once, in tasks of `chunksize` calls, and returns a MapResults: the
  // results lazily in input order; each step blocks until its result is ready (TimeoutError
  // once the deadline, measured from this call, has passed); a call that raised re-raises at
  // its position, and the iteration ends there. Destroying the MapResults early cancels the
  // chunks not yet finished (a worker may still run them; their results are dropped).
  // void functions yield std::monostate. Throws like submit();
  // ValueError("chunksize must be >= 1.").
  template <class F, class... Rest>
  auto map(F&& fn, Rest&&... rest) {
    detail::check_pool_function<F>();
    auto all = std::forward_as_tuple(std::forward<Rest>(rest)...);
    if constexpr (triad::detail::LastIsOptions<Rest...>::value) {
      constexpr std::size_t n = sizeof...(Rest) - 1;
      return map_ranges(+fn, triad::detail::to_map_options(std::get<n>(all)), all,
                        std::make_index_sequence<n>{});
    } else {
      return map_ranges(+fn, MapOptions{}, all, std::make_index_sequence<sizeof...(Rest)>{});
    }
  }
  // The positional form of earlier triad versions: map(fn, xs, chunksize).
  template <class F, std::ranges::input_range Xs>
  auto map(F&& fn, Xs&& xs, std::size_t chunksize) {
    return map(std::forward<F>(fn), std::forward<Xs>(xs), MapOptions{.timeout = {}, .chunksize = chunksize});
  }
  template <class F, std::ranges::input_range Xs>
  auto map(F&& fn, Xs&& xs, int chunksize) {
    if (chunksize < 1) throw ValueError("chunksize must be >= 1.");
    return map(std::forward<F>(fn), std::forward<Xs>(xs), static_cast<std::size_t>(chunksize));
  }

  // Python: shutdown(wait=True, *, cancel_futures=False). Further submits raise RuntimeError.
  // cancel_futures cancels every future not finished yet (their tasks may still run in a
  // worker; the results are dropped). With wait, blocks until every pending future is done
  // and the workers have exited (not a green-thread yield) · thread-safe, idempotent · throws
  // nothing · no timeout.
  void shutdown(bool wait = true, bool cancel_futures = false);

  // The workers' pids (Python: the keys of _processes). Thread-safe.
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
  template <class Fp, class Tuple, std::size_t... I>
  auto map_ranges(Fp fn, MapOptions opts, Tuple& all, std::index_sequence<I...>) {
    static_assert(sizeof...(I) >= 1, "map() needs at least one iterable");
    using ArgTuple = std::tuple<std::ranges::range_value_t<std::remove_cvref_t<
        std::tuple_element_t<I, std::remove_reference_t<Tuple>>>>...>;
    using R = std::remove_cvref_t<std::invoke_result_t<Fp, std::tuple_element_t<I, ArgTuple>&&...>>;
    using V = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
    static_assert(std::is_void_v<R> || detail::is_sendable_v<R>,
                  "ProcessPoolExecutor: the result type must be serializable with cereal");
    if (opts.chunksize < 1) throw ValueError("chunksize must be >= 1.");
    const Deadline deadline = Deadline::after(opts.timeout);
    const auto call = reinterpret_cast<std::uint64_t>(
        &detail::pool_call_chunk<Fp, R, std::tuple_element_t<I, ArgTuple>...>);
    std::vector<Future<triad::detail::MapChunk<V>>> chunks;
    auto its = std::make_tuple(std::ranges::begin(std::get<I>(all))...);
    auto ends = std::make_tuple(std::ranges::end(std::get<I>(all))...);
    auto at_end = [&] { return ((std::get<I>(its) == std::get<I>(ends)) || ...); };
    std::vector<ArgTuple> batch;
    std::string buf;
    try {
      while (!at_end()) {
        batch.emplace_back(*std::get<I>(its)...);
        (++std::get<I>(its), ...);
        if (batch.size() == opts.chunksize || at_end()) {
          buf.assign(sizeof(detail::PoolTaskHeader), '\0');
          detail::encode_chunk<std::tuple_element_t<I, ArgTuple>...>(buf, batch);
          batch.clear();
          auto* pc = new detail::PendingChunk<R, V>();
          chunks.push_back(pc->promise.get_future());
          send(buf, pc, call, reinterpret_cast<std::uint64_t>(fn));
        }
      }
    } catch (...) {
      for (auto& c : chunks) c.cancel();
      throw;
    }
    return MapResults<V>(std::move(chunks), deadline);
  }

  static std::string& scratch();
  // Registers `call` (taking ownership), fills buf's header and puts it on the task ring.
  void send(std::string& buf, detail::PendingCall* call, std::uint64_t invoker, std::uint64_t fn);
  void start_worker(std::size_t index);
  void worker_main();
  void collect();
  void dispatch(const std::string& msg);
  bool check_workers(bool stopping);
  void break_pool(const std::string& why);
  static std::string demangled_name(const std::type_info& t);
  static void register_exception_type(std::string name,
                                      std::function<std::exception_ptr(const std::string&)> make);

  int max_workers_;
  long max_tasks_per_child_ = 0;
  std::function<void()> initializer_;
  detail::Ring tasks_;
  detail::Ring results_;
  mutable std::mutex mutex_;  // guards everything below
  std::vector<std::unique_ptr<Process>> workers_;
  std::vector<detail::PendingCall*> slots_;  // id = generation << 32 | slot
  std::vector<std::uint32_t> free_slots_;
  std::uint32_t generation_ = 0;
  std::size_t npending_ = 0;
  int sending_ = 0;  // submits between registering and putting their task
  bool shutdown_ = false;
  std::exception_ptr broken_;
  std::atomic<bool> stop_collector_{false};
  std::thread collector_;
};

}  // namespace triad::process
