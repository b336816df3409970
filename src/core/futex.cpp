#include "triad/core/detail/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace triad::detail {
namespace {

long futex(void* addr, int op, std::uint32_t val, const timespec* ts, std::uint32_t mask) noexcept {
  return syscall(SYS_futex, addr, op, val, ts, nullptr, mask);
}

bool wait_impl(std::atomic<std::uint32_t>& word, std::uint32_t expected, Deadline deadline,
               bool is_private) noexcept {
  timespec ts{};
  const timespec* tsp = nullptr;
  if (!deadline.is_never()) {
    // steady_clock is CLOCK_MONOTONIC, which FUTEX_WAIT_BITSET measures absolute deadlines on.
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        deadline.time_point().time_since_epoch())
                        .count();
    if (ns <= 0) return false;
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    tsp = &ts;
  }
  const int op = FUTEX_WAIT_BITSET | (is_private ? FUTEX_PRIVATE_FLAG : 0);
  const long r = futex(&word, op, expected, tsp, FUTEX_BITSET_MATCH_ANY);
  return !(r == -1 && errno == ETIMEDOUT);
}

void wake_impl(std::atomic<std::uint32_t>& word, int n, bool is_private) noexcept {
  const int op = FUTEX_WAKE | (is_private ? FUTEX_PRIVATE_FLAG : 0);
  futex(&word, op, static_cast<std::uint32_t>(n), nullptr, 0);
}

}  // namespace

bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, Deadline deadline) noexcept {
  return wait_impl(word, expected, deadline, true);
}
void futex_wake(std::atomic<std::uint32_t>& word, int n) noexcept { wake_impl(word, n, true); }
bool futex_wait_shared(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                       Deadline deadline) noexcept {
  return wait_impl(word, expected, deadline, false);
}
void futex_wake_shared(std::atomic<std::uint32_t>& word, int n) noexcept {
  wake_impl(word, n, false);
}

}  // namespace triad::detail
