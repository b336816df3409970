#include "triad/process/process_pool_executor.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>

namespace triad::process {
namespace {

using Maker = std::function<std::exception_ptr(const std::string&)>;
using SteadyClock = std::chrono::steady_clock;

// How long the collector sleeps at most before it checks that every worker is alive.
constexpr auto kLivenessInterval = std::chrono::milliseconds(20);
// A worker returns its results at the latest this long after it started the first task of a
// batch, or after kMaxBatch results, or when it finds no task waiting.
constexpr auto kMaxBatchDelay = std::chrono::microseconds(100);
constexpr int kMaxBatch = 64;
constexpr std::size_t kRingBytes = std::size_t{4} << 20;

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

template <class E>
void add(std::map<std::string, Maker>& m, const char* name) {
  m[name] = [](const std::string& msg) { return std::make_exception_ptr(E(msg)); };
}

std::map<std::string, Maker>& registry() {
  static std::map<std::string, Maker>* r = [] {
    auto* m = new std::map<std::string, Maker>;
    add<triad::Error>(*m, "triad::Error");
    add<triad::RuntimeError>(*m, "triad::RuntimeError");
    add<triad::ValueError>(*m, "triad::ValueError");
    add<triad::TimeoutError>(*m, "triad::TimeoutError");
    add<triad::EOFError>(*m, "triad::EOFError");
    add<triad::Full>(*m, "triad::Full");
    add<triad::Empty>(*m, "triad::Empty");
    add<std::runtime_error>(*m, "std::runtime_error");
    add<std::logic_error>(*m, "std::logic_error");
    add<std::invalid_argument>(*m, "std::invalid_argument");
    add<std::out_of_range>(*m, "std::out_of_range");
    add<std::domain_error>(*m, "std::domain_error");
    add<std::length_error>(*m, "std::length_error");
    add<std::range_error>(*m, "std::range_error");
    add<std::overflow_error>(*m, "std::overflow_error");
    add<std::underflow_error>(*m, "std::underflow_error");
    return m;
  }();
  return *r;
}

Deadline now_deadline() { return Deadline::after(std::chrono::nanoseconds(0)); }

}  // namespace

namespace detail {

std::string current_exception_type_name() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  if (!t) return "unknown exception";
  int status = 0;
  char* d = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
  std::string s = (status == 0 && d) ? d : t->name();
  std::free(d);
  return s;
}

std::exception_ptr pool_remote_exception(const std::string& type_name, const std::string& message,
                                          int pid) {
  {
    std::lock_guard<std::mutex> g(registry_mutex());
    auto it = registry().find(type_name);
    if (it != registry().end()) return it->second(message);
  }
  return std::make_exception_ptr(
      RemoteError(type_name, message, "worker pid " + std::to_string(pid)));
}

}  // namespace detail

std::string ProcessPoolExecutor::demangled_name(const std::type_info& t) {
  int status = 0;
  char* d = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string s = (status == 0 && d) ? d : t.name();
  std::free(d);
  return s;
}

void ProcessPoolExecutor::register_exception_type(std::string name, Maker make) {
  std::lock_guard<std::mutex> g(registry_mutex());
  registry()[std::move(name)] = std::move(make);
}

std::string& ProcessPoolExecutor::scratch() {
  thread_local std::string buf;
  return buf;
}

ProcessPoolExecutor::ProcessPoolExecutor(std::optional<int> max_workers,
                                         std::function<void()> initializer,
                                         const Context* context,
                                         std::optional<int> max_tasks_per_child)
    : max_workers_(max_workers.value_or(cpu_count())),
      initializer_(std::move(initializer)),
      tasks_(0, kRingBytes),
      results_(0, kRingBytes) {
  if (max_workers_ <= 0) throw ValueError("max_workers must be greater than 0");
  if (max_tasks_per_child) {
    if (*max_tasks_per_child < 1) throw ValueError("max_tasks_per_child must be >= 1");
    max_tasks_per_child_ = *max_tasks_per_child;
  }
  if (context && context->start_method() != StartMethod::fork)
    throw ValueError("ProcessPoolExecutor supports only the 'fork' context yet");
  workers_.resize(static_cast<std::size_t>(max_workers_));
  try {
    for (std::size_t i = 0; i < workers_.size(); ++i) start_worker(i);
  } catch (...) {
    for (auto& w : workers_)
      if (w) {
        w->kill();
        w->join();
      }
    throw;
  }
  collector_ = std::thread([this] { collect(); });
}

