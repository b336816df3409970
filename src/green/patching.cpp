// monkey::patch_all() and the threaded resolver (the wrappers themselves live in
// monkey_hooks.cpp, in the separate library triad_green_monkey).
#include <netdb.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "hub_internal.hpp"
#include "triad/core/parking.hpp"
#include "triad/green/monkey.hpp"
#include "triad/net/errors.hpp"

// Defined by triad_green_monkey when it is linked.
extern "C" int triad_green_monkey_linked() __attribute__((weak));

namespace triad::green {
namespace detail {
std::atomic<bool> g_monkey_patched{false};
}  // namespace detail

namespace monkey {

bool is_linked() noexcept { return &triad_green_monkey_linked != nullptr; }

void patch_all() {
  if (!is_linked()) {
    throw RuntimeError(
        "triad::green::monkey::patch_all(): the libc wrappers are not linked into this program; "
        "link the executable with the CMake target triad::green_monkey (whole archive)");
  }
  detail::g_monkey_patched.store(true, std::memory_order_release);
}

void unpatch_all() noexcept { detail::g_monkey_patched.store(false, std::memory_order_release); }

bool is_patched() noexcept { return detail::g_monkey_patched.load(std::memory_order_acquire); }

namespace {

struct Job {
  std::string host, port;
  addrinfo hints{};
  int rc = 0;
  std::vector<AddrInfo> result;
  WaitNode* node = nullptr;
};

// getaddrinfo on a few OS threads. Workers wait for jobs on a condition variable: they are
// the pool's own threads, never a caller's context.
class Resolver {
 public:
  static Resolver& instance() {
    static Resolver* r = new Resolver();  // never destroyed: workers may outlive exit()
    return *r;
  }
  void submit(Job* job) {
    std::unique_lock<std::mutex> lk(mu_);
    if (workers_ < kWorkers && idle_ == 0) {
      ++workers_;
      std::thread([this] { work(); }).detach();
    }
    jobs_.push_back(job);
    cv_.notify_one();
  }

 private:
  static constexpr int kWorkers = 4;
  void work() {
    for (;;) {
      Job* job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        ++idle_;
        cv_.wait(lk, [this] { return !jobs_.empty(); });
        --idle_;
        job = jobs_.front();
        jobs_.pop_front();
      }
      addrinfo* res = nullptr;
      job->rc = ::getaddrinfo(job->host.empty() ? nullptr : job->host.c_str(),
                              job->port.empty() ? nullptr : job->port.c_str(), &job->hints, &res);
      if (job->rc == 0) {
        try {
          for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
            AddrInfo ai;
            ai.family = a->ai_family;
            ai.socktype = a->ai_socktype;
            ai.protocol = a->ai_protocol;
            if (a->ai_canonname != nullptr) ai.canonname = a->ai_canonname;
            const auto* b = reinterpret_cast<const unsigned char*>(a->ai_addr);
            ai.addr.assign(b, b + a->ai_addrlen);
            job->result.push_back(std::move(ai));
          }
        } catch (...) {
          job->rc = EAI_MEMORY;
        }
        ::freeaddrinfo(res);
      }
      WaitNode* n = job->node;
      n->context->unpark(*n);  // last access to the job: the caller may return now
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> jobs_;
  int workers_ = 0;
  int idle_ = 0;
};

}  // namespace

std::vector<AddrInfo> resolve(const std::string& host, const std::string& port, int family,
                              int socktype, int protocol, int flags) {
  Job job;
  job.host = host;
  job.port = port;
  job.hints.ai_family = family;
  job.hints.ai_socktype = socktype;
  job.hints.ai_protocol = protocol;
  job.hints.ai_flags = flags;
  WaitNode node;
  job.node = &node;
  Resolver::instance().submit(&job);
  if (node.context->park(node, Deadline::never()) != ParkResult::woken) {
    // Interrupted (kill/Timeout): the lookup cannot be cancelled; wait for it, then raise.
    node.context->park(node, Deadline::never());
  }
  if (detail::ThreadState* ts = detail::tstate_if_exists(); ts != nullptr && ts->hub != nullptr) {
    detail::raise_pending_interrupt(*ts);
  }
  if (job.rc != 0) {
    if (job.rc == EAI_SYSTEM) throw net::OSError(errno);
    throw net::gaierror(job.rc);
  }
  return std::move(job.result);
}

}  // namespace monkey
}  // namespace triad::green
