#include "triad/core/parking.hpp"

#include <sched.h>

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
  // WaitNode::state for OS threads: 0 waiting (spinning), kSleeping in the futex, kWoken.
  // Only a sleeping waiter costs the waker a futex syscall.
  static constexpr std::uint32_t kWoken = 1;
  static constexpr std::uint32_t kSleeping = 2;

  ParkResult park(WaitNode& node, Deadline deadline) override {
    if (node.state.load(std::memory_order_acquire) == kWoken) return ParkResult::woken;
    spin(node, deadline);
    std::uint32_t s = 0;
    if (!node.state.compare_exchange_strong(s, kSleeping, std::memory_order_acquire) &&
        s == kWoken) {
      return ParkResult::woken;
    }
    while (node.state.load(std::memory_order_acquire) != kWoken) {
      if (!detail::futex_wait(node.state, kSleeping, deadline)) {
        // Timed out: back to "waiting" so the node can be parked again (park_and_resolve).
        std::uint32_t expected = kSleeping;
        if (node.state.compare_exchange_strong(expected, 0, std::memory_order_acquire)) {
          return ParkResult::timed_out;
        }
        return ParkResult::woken;
      }
    }
    return ParkResult::woken;
  }

  void unpark(WaitNode& node) noexcept override {
    // The waiter may be gone right after the exchange; the wake uses only the address.
    if (node.state.exchange(kWoken, std::memory_order_release) == kSleeping) {
      detail::futex_wake(node.state, 1);
    }
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
      const auto now = Clock::now();
      if (now >= limit) return;
      // Past a couple of microseconds, let the thread we wait for run if it shares our core.
      if (now - start > std::chrono::microseconds(2)) sched_yield();
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
