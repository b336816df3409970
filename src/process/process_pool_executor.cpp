#include "triad/process/process_pool_executor.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "triad/process/connection.hpp"

namespace triad::process {
namespace {

using Maker = std::function<std::exception_ptr(const std::string&)>;

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

std::string exception_type_name() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  if (!t) return "unknown exception";
  int status = 0;
  char* d = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
  std::string s = (status == 0 && d) ? d : t->name();
  std::free(d);
  return s;
}

}  // namespace

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

std::exception_ptr ProcessPoolExecutor::make_remote_exception(const detail::PoolResult& r) {
  {
    std::lock_guard<std::mutex> g(registry_mutex());
    auto it = registry().find(r.type_name);
    if (it != registry().end()) return it->second(r.message);
  }
  return std::make_exception_ptr(
      RemoteError(r.type_name, r.message, "worker pid " + std::to_string(r.pid)));
}

ProcessPoolExecutor::ProcessPoolExecutor(std::optional<int> max_workers,
                                         std::function<void()> initializer,
                                         const Context* context)
    : max_workers_(max_workers.value_or(cpu_count())), tasks_(0, 4u << 20), results_(0, 4u << 20) {
  if (max_workers_ <= 0) throw ValueError("max_workers must be greater than 0");
  if (context && context->start_method() != StartMethod::fork)
    throw ValueError("ProcessPoolExecutor supports only the 'fork' context yet");
  for (int i = 0; i < max_workers_; ++i) {
    auto w = std::make_unique<Process>(ProcessOptions().with_name("ProcessPoolWorker-" + std::to_string(i + 1)),
        [this, initializer] {
          if (initializer) initializer();
          for (;;) {
            detail::PoolTask t = tasks_.get();
            if (t.stop) return;
            detail::PoolResult r;
            r.id = t.id;
            r.pid = static_cast<int>(::getpid());
            try {
              auto inv = reinterpret_cast<detail::PoolInvoker>(t.invoker);
              r.payload = inv(reinterpret_cast<const void*>(t.fn), t.args);
              r.ok = true;
            } catch (const std::exception& e) {
              r.type_name = exception_type_name();
              r.message = e.what();
            } catch (...) {
              r.type_name = exception_type_name();
            }
            results_.put(r);
          }
        });
    w->start();
    workers_.push_back(std::move(w));
  }
  collector_ = std::thread([this] { collect(); });
}

ProcessPoolExecutor::~ProcessPoolExecutor() {
  try {
    shutdown(true);
  } catch (...) {
  }
}

void ProcessPoolExecutor::enqueue(detail::PoolTask& t, Completion done) {
  {
    std::lock_guard<std::mutex> g(mutex_);
    if (broken_) std::rethrow_exception(broken_);
    if (shutdown_) throw RuntimeError("cannot schedule new futures after shutdown");
    t.id = next_id_++;
    pending_.emplace(t.id, std::move(done));
  }
  try {
    tasks_.put(t);
  } catch (...) {
    std::lock_guard<std::mutex> g(mutex_);
    pending_.erase(t.id);
    throw;
  }
}

void ProcessPoolExecutor::break_pool(const std::string& why) {
  std::map<std::uint64_t, Completion> failed;
  std::exception_ptr e;
  {
    std::lock_guard<std::mutex> g(mutex_);
    if (!broken_) broken_ = std::make_exception_ptr(BrokenProcessPool(why));
    e = broken_;
    failed.swap(pending_);
  }
  for (auto& w : workers_) w->kill();
  for (auto& [id, done] : failed) done(nullptr, e);
}

void ProcessPoolExecutor::collect() {
  auto dispatch = [this](detail::PoolResult& r) {
    Completion done;
    {
      std::lock_guard<std::mutex> g(mutex_);
      auto it = pending_.find(r.id);
      if (it == pending_.end()) return;
      done = std::move(it->second);
      pending_.erase(it);
    }
    done(&r, nullptr);
  };
  for (;;) {
    try {
      detail::PoolResult r = results_.get(std::chrono::milliseconds(20));
      dispatch(r);
      continue;
    } catch (const Empty&) {
    }
    bool idle, stopping;
    {
      std::lock_guard<std::mutex> g(mutex_);
      idle = pending_.empty();
      stopping = shutdown_;
      if (broken_) return;
    }
    if (stop_collector_.load() && idle) return;
    for (auto& w : workers_) {
      if (w->is_alive()) continue;
      const auto code = w->exitcode();
      if (stopping && code == 0) continue;  // a normal exit after shutdown
      // Deliver what the workers finished before breaking the rest.
      for (;;) {
        try {
          detail::PoolResult r = results_.get_nowait();
          dispatch(r);
        } catch (const Empty&) {
          break;
        }
      }
      break_pool("A process in the process pool was terminated abruptly while the future was "
                 "running or pending. (" + w->name() + " exit code " +
                 std::to_string(code.value_or(0)) + ")");
      return;
    }
  }
}

void ProcessPoolExecutor::shutdown(bool wait) {
  bool first = false;
  {
    std::lock_guard<std::mutex> g(mutex_);
    if (!shutdown_) {
      shutdown_ = true;
      first = true;
    }
  }
  if (first) {
    bool broken;
    {
      std::lock_guard<std::mutex> g(mutex_);
      broken = broken_ != nullptr;
    }
    if (!broken) {
      detail::PoolTask stop;
      stop.stop = true;
      for (std::size_t i = 0; i < workers_.size(); ++i) {
        try {
          tasks_.put(stop, std::chrono::seconds(5));
        } catch (const Full&) {
          break;
        }
      }
    }
  }
  if (!wait) return;
  // The collector returns once every pending future is done (or the pool broke).
  stop_collector_.store(true);
  if (collector_.joinable()) collector_.join();
  for (auto& w : workers_) w->join();
}

std::vector<pid_t> ProcessPoolExecutor::worker_pids() const {
  std::vector<pid_t> out;
  for (auto& w : workers_)
    if (auto p = w->pid()) out.push_back(*p);
  return out;
}

}  // namespace triad::process
