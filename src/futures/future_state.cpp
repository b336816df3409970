#include "triad/futures/detail/future_state.hpp"

#include <cxxabi.h>
#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "triad/core/detail/cpu_relax.hpp"

namespace triad::detail {
namespace {

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                             std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

// Type name and message of an exception_ptr.
std::pair<std::string, std::string> describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return {demangle(typeid(x).name()), x.what()};
  } catch (...) {
    const std::type_info* t = abi::__cxa_current_exception_type();
    return {t ? demangle(t->name()) : std::string("unknown exception"), std::string()};
  }
}

// Spins on the state word before parking; only OS threads spin (a green thread yields).
bool spin_until_done(const std::atomic<std::uint32_t>& state, Deadline deadline) noexcept {
  if (&current_parking_context() != &thread_parking_context()) return false;
  const auto budget = park_spin();
  if (budget <= std::chrono::nanoseconds::zero()) return false;
  auto limit = Clock::now() + budget;
  if (!deadline.is_never() && deadline.time_point() < limit) limit = deadline.time_point();
  for (;;) {
    for (int i = 0; i < 128; ++i) {
      if (fs::is_done(state.load(std::memory_order_acquire))) return true;
      cpu_relax();
    }
    if (Clock::now() >= limit) return false;
    sched_yield();  // give the completer the CPU if the machine is oversubscribed
  }
}

const char* status_name_upper(std::uint32_t s) {
  switch (s & fs::kStatusMask) {
    case fs::kPending: return "PENDING";
    case fs::kRunning:
    case fs::kCompleting: return "RUNNING";
    case fs::kFinished: return "FINISHED";
    case fs::kCancelled: return "CANCELLED";
    default: return "CANCELLED_AND_NOTIFIED";
  }
}

}  // namespace

void report_callback_exception(const FutureStateBase& f, std::exception_ptr e) noexcept {
  try {
    const auto [type, msg] = describe(e);
    std::fprintf(stderr, "exception calling callback for %s\n%s: %s\n", f.repr().c_str(),
                 type.c_str(), msg.c_str());
  } catch (...) {
    std::fputs("exception calling callback for <Future>\n", stderr);
  }
}

void run_callback(FutureStateBase& f, CallbackNode* cb) noexcept {
  try {
    cb->invoke(f);
  } catch (...) {
    report_callback_exception(f, std::current_exception());
  }
  delete cb;
}

FutureStateBase::~FutureStateBase() {
  while (callbacks_) delete std::exchange(callbacks_, callbacks_->next);
}

bool FutureStateBase::cancel() noexcept {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    const std::uint32_t st = s & fs::kStatusMask;
    if (st == fs::kCancelled || st == fs::kCancelledAndNotified) return true;
    if (st != fs::kPending) return false;
    if (state_.compare_exchange_weak(s, (s & ~fs::kStatusMask) | fs::kCancelled,
                                     std::memory_order_acq_rel, std::memory_order_acquire)) {
      break;
    }
  }
  if (s & fs::kHasWaiters) wake_all();
  return true;
}

bool FutureStateBase::try_set_running() noexcept {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    const std::uint32_t st = s & fs::kStatusMask;
    std::uint32_t next = 0;
    if (st == fs::kPending) {
      next = (s & ~fs::kStatusMask) | fs::kRunning;
    } else if (st == fs::kCancelled) {
      next = (s & ~fs::kStatusMask) | fs::kCancelledAndNotified;
    } else {
      return false;
    }
    if (state_.compare_exchange_weak(s, next, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      return st == fs::kPending;
    }
  }
}

bool FutureStateBase::set_running_or_notify_cancel() {
  const std::uint32_t st = state_.load(std::memory_order_acquire) & fs::kStatusMask;
  if (st != fs::kPending && st != fs::kCancelled) {
    throw RuntimeError("Future in unexpected state");
  }
  // Cancellation already woke every waiter (triad notifies at cancel(), see futures.md).
  if (try_set_running()) return true;
  if (cancelled()) return false;
  throw RuntimeError("Future in unexpected state");
}

bool FutureStateBase::flag_waiters_locked() noexcept {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (fs::is_done(s)) return false;
    if (s & fs::kHasWaiters) return true;
    if (state_.compare_exchange_weak(s, s | fs::kHasWaiters, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      return true;
    }
  }
}

bool FutureStateBase::wait_done(Deadline deadline) {
  if (fs::is_done(state_.load(std::memory_order_acquire))) return true;
  if (spin_until_done(state_, deadline)) return true;
  if (deadline.expired()) return fs::is_done(state_.load(std::memory_order_acquire));
  WaitNode node;
  lock_.lock();
  if (!flag_waiters_locked()) {
    lock_.unlock();
    return true;
  }
  waiters_.push_back(node);
  lock_.unlock();
  if (park_and_resolve(node, waiters_, lock_, deadline)) return true;
  return fs::is_done(state_.load(std::memory_order_acquire));
}

