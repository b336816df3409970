// Thin wrappers over the Linux futex syscall on a 32-bit atomic word (process-private).
// std::atomic::wait has no timeout in C++20, and parking needs absolute monotonic deadlines.
#pragma once

#include <atomic>
#include <cstdint>

#include "triad/core/timeout.hpp"

namespace triad::detail {

// Sleeps while *word == expected, until woken or the deadline (CLOCK_MONOTONIC, absolute).
// Returns false on timeout; true otherwise (woken, value changed, or interrupted: callers
// re-check their condition).
bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, Deadline deadline) noexcept;

// Wakes up to n sleepers on word. Touches no memory at word.
void futex_wake(std::atomic<std::uint32_t>& word, int n) noexcept;

// Shared (cross-process) variants, for words in shared memory.
bool futex_wait_shared(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                       Deadline deadline) noexcept;
void futex_wake_shared(std::atomic<std::uint32_t>& word, int n) noexcept;

}  // namespace triad::detail