ProcessPoolExecutor::~ProcessPoolExecutor() {
  try {
    shutdown(true);
  } catch (...) {
  }
  // Only if the pool broke: calls still registered were failed by break_pool.
  for (auto* c : slots_) delete c;
}

void ProcessPoolExecutor::start_worker(std::size_t index) {
  auto w = std::make_unique<Process>(
      ProcessOptions().with_name("ProcessPoolWorker-" + std::to_string(index + 1)),
      [this] { worker_main(); });
  w->start();
  workers_[index] = std::move(w);
}

// ---------------------------------------------------------------- the worker (child side)

void ProcessPoolExecutor::worker_main() {
  if (initializer_) initializer_();
  const int pid = static_cast<int>(::getpid());
  std::string task;
  std::string batch;
  int in_batch = 0;
  long done = 0;
  SteadyClock::time_point batch_start{};
  auto flush = [&] {
    if (in_batch == 0) return;
    results_.put(batch.data(), batch.size(), true, Deadline::never());
    batch.clear();
    in_batch = 0;
  };
  // Before it sleeps for a task, a worker returns the results it holds.
  auto hook = [](void* f) { (*static_cast<decltype(flush)*>(f))(); };
  for (;;) {
    detail::Ring::View v;
    if (!tasks_.begin_get(v, true, Deadline::never(), hook, &flush)) continue;
    task.assign(v.data, v.size);
    tasks_.end_get();
    detail::PoolTaskHeader th;
    if (task.size() < sizeof th) continue;  // cannot happen: the parent wrote it
    std::memcpy(&th, task.data(), sizeof th);
    if (th.kind == detail::kPoolStop) break;
    if (in_batch == 0) batch_start = SteadyClock::now();
    const std::size_t at = batch.size();
    batch.resize(at + sizeof(detail::PoolResultHeader));
    detail::PoolResultHeader rh{th.id, 0, detail::kPoolOk, pid, 0};
    try {
      auto call = reinterpret_cast<detail::PoolCall>(th.call);
      call(reinterpret_cast<const void*>(th.fn), task.data() + sizeof th, task.size() - sizeof th,
           batch);
    } catch (...) {
      batch.resize(at + sizeof rh);
      rh.status = detail::kPoolRaised;
      std::string type = detail::current_exception_type_name();
      std::string message;
      try {
        throw;
      } catch (const std::exception& e) {
        message = e.what();
      } catch (...) {
      }
      const auto tlen = static_cast<std::uint32_t>(type.size());
      batch.append(reinterpret_cast<const char*>(&tlen), sizeof tlen);
      batch.append(type);
      batch.append(message);
    }
    rh.size = static_cast<std::uint32_t>(batch.size() - at - sizeof rh);
    std::memcpy(batch.data() + at, &rh, sizeof rh);
    ++in_batch;
    ++done;
    if (max_tasks_per_child_ && done >= max_tasks_per_child_) {
      const std::size_t at2 = batch.size();
      batch.resize(at2 + sizeof rh);
      const detail::PoolResultHeader bye{0, 0, detail::kPoolWorkerExit, pid, 0};
      std::memcpy(batch.data() + at2, &bye, sizeof bye);
      flush();
      return;
    }
    if (in_batch >= kMaxBatch || SteadyClock::now() - batch_start >= kMaxBatchDelay) flush();
  }
  flush();
}

// ---------------------------------------------------------------- the parent

