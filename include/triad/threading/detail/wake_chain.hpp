// Collects WaitNodes popped under a primitive's internal lock so that they can be unparked
// after the lock is released (the protocol of triad/core/parking.hpp). Popped nodes are
// chained through WaitNode::next, which the WaitList no longer uses once they are unlinked;
// until it is unparked a popped node cannot go away (its waiter is parked or awaiting the
// in-flight unpark).
#pragma once

#include <cstdint>

#include "triad/core/parking.hpp"

namespace triad::detail {

class WakeChain {
 public:
  // Pops every node of `list` (call under the primitive's lock), marking each with `tag`.
  void take_all(WaitList& list, std::uintptr_t tag) noexcept {
    while (WaitNode* n = list.pop_front()) add(*n, tag);
  }
  void add(WaitNode& n, std::uintptr_t tag) noexcept {
    n.tag = tag;
    n.next = nullptr;
    if (last_ != nullptr) {
      last_->next = &n;
    } else {
      first_ = &n;
    }
    last_ = &n;
  }
  // Unparks every collected node in order (call after releasing the primitive's lock).
  void unpark_all() noexcept {
    WaitNode* n = first_;
    first_ = last_ = nullptr;
    while (n != nullptr) {
      WaitNode* following = n->next;  // read before the unpark lets the waiter return
      n->context->unpark(*n);
      n = following;
    }
  }

 private:
  WaitNode* first_ = nullptr;
  WaitNode* last_ = nullptr;
};

}  // namespace triad::detail
