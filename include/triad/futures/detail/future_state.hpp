// Implementation detail of triad::Future: the shared state behind every Future handle.
//
// One heap block per future. For an executor task the block also holds the callable
// (TaskState), so submit() costs one allocation. The block is reference counted
// (intrusively); Future handles, Promises, run queues and pending callbacks each own one
// reference.
//
// The state word packs the status (Python's PENDING, RUNNING, CANCELLED,
// CANCELLED_AND_NOTIFIED, FINISHED plus a private COMPLETING step) with flags. Completion is
// a single atomic read-modify-write; the internal lock is only taken when somebody waits on,
// observes or registered a callback with the future (kHasWaiters), so an executor completing
// a future nobody waits on yet touches no lock and makes no syscall.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "triad/core/detail/spinlock.hpp"
#include "triad/core/error.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"

namespace triad::detail {

// Link used by executors' intrusive run queues.
struct QueueNode {
  std::atomic<QueueNode*> qnext{nullptr};
};

namespace fs {
inline constexpr std::uint32_t kPending = 0;
inline constexpr std::uint32_t kRunning = 1;
inline constexpr std::uint32_t kCompleting = 2;  // a result is being stored
inline constexpr std::uint32_t kFinished = 3;
inline constexpr std::uint32_t kCancelled = 4;
inline constexpr std::uint32_t kCancelledAndNotified = 5;
inline constexpr std::uint32_t kStatusMask = 7;
inline constexpr std::uint32_t kHasWaiters = 8;     // the completer must take the lock
inline constexpr std::uint32_t kHasException = 16;  // finished by raising
inline constexpr std::uint32_t kTaken = 32;         // the value was moved out by take()

constexpr bool is_done(std::uint32_t s) noexcept { return (s & kStatusMask) >= kFinished; }
constexpr bool is_cancelled(std::uint32_t s) noexcept {
  return (s & kStatusMask) >= kCancelled;
}
// Finished with a value that is still there.
constexpr bool has_value(std::uint32_t s) noexcept {
  return (s & (kStatusMask | kHasException | kTaken)) == kFinished;
}
}  // namespace fs

// WaitNode::tag values used in a future's waiter list. Parked waiters use 0; observers
// (wait(), as_completed()) set the low bit, keep their own data in the other bits and point
// WaitNode::slot at their FutureObserver.
inline constexpr std::uintptr_t kObserverTag = 1;

class FutureStateBase;

// Told, under the future's internal lock, that a future it watches is done.
// on_done must not block or call back into that future.
class FutureObserver {
 public:
  virtual void on_done(FutureStateBase& f, WaitNode& node) noexcept = 0;

 protected:
  FutureObserver() = default;
  FutureObserver(const FutureObserver&) = default;
  FutureObserver& operator=(const FutureObserver&) = default;
  ~FutureObserver() = default;
};

// A done-callback, type-erased. invoke() may throw: the exception is reported, not raised.
class CallbackNode {
 public:
  CallbackNode() = default;
  CallbackNode(const CallbackNode&) = delete;
  CallbackNode& operator=(const CallbackNode&) = delete;
  virtual ~CallbackNode() = default;
  virtual void invoke(FutureStateBase& f) = 0;
  CallbackNode* next = nullptr;
};

// Prints "exception calling callback for <Future ...>" and the exception to stderr.
void report_callback_exception(const FutureStateBase& f, std::exception_ptr e) noexcept;
// Runs cb (reporting what it throws) and deletes it.
void run_callback(FutureStateBase& f, CallbackNode* cb) noexcept;

class FutureStateBase : public QueueNode {
 public:
  explicit FutureStateBase(std::uint32_t refs) noexcept : refs_(refs) {}
  FutureStateBase(const FutureStateBase&) = delete;
  FutureStateBase& operator=(const FutureStateBase&) = delete;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }
  [[nodiscard]] std::uint32_t use_count() const noexcept {
    return refs_.load(std::memory_order_acquire);
  }

  [[nodiscard]] std::uint32_t load_state() const noexcept {
    return state_.load(std::memory_order_acquire);
  }

  // --- queries and waits (Future side) ----------------------------------------------------
  [[nodiscard]] bool done() const noexcept { return fs::is_done(load_state()); }
  [[nodiscard]] bool cancelled() const noexcept { return fs::is_cancelled(load_state()); }
  [[nodiscard]] bool running() const noexcept {
    const auto st = load_state() & fs::kStatusMask;
    return st == fs::kRunning || st == fs::kCompleting;
  }
  bool cancel() noexcept;
  // Python's Future.set_running_or_notify_cancel: PENDING -> RUNNING (true), CANCELLED ->
  // CANCELLED_AND_NOTIFIED (false), otherwise RuntimeError("Future in unexpected state").
  bool set_running_or_notify_cancel();
  // Same without the throw (false in unexpected states).
  bool try_set_running() noexcept;

  // Waits until done or the deadline; returns whether done.
  bool wait_done(Deadline deadline);
  // Waits (TimeoutError), then throws CancelledError, rethrows the stored exception or throws
  // InvalidStateError if the value was taken. Returns the state word when a value is there.
  std::uint32_t await_value(Timeout timeout);
  // Marks the value as taken (InvalidStateError if it already was). Call after await_value.
  void mark_taken();
  // Waits (TimeoutError), CancelledError if cancelled; the exception or null.
  std::exception_ptr await_exception(Timeout timeout);
  // The stored exception; only meaningful once done.
  [[nodiscard]] const std::exception_ptr& stored_exception() const noexcept { return exception_; }

