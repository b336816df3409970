// Barrier: a meeting point for a fixed number of threads.
//
// Python: threading.Barrier
//
// Each of `parties` threads calls wait(); all of them block until the last one arrives, then
// all are released together and the barrier is ready for the next round. An optional
// action runs once per round, in the LAST thread to arrive, before any thread is released.
// A barrier can break: abort(), reset() while threads wait, a wait() that times out, or an
// action that throws. Every thread waiting on a broken barrier, and every later wait() until
// reset(), gets BrokenBarrierError.
//
//   triad::Barrier start_line(3, [] { std::puts("go!"); });
//   // in each of 3 threads:
//   std::size_t i = start_line.wait();   // 0, 1 or 2: the order of arrival
//   if (i == 0) std::puts("I was first");
//
// Threads that arrive while the action of a completed round is still running wait for it to
// finish and then make up the next round (Python: they block until the barrier "drains").
//
// Memory ordering: everything each party wrote before wait() is visible to every party
// (and to the action) after wait() returns.
//
// Thread safety: all members may be called concurrently. Not copyable, not movable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "triad/core/detail/spinlock.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"

namespace triad {

namespace detail {
class WakeChain;
}

class Barrier {
 public:
  // parties: the number of threads per round. action: run by the last arriving thread of
  // each round (may be empty). timeout: the default for wait() (absent = forever).
  // Throws: ValueError("parties must be >= 1") if parties == 0.
  explicit Barrier(std::size_t parties, std::function<void()> action = {}, Timeout timeout = {});
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;
  ~Barrier();

  // Arrives and waits for the other parties. Python: wait(timeout=None).
  // Blocks: until the round completes (and its action has run), or the barrier breaks, or
  //   the timeout expires.
  // Yields a green thread: yes (parks through the parking interface).
  // Thread safety: safe from any thread.
  // Throws: BrokenBarrierError if the barrier is or becomes broken, or is reset, while
  //   waiting, and when this wait times out (which breaks the barrier for everyone);
  //   whatever the action throws, in the thread that ran it (which also breaks the barrier).
  // Timeout: absent = the barrier's default timeout; zero or negative = don't wait (unless
  //   this caller completes the round, it breaks the barrier at once, as in Python).
  // Returns: the arrival index, 0 for the first to arrive up to parties() - 1 for the last.
  std::size_t wait(Timeout timeout = {});

  // Returns the barrier to its initial, unbroken state. Threads waiting in the current round
  // get BrokenBarrierError. Blocks: no. Throws: nothing.
  void reset() noexcept;

  // Breaks the barrier: current and future wait() calls throw BrokenBarrierError until
  // reset(). Use it to release the parties when one of them cannot arrive. Blocks: no.
  void abort() noexcept;

  // The number of threads required per round.
  [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
  // The number of threads waiting in the current round (0 while broken). A snapshot.
  [[nodiscard]] std::size_t n_waiting() const noexcept;
  // True if the barrier is broken. A snapshot.
  [[nodiscard]] bool broken() const noexcept;

 private:
  void break_locked(detail::WakeChain& wake) noexcept;

  const std::size_t parties_;
  const std::function<void()> action_;
  const Timeout timeout_;

  mutable detail::SpinLock guard_;  // guards everything below
  WaitList waiters_;                // parties of the current round
  WaitList entrants_;               // arrived while the round's action runs
  std::size_t count_ = 0;           // arrivals in the current round
  std::uint64_t round_ = 0;         // bumped when a round completes or the barrier resets
  bool releasing_ = false;          // the last arrival is running the action
  bool broken_ = false;
};

}  // namespace triad
