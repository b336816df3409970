// The coroutine ParkingContext behind aio::blocking/wait/acquire/get/put
// (include/triad/aio/blocking.hpp): a greenlet of the loop thread runs the blocking call.
#include "triad/aio/blocking.hpp"

#if TRIAD_AIO_HAVE_BLOCKING

#include <atomic>

#include "triad/aio/detail/loop_link.hpp"
#include "triad/core/error.hpp"
#include "triad/core/parking.hpp"
#include "triad/green/greenlet.hpp"

namespace triad::aio::detail {

class BlockingCall final : public ParkingContext {
 public:
  BlockingCall(EventLoop& loop, void (*run)(void*), void* arg)
      : loop_(&loop),
        link_(loop.link()),
        g_([this, run, arg] {
          run(arg);  // never throws: the thunk catches
        }) {}

  void ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void unref() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Runs the call until it finishes or parks (loop thread).
  void switch_in() noexcept {
    ParkingContext* prev = exchange_parking_context(this);
    try {
      g_.switch_to();
    } catch (...) {
    }
    exchange_parking_context(prev);
    if (g_.dead() && !done_) {
      done_ = true;
      if (awaiter_ != nullptr) awaiter_->finished();
    }
  }
  [[nodiscard]] bool done() const noexcept { return done_; }
  void set_awaiter(BlockingAwaiter* a) noexcept { awaiter_ = a; }

  // A cancellation: end the current park early (the primitive sees a timeout).
  void interrupt() noexcept {
    interrupted_ = true;
    if (!parked_) return;
    ref();
    try {
      loop_->schedule_callback([this] {
        if (parked_ && !in_flight_ && node_->state.load(std::memory_order_acquire) == 0) {
          result_ = ParkResult::timed_out;
          switch_in();
        }
        unref();
      });
    } catch (...) {
      unref();
    }
  }
  [[nodiscard]] bool interrupted() const noexcept { return interrupted_; }

  ParkResult park(WaitNode& node, Deadline deadline) override {
    if (node.state.load(std::memory_order_acquire) == 1) return ParkResult::woken;
    // A re-park on the node of a timed-out park awaits an unpark in flight: it is never ended
    // early, or the waker would write to a node that is gone (parking.hpp, "Interrupts").
    in_flight_ = &node == timed_out_node_;
    if (!in_flight_ && ((interrupted_ && !interrupt_delivered_) || deadline.expired())) {
      timed_out_node_ = &node;
      return ParkResult::timed_out;
    }
    node_ = &node;
    parked_ = true;
    result_ = ParkResult::timed_out;
    net::TimerHandle timer;
    if (!deadline.is_never()) {
      timer = loop_->reactor().call_at(deadline, [this] {
        if (parked_ && node_->state.load(std::memory_order_acquire) == 0) {
          result_ = ParkResult::timed_out;
          switch_in();
        }
      });
    }
    // Back to the loop: the task stays suspended until on_unparked/timer/interrupt.
    g_.parent()->switch_to();
    parked_ = false;
    timer.cancel();
    timed_out_node_ = result_ == ParkResult::timed_out ? &node : nullptr;
    return result_;
  }

  // A cancelled park surfaces as CancelledError once the primitive has resolved it as a
  // timeout: a wait without a deadline (Queue::get, Condition::wait) would otherwise take it
  // for a spurious wake-up and park again, forever. Thrown once; later parks (a primitive's
  // clean-up, e.g. Condition retaking its lock) wait normally.
  void check_interrupt() override {
    timed_out_node_ = nullptr;
    if (!interrupted_ || interrupt_delivered_) return;
    interrupt_delivered_ = true;
    throw CancelledError("the awaiting task was cancelled");
  }

  void unpark(WaitNode& node) noexcept override {
    ref();
    std::shared_ptr<LoopLink> link = link_;   // copy before the store: *this stays alive by ref
    node.state.store(1, std::memory_order_release);  // last access to node
    bool posted = false;
    try {
      posted = link->post([this] {
        if (parked_ && node_->state.load(std::memory_order_acquire) == 1) {
          result_ = ParkResult::woken;
          switch_in();
        }
        unref();
      });
    } catch (...) {
    }
    if (!posted) unref();
  }

 private:
  ~BlockingCall() override = default;

  EventLoop* loop_;
  std::shared_ptr<LoopLink> link_;
  green::greenlet g_;
  std::atomic<int> refs_{1};
  BlockingAwaiter* awaiter_ = nullptr;
  WaitNode* node_ = nullptr;
  ParkResult result_ = ParkResult::timed_out;
  bool parked_ = false;
  bool done_ = false;
  bool interrupted_ = false;
  bool interrupt_delivered_ = false;
  bool in_flight_ = false;              // the current park awaits an unpark in flight
  WaitNode* timed_out_node_ = nullptr;  // the node of the last park that timed out
};

BlockingAwaiter::~BlockingAwaiter() {
  if (call_ != nullptr) {
    call_->set_awaiter(nullptr);
    call_->unref();
  }
}

namespace {
thread_local std::size_t tl_blocking_calls = 0;
}  // namespace

std::size_t blocking_calls_started() noexcept { return tl_blocking_calls; }

bool BlockingAwaiter::await_suspend(std::coroutine_handle<> h) {
  PromiseBase& t = current_task_or_throw();
  ++tl_blocking_calls;
  call_ = new BlockingCall(t.loop_->self(), run_, arg_);
  call_->set_awaiter(this);
  on_cancel = &cancel_thunk;
  task = &t;
  call_->switch_in();
  if (call_->done()) return false;  // finished without parking: no suspension
  suspended_ = true;
  t.suspend(h, this);
  return true;
}

void BlockingAwaiter::finished() noexcept {
  if (call_ != nullptr) interrupted_ = call_->interrupted();
  if (!suspended_) return;
  task->waiting_on_ = nullptr;
  try {
    task->loop_->schedule(task);
  } catch (...) {
  }
}

bool BlockingAwaiter::cancel_thunk(Suspension& s) noexcept {
  auto& self = static_cast<BlockingAwaiter&>(s);
  if (self.call_ == nullptr || self.call_->done()) return false;
  self.call_->interrupt();
  return true;  // the call returns (as a timeout); run_blocking raises CancelledError
}

}  // namespace triad::aio::detail

#endif  // TRIAD_AIO_HAVE_BLOCKING
