#include "triad/green/pool.hpp"

#include <algorithm>

#include "hub_internal.hpp"

namespace triad::green {
namespace detail {

namespace {
void wake_all(GroupState& s) noexcept {  // call with s.lock held; unparks after unlocking
  WaitNode* chain = nullptr;
  WaitNode* tail = nullptr;
  while (WaitNode* n = s.waiters.pop_front()) {
    n->next = nullptr;
    if (tail != nullptr) tail->next = n; else chain = n;
    tail = n;
  }
  s.lock.unlock();
  while (chain != nullptr) {
    WaitNode* next = chain->next;
    chain->context->unpark(*chain);
    chain = next;
  }
}
}  // namespace

void GroupState::remove(const GreenletState* st) noexcept {
  lock.lock();
  auto it = std::find_if(members.begin(), members.end(),
                         [st](const BasicGreenlet& g) { return g.state().get() == st; });
  if (it != members.end()) {
    if (!first_error && st->exception) first_error = st->exception;
    members.erase(it);
  }
  wake_all(*this);
}

template <class Pred>
bool GroupState::wait_until(Pred pred, Deadline deadline) {
  for (;;) {
    WaitNode node;
    lock.lock();
    if (pred()) {
      lock.unlock();
      return true;
    }
    if (deadline.expired()) {
      lock.unlock();
      return false;
    }
    waiters.push_back(node);
    lock.unlock();
    const bool woken = park_and_resolve(node, waiters, lock, deadline);
    if (ThreadState* ts = tstate_if_exists(); ts != nullptr && ts->hub != nullptr) {
      raise_pending_interrupt(*ts);
    }
    if (!woken) {
      lock.lock();
      const bool ok = pred();
      lock.unlock();
      return ok;
    }
  }
}

}  // namespace detail

Group::Group() : st_(std::make_shared<detail::GroupState>()) {}
Group::~Group() = default;

void Group::add(const BasicGreenlet& g) {
  if (g.ready()) return;
  st_->lock.lock();
  const bool present = std::any_of(st_->members.begin(), st_->members.end(),
                                   [&](const BasicGreenlet& m) { return m == g; });
  if (!present) st_->members.push_back(g);
  st_->lock.unlock();
  if (present) return;
  std::weak_ptr<detail::GroupState> weak = st_;
  const detail::GreenletState* raw = g.state().get();
  g.state()->add_raw_link([weak, raw] {
    if (auto s = weak.lock()) s->remove(raw);
  });
}

void Group::discard(const BasicGreenlet& g) {
  st_->lock.lock();
  auto it = std::find(st_->members.begin(), st_->members.end(), g);
  if (it != st_->members.end()) st_->members.erase(it);
  detail::wake_all(*st_);
}

bool Group::contains(const BasicGreenlet& g) const {
  st_->lock.lock();
  const bool r = std::find(st_->members.begin(), st_->members.end(), g) != st_->members.end();
  st_->lock.unlock();
  return r;
}

std::size_t Group::size() const {
  st_->lock.lock();
  const std::size_t n = st_->members.size();
  st_->lock.unlock();
  return n;
}

std::vector<BasicGreenlet> Group::greenlets() const {
  st_->lock.lock();
  std::vector<BasicGreenlet> v = st_->members;
  st_->lock.unlock();
  return v;
}

bool Group::join(triad::Timeout timeout, bool raise_error) {
  auto& s = *st_;
  const bool empty = s.wait_until([&] { return s.members.empty() || (raise_error && s.first_error); },
                                  Deadline::after(timeout));
  if (raise_error && s.first_error) {
    std::exception_ptr e = s.first_error;
    s.first_error = nullptr;
    std::rethrow_exception(e);
  }
  return empty;
}

void Group::kill(std::exception_ptr e, bool block, triad::Timeout timeout) {
  killall(greenlets(), std::move(e), false);
  if (block) join(timeout);
}

Pool::Pool(std::size_t size) : size_(size) {
  if (size == 0) throw ValueError("Pool size must be at least 1 (use a Group for no limit)");
}

std::size_t Pool::free_count() const {
  const std::size_t n = size();
  return n >= size_ ? 0 : size_ - n;
}

std::size_t Pool::wait_available(triad::Timeout timeout) {
  auto& s = *st_;
  s.wait_until([&] { return s.members.size() < size_; }, Deadline::after(timeout));
  return free_count();
}

}  // namespace triad::green
