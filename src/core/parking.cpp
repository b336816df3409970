#include "triad/core/parking.hpp"

#include <thread>

#include "triad/core/detail/cpu_relax.hpp"
#include "triad/core/detail/futex.hpp"

namespace triad {
namespace {

std::chrono::nanoseconds default_spin() noexcept {
  return std::thread::hardware_concurrency() > 1 ? std::chrono::microseconds(20)
                                                 : std::chrono::nanoseconds(0);
}

std::atomic<std::int64_t> g_spin_ns{default_spin().count()};

class ThreadParkingContext final : public ParkingContext {
 public:
  ParkResult park(WaitNode& node, Deadline deadline) override {
    if (node.state.load(std::memory_order_acquire) != 0) return ParkResult::woken;
    spin(node, deadline);
    while (node.state.load(std::memory_order_acquire) == 0) {
      if (!detail::futex_wait(node.state, 0, deadline)) {
        return node.state.load(std::memory_order_acquire) != 0 ? ParkResult::woken
                                                               : ParkResult::timed_out;
      }
    }
    return ParkResult::woken;
  }

  void unpark(WaitNode& node) noexcept override {
    node.state.store(1, std::memory_order_release);
    // The waiter may already be gone; the wake uses only the address.
    detail::futex_wake(node.state, 1);
  }

 private:
  static void spin(WaitNode& node, Deadline deadline) noexcept {
    const std::int64_t budget = g_spin_ns.load(std::memory_order_relaxed);
    if (budget <= 0) return;
    const auto start = Clock::now();
    auto limit = start + std::chrono::nanoseconds(budget);
    if (!deadline.is_never() && deadline.time_point() < limit) limit = deadline.time_point();
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (node.state.load(std::memory_order_acquire) != 0) return;
        detail::cpu_relax();
      }
      if (Clock::now() >= limit) return;
    }
  }
};

ThreadParkingContext g_thread_context;
thread_local ParkingContext* t_current = nullptr;

}  // namespace

WaitNode::WaitNode() noexcept : context(&current_parking_context()) {}

ParkingContext& current_parking_context() noexcept {
  ParkingContext* c = t_current;
  return c ? *c : g_thread_context;
}

ParkingContext* exchange_parking_context(ParkingContext* ctx) noexcept {
  ParkingContext* prev = t_current;
  t_current = ctx;
  return prev ? prev : &g_thread_context;
}

ParkingContext& thread_parking_context() noexcept { return g_thread_context; }

void set_park_spin(std::chrono::nanoseconds spin) noexcept {
  g_spin_ns.store(spin.count(), std::memory_order_relaxed);
}

std::chrono::nanoseconds park_spin() noexcept {
  return std::chrono::nanoseconds(g_spin_ns.load(std::memory_order_relaxed));
}

}  // namespace triad
