#include "triad/futures/wait.hpp"

#include <string>

namespace triad::detail {
namespace {

// The waiter of one wait() call: counts completions reported by the futures' observers.
class MultiWaiter final : public FutureObserver {
 public:
  MultiWaiter(std::size_t total, ReturnWhen rw) noexcept : total_(total), rw_(rw) {}

  void on_done(FutureStateBase& f, WaitNode& /*node*/) noexcept override {
    const std::uint32_t s = f.load_state();
    lock_.lock();
    ++done_;
    if (!fs::is_cancelled(s) && (s & fs::kHasException)) exception_ = true;
    WaitNode* w = satisfied_locked() ? waiter_.pop_front() : nullptr;
    lock_.unlock();
    if (w) w->context->unpark(*w);
  }

  // Counts a future found done before its observer was registered.
  void count(FutureStateBase& f) noexcept {
    WaitNode dummy;
    on_done(f, dummy);
  }

  // Blocks until satisfied or the deadline.
  void block(Deadline deadline) {
    lock_.lock();
    if (satisfied_locked() || deadline.expired()) {
      lock_.unlock();
      return;
    }
    WaitNode node;
    waiter_.push_back(node);
    lock_.unlock();
    park_and_resolve(node, waiter_, lock_, deadline);
  }

 private:
  bool satisfied_locked() const noexcept {
    switch (rw_) {
      case ReturnWhen::FIRST_COMPLETED: return done_ > 0;
      case ReturnWhen::FIRST_EXCEPTION: return exception_ || done_ == total_;
      case ReturnWhen::ALL_COMPLETED: return done_ == total_;
    }
    return true;
  }

  const std::size_t total_;
  const ReturnWhen rw_;
  std::size_t done_ = 0;
  bool exception_ = false;
  SpinLock lock_;
  WaitList waiter_;
};

}  // namespace

void wait_states(const std::vector<FutureStateBase*>& states, Deadline deadline, ReturnWhen rw) {
  if (rw != ReturnWhen::FIRST_COMPLETED && rw != ReturnWhen::FIRST_EXCEPTION &&
      rw != ReturnWhen::ALL_COMPLETED) {
    throw ValueError("Invalid return condition: " + std::to_string(static_cast<int>(rw)));
  }
  MultiWaiter waiter(states.size(), rw);
  const std::size_t n = states.size();
  std::unique_ptr<WaitNode[]> nodes(new WaitNode[n]);
  std::vector<bool> registered(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    nodes[i].tag = kObserverTag;
    nodes[i].slot = static_cast<FutureObserver*>(&waiter);
    if (states[i]->add_observer(nodes[i])) {
      registered[i] = true;
    } else {
      waiter.count(*states[i]);
    }
  }
  try {
    waiter.block(deadline);
  } catch (...) {
    for (std::size_t i = 0; i < n; ++i) {
      if (registered[i]) states[i]->remove_observer(nodes[i]);
    }
    throw;
  }
  // Unregister; a future completing meanwhile is serialised by its own lock.
  for (std::size_t i = 0; i < n; ++i) {
    if (registered[i]) states[i]->remove_observer(nodes[i]);
  }
}

CompletionQueue::CompletionQueue(const std::vector<FutureStateBase*>& states, Deadline deadline)
    : states_(states),
      nodes_(new WaitNode[states.size()]),
      registered_(states.size(), false),
      deadline_(deadline) {
  finished_.reserve(states_.size());
  for (std::size_t i = 0; i < states_.size(); ++i) {
    states_[i]->add_ref();
  }
  for (std::size_t i = 0; i < states_.size(); ++i) {
    nodes_[i].tag = kObserverTag | (static_cast<std::uintptr_t>(i) << 1);
    nodes_[i].slot = static_cast<FutureObserver*>(this);
    if (states_[i]->add_observer(nodes_[i])) {
      registered_[i] = true;
    } else {
      on_done(*states_[i], nodes_[i]);
    }
  }
}

CompletionQueue::~CompletionQueue() {
  for (std::size_t i = 0; i < states_.size(); ++i) {
    if (registered_[i]) states_[i]->remove_observer(nodes_[i]);
  }
  for (FutureStateBase* s : states_) s->release();
}

void CompletionQueue::on_done(FutureStateBase& /*f*/, WaitNode& node) noexcept {
  lock_.lock();
  finished_.push_back(static_cast<std::size_t>(node.tag >> 1));
  WaitNode* w = waiter_.pop_front();
  lock_.unlock();
  if (w) w->context->unpark(*w);
}

std::optional<std::size_t> CompletionQueue::next() {
  for (;;) {
    lock_.lock();
    if (consumed_ < finished_.size()) {
      const std::size_t i = finished_[consumed_++];
      lock_.unlock();
      return i;
    }
    if (consumed_ == states_.size()) {
      lock_.unlock();
      return std::nullopt;
    }
    if (deadline_.expired()) {
      const std::size_t unfinished = states_.size() - consumed_;
      lock_.unlock();
      throw TimeoutError(std::to_string(unfinished) + " (of " + std::to_string(states_.size()) +
                         ") futures unfinished");
    }
    WaitNode node;
    waiter_.push_back(node);
    lock_.unlock();
    park_and_resolve(node, waiter_, lock_, deadline_);
  }
}

}  // namespace triad::detail