std::uint32_t FutureStateBase::await_value(Timeout timeout) {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  if (!fs::is_done(s)) {
    if (!wait_done(Deadline::after(timeout))) throw TimeoutError();
    s = state_.load(std::memory_order_acquire);
  }
  if (fs::is_cancelled(s)) throw CancelledError();
  if (s & fs::kHasException) std::rethrow_exception(exception_);
  if (s & fs::kTaken) throw InvalidStateError("the result was already moved out by take()");
  return s;
}

void FutureStateBase::mark_taken() {
  if (state_.fetch_or(fs::kTaken, std::memory_order_acq_rel) & fs::kTaken) {
    throw InvalidStateError("the result was already moved out by take()");
  }
}

std::exception_ptr FutureStateBase::await_exception(Timeout timeout) {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  if (!fs::is_done(s)) {
    if (!wait_done(Deadline::after(timeout))) throw TimeoutError();
    s = state_.load(std::memory_order_acquire);
  }
  if (fs::is_cancelled(s)) throw CancelledError();
  return (s & fs::kHasException) ? exception_ : std::exception_ptr();
}

bool FutureStateBase::add_observer(WaitNode& node) {
  lock_.lock();
  if (!flag_waiters_locked()) {
    lock_.unlock();
    return false;
  }
  waiters_.push_back(node);
  lock_.unlock();
  return true;
}

void FutureStateBase::remove_observer(WaitNode& node) noexcept {
  lock_.lock();
  waiters_.remove(node);
  lock_.unlock();
}

void FutureStateBase::add_callback(CallbackNode* cb) noexcept {
  lock_.lock();
  if (flag_waiters_locked()) {
    cb->next = callbacks_;
    callbacks_ = cb;
    lock_.unlock();
    return;
  }
  lock_.unlock();
  run_callback(*this, cb);
}

bool FutureStateBase::try_claim() noexcept {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    const std::uint32_t st = s & fs::kStatusMask;
    if (st != fs::kPending && st != fs::kRunning) return false;
    if (state_.compare_exchange_weak(s, (s & ~fs::kStatusMask) | fs::kCompleting,
                                     std::memory_order_acq_rel, std::memory_order_acquire)) {
      return true;
    }
  }
}

void FutureStateBase::publish(bool has_exception) noexcept {
  const std::uint32_t delta =
      (fs::kFinished - fs::kCompleting) | (has_exception ? fs::kHasException : 0U);
  const std::uint32_t old = state_.fetch_add(delta, std::memory_order_acq_rel);
  if (old & fs::kHasWaiters) wake_all();
}

void FutureStateBase::publish_from_running(bool has_exception) noexcept {
  const std::uint32_t delta =
      (fs::kFinished - fs::kRunning) | (has_exception ? fs::kHasException : 0U);
  const std::uint32_t old = state_.fetch_add(delta, std::memory_order_acq_rel);
  if (old & fs::kHasWaiters) wake_all();
}

bool FutureStateBase::try_set_exception(std::exception_ptr e) noexcept {
  if (!try_claim()) return false;
  exception_ = std::move(e);
  publish(true);
  return true;
}

void FutureStateBase::wake_all() noexcept {
  // Keep ourselves alive while callbacks run (a callback may drop the last handle).
  add_ref();
  WaitNode* first = nullptr;
  WaitNode* last = nullptr;
  lock_.lock();
  while (WaitNode* n = waiters_.pop_front()) {
    if (n->tag & kObserverTag) {
      static_cast<FutureObserver*>(n->slot)->on_done(*this, *n);
    } else {
      n->next = nullptr;  // reuse the (now free) link for our private chain
      if (last) last->next = n; else first = n;
      last = n;
    }
  }
  CallbackNode* cbs = callbacks_;
  callbacks_ = nullptr;
  lock_.unlock();
  while (first) {
    WaitNode* next = first->next;
    first->context->unpark(*first);  // last touch of *first
    first = next;
  }
  // Callbacks run in registration order.
  CallbackNode* ordered = nullptr;
  while (cbs) {
    CallbackNode* next = cbs->next;
    cbs->next = ordered;
    ordered = cbs;
    cbs = next;
  }
  while (ordered) {
    CallbackNode* next = ordered->next;
    run_callback(*this, ordered);
    ordered = next;
  }
  release();
}

std::string FutureStateBase::repr() const {
  char addr[32];
  std::snprintf(addr, sizeof addr, "%p", static_cast<const void*>(this));
  const std::uint32_t s = load_state();
  std::string out = "<Future at ";
  out += addr;
  out += " state=";
  switch (s & fs::kStatusMask) {
    case fs::kPending: out += "pending"; break;
    case fs::kRunning:
    case fs::kCompleting: out += "running"; break;
    case fs::kFinished:
      if (s & fs::kHasException) {
        out += "finished raised " + describe(exception_).first;
      } else {
        out += "finished returned " + demangle(result_type().name());
      }
      break;
    default: out += "cancelled"; break;
  }
  out += ">";
  return out;
}

void FutureStateBase::throw_invalid_state() const {
  throw InvalidStateError(std::string(status_name_upper(load_state())) + ": " + repr());
}

}  // namespace triad::detail