void ProcessPoolExecutor::send(std::string& buf, detail::PendingCall* call, std::uint64_t invoker,
                               std::uint64_t fn) {
  std::unique_ptr<detail::PendingCall> owned(call);
  detail::PoolTaskHeader th{};
  {
    std::lock_guard<std::mutex> g(mutex_);
    if (broken_) std::rethrow_exception(broken_);
    if (shutdown_) throw RuntimeError("cannot schedule new futures after shutdown");
    std::uint32_t slot;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(nullptr);
    }
    call->id = (std::uint64_t{++generation_} << 32) | slot;
    slots_[slot] = owned.release();
    ++npending_;
    ++sending_;
    th.id = call->id;
  }
  struct Sent {
    ProcessPoolExecutor* self;
    ~Sent() {
      std::lock_guard<std::mutex> g(self->mutex_);
      --self->sending_;
    }
  } sent{this};
  th.call = invoker;
  th.fn = fn;
  th.kind = detail::kPoolCall;
  std::memcpy(buf.data(), &th, sizeof th);
  // Blocks only while the ring is full; a pool that breaks meanwhile has failed the call.
  for (;;) {
    if (tasks_.put(buf.data(), buf.size(), true, Deadline::after(kLivenessInterval))) return;
    std::lock_guard<std::mutex> g(mutex_);
    if (broken_) return;
  }
}

void ProcessPoolExecutor::dispatch(const std::string& msg) {
  struct Item {
    detail::PendingCall* call;
    const char* payload;
    std::size_t size;
    std::uint32_t status;
    int pid;
  };
  thread_local std::vector<Item> items;
  items.clear();
  std::vector<int> exited;
  {
    std::lock_guard<std::mutex> g(mutex_);
    std::size_t off = 0;
    while (msg.size() - off >= sizeof(detail::PoolResultHeader)) {
      detail::PoolResultHeader rh;
      std::memcpy(&rh, msg.data() + off, sizeof rh);
      off += sizeof rh;
      if (rh.size > msg.size() - off) break;  // cannot happen: a worker wrote it
      const char* payload = msg.data() + off;
      off += rh.size;
      if (rh.status == detail::kPoolWorkerExit) {
        exited.push_back(rh.pid);
        continue;
      }
      const auto slot = static_cast<std::size_t>(rh.id & 0xffffffffu);
      if (slot >= slots_.size() || !slots_[slot] || slots_[slot]->id != rh.id) continue;
      items.push_back({slots_[slot], payload, rh.size, rh.status, rh.pid});
      slots_[slot] = nullptr;
      free_slots_.push_back(static_cast<std::uint32_t>(slot));
      --npending_;
    }
  }
  for (auto& it : items) {
    if (it.status == detail::kPoolOk) {
      it.call->complete(it.payload, it.size, it.pid);
    } else {
      std::uint32_t tlen = 0;
      std::string type = "unknown exception", message;
      if (it.size >= sizeof tlen) {
        std::memcpy(&tlen, it.payload, sizeof tlen);
        if (tlen <= it.size - sizeof tlen) {
          type.assign(it.payload + sizeof tlen, tlen);
          message.assign(it.payload + sizeof tlen + tlen, it.size - sizeof tlen - tlen);
        }
      }
      it.call->fail(detail::pool_remote_exception(type, message, it.pid));
    }
    delete it.call;
  }
  items.clear();
  // Workers that reached max_tasks_per_child: reap them and start fresh ones.
  for (int pid : exited) {
    std::unique_lock<std::mutex> g(mutex_);
    if (broken_) continue;  // (after shutdown too: tasks may still wait before the stops)
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      if (!workers_[i] || workers_[i]->pid() != pid) continue;
      std::unique_ptr<Process> old = std::move(workers_[i]);
      g.unlock();
      old->join();
      try {
        auto w = std::make_unique<Process>(
            ProcessOptions().with_name("ProcessPoolWorker-" + std::to_string(i + 1)),
            [this] { worker_main(); });
        w->start();
        g.lock();
        workers_[i] = std::move(w);
      } catch (const std::exception& e) {
        break_pool(std::string("A child process could not be started: ") + e.what());
        return;
      }
      break;
    }
  }
}

