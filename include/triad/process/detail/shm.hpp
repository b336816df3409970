// Shared memory for cross-process objects, and the robust lock word they are built on.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "triad/core/timeout.hpp"

namespace triad::process::detail {

// An anonymous MAP_SHARED mapping (shmem, like a memfd but without a descriptor or a name):
// inherited by children started with fork at the same address, never visible in /dev/shm,
// and freed by the kernel when the last process unmaps it (or dies), so it cannot leak.
class SharedSegment {
 public:
  SharedSegment() noexcept = default;
  // Maps `size` bytes (zero-filled). Throws OSError-like RuntimeError when out of memory.
  explicit SharedSegment(std::size_t size);
  SharedSegment(SharedSegment&& o) noexcept
      : base_(std::exchange(o.base_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  SharedSegment& operator=(SharedSegment&& o) noexcept {
    std::swap(base_, o.base_);
    std::swap(size_, o.size_);
    return *this;
  }
  SharedSegment(const SharedSegment&) = delete;
  SharedSegment& operator=(const SharedSegment&) = delete;
  ~SharedSegment();

  [[nodiscard]] void* data() const noexcept { return base_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  void* base_ = nullptr;
  std::size_t size_ = 0;
};

// Places a T (built from args) at the start of a fresh segment of at least sizeof(T) + extra.
template <class T, class... A>
T* make_shared_object(SharedSegment& seg, std::size_t extra, A&&... args) {
  static_assert(std::is_trivially_destructible_v<T>, "shared objects are never destroyed");
  seg = SharedSegment(sizeof(T) + extra);
  return ::new (seg.data()) T(std::forward<A>(args)...);
}

// The calling thread's kernel thread id (cached; correct again in a forked child).
std::uint32_t current_tid() noexcept;

// A lock word in shared memory: 0 when free, else the holder's thread id, with kWaiters set
// while someone may sleep on it. A holder that dies is detected by its waiters (the thread
// id no longer exists or is a zombie, checked through /proc every kCheckInterval while
// waiting, and by a failed non-blocking acquire).
struct RobustWord {
  static constexpr std::uint32_t kWaiters = 0x80000000u;
  std::atomic<std::uint32_t> word{0};
  std::atomic<std::uint32_t> count{0};  // recursion depth (RLock)
};

enum class AcquireResult { acquired, timed_out, abandoned };

// Acquires w for the calling thread. On `abandoned` the word was released (the dead holder's
// claim cleared) and the caller must report AbandonedLockError; the lock is then free.
AcquireResult robust_acquire(RobustWord& w, bool blocking, Deadline deadline,
                             std::uint32_t* dead_holder = nullptr) noexcept;
// Releases w (any thread may). Returns false if it was not held.
bool robust_release(RobustWord& w) noexcept;
// The holder's tid, 0 if free.
inline std::uint32_t robust_owner(const RobustWord& w) noexcept {
  return w.word.load(std::memory_order_relaxed) & ~RobustWord::kWaiters;
}
// Whether the thread `tid` still exists and is not a zombie.
bool thread_alive(std::uint32_t tid) noexcept;

}  // namespace triad::process::detail