  // Registers an observer node (tag has kObserverTag). False if already done (not added).
  bool add_observer(WaitNode& node);
  // Unlinks an observer node if still linked.
  void remove_observer(WaitNode& node) noexcept;
  // Adds a done-callback (ownership passes), or runs it at once in the caller if done.
  void add_callback(CallbackNode* cb) noexcept;

  // --- completion (Promise and executor side) -----------------------------------------------
  // PENDING or RUNNING -> COMPLETING; false if already finished or cancelled.
  bool try_claim() noexcept;
  // COMPLETING -> FINISHED; wakes waiters and runs callbacks in the calling thread.
  void publish(bool has_exception) noexcept;
  // RUNNING -> FINISHED (executor tasks: nobody else can complete a running task).
  void publish_from_running(bool has_exception) noexcept;
  void store_exception(std::exception_ptr e) noexcept { exception_ = std::move(e); }
  // Claims, stores e and publishes; false if the future was already done.
  bool try_set_exception(std::exception_ptr e) noexcept;

  // Python's repr: "<Future at 0x... state=finished returned int>".
  [[nodiscard]] std::string repr() const;
  // "FINISHED: <Future ...>" for InvalidStateError messages.
  [[noreturn]] void throw_invalid_state() const;

  [[nodiscard]] virtual const std::type_info& result_type() const noexcept = 0;

  // Executor tasks. execute(): set_running_or_notify_cancel, run the callable, store the
  // outcome (the caller then calls publish_from_running). Plain states return kSkipped.
  enum class Outcome : std::uint8_t { kSkipped, kValue, kException };
  virtual Outcome execute() noexcept { return Outcome::kSkipped; }

 protected:
  // Deletes callbacks that never ran (only possible if the future was never completed).
  virtual ~FutureStateBase();
  virtual void destroy() noexcept = 0;

  std::exception_ptr exception_;

 private:
  // Sets kHasWaiters under lock_ unless done; returns false if done.
  bool flag_waiters_locked() noexcept;
  void wake_all() noexcept;

  std::atomic<std::uint32_t> refs_;
  std::atomic<std::uint32_t> state_{fs::kPending};
  SpinLock lock_;
  CallbackNode* callbacks_ = nullptr;  // newest first
  WaitList waiters_;
};

// The typed part: where the value lives.
template <class T>
class FutureState : public FutureStateBase {
 public:
  explicit FutureState(std::uint32_t refs) noexcept : FutureStateBase(refs) {}
  FutureState(const FutureState&) = delete;
  FutureState& operator=(const FutureState&) = delete;

  // Constructs the value; the caller has claimed the state (or it is running).
  template <class... A>
  void emplace(A&&... a) {
    ::new (static_cast<void*>(std::addressof(value_))) T(std::forward<A>(a)...);
  }
  T& value() noexcept { return value_; }
  const T& value() const noexcept { return value_; }

  [[nodiscard]] const std::type_info& result_type() const noexcept override { return typeid(T); }

 protected:
  ~FutureState() override {
    const std::uint32_t s = load_state();
    if ((s & fs::kStatusMask) == fs::kFinished && (s & fs::kHasException) == 0) value_.~T();
  }

 private:
  union {
    T value_;
  };
};

template <>
class FutureState<void> : public FutureStateBase {
 public:
  explicit FutureState(std::uint32_t refs) noexcept : FutureStateBase(refs) {}
  void emplace() noexcept {}
  [[nodiscard]] const std::type_info& result_type() const noexcept override {
    return typeid(void);
  }
};

// The state of a Promise (or of a then() continuation).
template <class T>
class PlainState final : public FutureState<T> {
 public:
  explicit PlainState(std::uint32_t refs) noexcept : FutureState<T>(refs) {}

 protected:
  void destroy() noexcept override { delete this; }
};

// Claims s, constructs its value from args and publishes. False if s was already done.
template <class T, class... A>
bool try_set_value(FutureState<T>& s, A&&... args) {
  if (!s.try_claim()) return false;
  try {
    s.emplace(std::forward<A>(args)...);
  } catch (...) {
    s.store_exception(std::current_exception());
    s.publish(true);
    return true;
  }
  s.publish(false);
  return true;
}

// An executor task: the future's state and the callable in one block. Born with two
// references: the Future handle's and the run queue's.
template <class R, class Fn>
class TaskState final : public FutureState<R> {
 public:
  explicit TaskState(Fn&& fn) : FutureState<R>(2), fn_(std::move(fn)) {}

  FutureStateBase::Outcome execute() noexcept override {
    using enum FutureStateBase::Outcome;
    if (!this->try_set_running()) {
      drop_fn();
      return kSkipped;
    }
    FutureStateBase::Outcome out = kValue;
    try {
      if constexpr (std::is_void_v<R>) {
        fn_();
      } else {
        this->emplace(fn_());
      }
    } catch (...) {
      this->store_exception(std::current_exception());
      out = kException;
    }
    drop_fn();  // release captured arguments now, as Python drops the work item
    return out;
  }

 protected:
  ~TaskState() override { drop_fn(); }
  void destroy() noexcept override { delete this; }

 private:
  void drop_fn() noexcept {
    if (fn_alive_) {
      fn_alive_ = false;
      fn_.~Fn();
    }
  }
  union {
    Fn fn_;
  };
  bool fn_alive_ = true;
};

}  // namespace triad::detail