// Returns false once the collector should stop (the pool broke).
bool ProcessPoolExecutor::check_workers(bool stopping) {
  std::unique_lock<std::mutex> g(mutex_);
  for (auto& w : workers_) {
    if (!w || w->is_alive()) continue;
    const auto code = w->exitcode();
    if (stopping && code == 0) continue;  // a normal exit after shutdown
    if (max_tasks_per_child_ && code == 0) continue;  // replaced once its goodbye arrives
    const std::string name = w->name();
    g.unlock();
    // Deliver what the workers finished before breaking the rest.
    detail::Ring::View v;
    std::string msg;
    while (results_.begin_get(v, false, now_deadline())) {
      msg.assign(v.data, v.size);
      results_.end_get();
      dispatch(msg);
    }
    break_pool("A process in the process pool was terminated abruptly while the future was "
               "running or pending. (" + name + " exit code " +
               std::to_string(code.value_or(0)) + ")");
    return false;
  }
  return true;
}

void ProcessPoolExecutor::break_pool(const std::string& why) {
  std::vector<detail::PendingCall*> failed;
  std::exception_ptr e;
  {
    std::lock_guard<std::mutex> g(mutex_);
    if (!broken_) broken_ = std::make_exception_ptr(BrokenProcessPool(why));
    e = broken_;
    for (auto*& c : slots_) {
      if (c) failed.push_back(std::exchange(c, nullptr));
    }
    slots_.clear();
    free_slots_.clear();
    npending_ = 0;
    for (auto& w : workers_)
      if (w) w->kill();
  }
  for (auto* c : failed) {
    c->fail(e);
    delete c;
  }
}

void ProcessPoolExecutor::collect() {
  std::string msg;
  auto last_check = SteadyClock::now();
  for (;;) {
    detail::Ring::View v;
    bool got = false;
    if (results_.begin_get(v, true, Deadline::after(kLivenessInterval))) {
      msg.assign(v.data, v.size);
      results_.end_get();
      dispatch(msg);
      got = true;
    }
    const auto now = SteadyClock::now();
    if (got && now - last_check < kLivenessInterval) continue;
    last_check = now;
    bool idle, stopping;
    {
      std::lock_guard<std::mutex> g(mutex_);
      if (broken_) return;
      idle = npending_ == 0;
      stopping = shutdown_;
    }
    if (stop_collector_.load() && idle) return;
    if (!check_workers(stopping)) return;
  }
}

void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  bool first = false;
  bool broken;
  {
    std::lock_guard<std::mutex> g(mutex_);
    if (!shutdown_) {
      shutdown_ = true;
      first = true;
    }
    broken = broken_ != nullptr;
    if (cancel_futures)
      for (auto* c : slots_)
        if (c) c->cancel();
  }
  if (first && !broken) {
    // Submits that passed the shutdown check put their task before the stop messages.
    for (;;) {
      {
        std::lock_guard<std::mutex> g(mutex_);
        if (sending_ == 0) break;
      }
      std::this_thread::yield();
    }
    detail::PoolTaskHeader stop{};
    stop.kind = detail::kPoolStop;
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      // Waits for room while the workers run (they drain the ring); gives up if they broke.
      bool sent = false;
      while (!sent) {
        sent = tasks_.put(reinterpret_cast<const char*>(&stop), sizeof stop, true,
                          Deadline::after(kLivenessInterval));
        std::lock_guard<std::mutex> g(mutex_);
        if (broken_) break;
      }
      if (!sent) break;
    }
  }
  if (!wait) return;
  // The collector returns once every pending future is done (or the pool broke).
  stop_collector_.store(true);
  if (collector_.joinable()) {
    if (collector_.get_id() == std::this_thread::get_id()) {
      collector_.detach();  // called from a done-callback: the collector ends by itself
      return;
    }
    collector_.join();
  }
  for (auto& w : workers_)
    if (w) w->join();
}

std::vector<pid_t> ProcessPoolExecutor::worker_pids() const {
  std::lock_guard<std::mutex> g(mutex_);
  std::vector<pid_t> out;
  for (auto& w : workers_)
    if (w)
      if (auto p = w->pid()) out.push_back(*p);
  return out;
}

}  // namespace triad::process
