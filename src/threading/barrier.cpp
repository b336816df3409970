#include "triad/threading/barrier.hpp"

#include <utility>

#include "triad/core/error.hpp"
#include "triad/threading/detail/wake_chain.hpp"

namespace triad {
namespace {

// WaitNode::tag values: how a waiter was released.
constexpr std::uintptr_t kPassed = 1;  // the round completed
constexpr std::uintptr_t kBroken = 2;  // the barrier broke or was reset
constexpr std::uintptr_t kRetry = 3;   // (entrants) the previous round is done: try again

}  // namespace

Barrier::Barrier(std::size_t parties, std::function<void()> action, Timeout timeout)
    : parties_(parties), action_(std::move(action)), timeout_(timeout) {
  if (parties < 1) throw ValueError("parties must be >= 1");
}

Barrier::~Barrier() = default;

void Barrier::break_locked(detail::WakeChain& wake) noexcept {
  broken_ = true;
  releasing_ = false;
  count_ = 0;
  wake.take_all(waiters_, kBroken);
  wake.take_all(entrants_, kRetry);  // they will see broken_
}

std::size_t Barrier::wait(Timeout timeout) {
  const Deadline deadline = Deadline::after(timeout.is_forever() ? timeout_ : timeout);
  detail::WakeChain wake;
  guard_.lock();
  // Enter: not while the action of a completed round runs (Python's _enter).
  for (;;) {
    if (broken_) {
      guard_.unlock();
      throw BrokenBarrierError();
    }
    if (!releasing_) break;
    WaitNode node;
    entrants_.push_back(node);
    guard_.unlock();
    if (!park_and_resolve(node, entrants_, guard_, deadline)) {
      guard_.lock();
      break_locked(wake);
      guard_.unlock();
      wake.unpark_all();
      throw BrokenBarrierError();
    }
    guard_.lock();
  }

  const std::size_t index = count_++;
  const std::uint64_t round = round_;

  if (count_ == parties_) {  // the last party: run the action, then release everyone
    if (action_) {
      releasing_ = true;
      guard_.unlock();
      try {
        action_();
      } catch (...) {
        guard_.lock();
        if (round_ == round && !broken_) break_locked(wake);
        guard_.unlock();
        wake.unpark_all();
        throw;
      }
      guard_.lock();
      if (round_ != round || broken_) {  // reset() or abort() while the action ran
        guard_.unlock();
        throw BrokenBarrierError();
      }
      releasing_ = false;
    }
    ++round_;
    count_ = 0;
    wake.take_all(waiters_, kPassed);
    wake.take_all(entrants_, kRetry);
    guard_.unlock();
    wake.unpark_all();
    return index;
  }

  WaitNode node;
  waiters_.push_back(node);
  guard_.unlock();
  bool passed = false;
  try {
    passed = park_and_resolve(node, waiters_, guard_, deadline);
  } catch (...) {
    // An interrupt (a green thread's kill/Timeout, parking.hpp) while the round is incomplete:
    // the others would wait for a party that left, so break the barrier as a timeout does.
    guard_.lock();
    if (round_ == round && !releasing_ && !broken_) break_locked(wake);
    guard_.unlock();
    wake.unpark_all();
    throw;
  }
  if (!passed) {
    guard_.lock();
    if (releasing_ && round_ == round) {
      // Timed out while the round's action runs: the round is complete, so (as in Python)
      // this is not a timeout; wait for the action's outcome.
      waiters_.push_back(node);
      guard_.unlock();
      park_and_resolve(node, waiters_, guard_, Deadline::never());
    } else if (round_ != round) {  // reset() while we timed out: the new round stays whole
      guard_.unlock();
      throw BrokenBarrierError();
    } else {
      break_locked(wake);
      guard_.unlock();
      wake.unpark_all();
      throw BrokenBarrierError();
    }
  }
  if (node.tag != kPassed) throw BrokenBarrierError();
  return index;
}

void Barrier::reset() noexcept {
  detail::WakeChain wake;
  guard_.lock();
  ++round_;
  count_ = 0;
  releasing_ = false;
  broken_ = false;
  wake.take_all(waiters_, kBroken);
  wake.take_all(entrants_, kRetry);
  guard_.unlock();
  wake.unpark_all();
}

void Barrier::abort() noexcept {
  detail::WakeChain wake;
  guard_.lock();
  break_locked(wake);
  guard_.unlock();
  wake.unpark_all();
}

std::size_t Barrier::n_waiting() const noexcept {
  guard_.lock();
  const std::size_t n = (broken_ || releasing_) ? 0 : count_;
  guard_.unlock();
  return n;
}

bool Barrier::broken() const noexcept {
  guard_.lock();
  const bool b = broken_;
  guard_.unlock();
  return b;
}

}  // namespace triad
