// The containers behind the queues (Python's `_init/_qsize/_put/_get` hooks).
//
// Not thread-safe: BasicQueue calls them under its internal lock. Every store gives the
// strong exception guarantee the queue promises:
//   push(x)          either the item is in the store or nothing changed;
//   plan_pop()       does every comparison the removal needs (it may throw; nothing changes);
//   front()          the item get() moves out next (moving it out may throw; nothing changes);
//   finish_pop(plan) removes the moved-from front; never throws.
// A removal is plan_pop(), a move out of front(), then finish_pop(), so an exception from
// a comparator or from T's move constructor leaves the queue exactly as it was.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace triad::detail {

// FIFO (Python: collections.deque, append/popleft). std::deque never relocates its
// elements, so push_back is strongly exception-safe even for types whose move may throw.
template <class T>
class FifoStore {
 public:
  using container_type = std::deque<T>;
  struct Plan {};

  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  template <class U>
  void push(U&& item) {
    items_.push_back(std::forward<U>(item));
  }
  Plan plan_pop() noexcept { return {}; }
  T& front() noexcept { return items_.front(); }
  void finish_pop(Plan /*plan*/) noexcept { items_.pop_front(); }
  // Moves every item into `out` (which must be empty); leaves the store empty.
  void swap_out(container_type& out) noexcept { items_.swap(out); }

 private:
  container_type items_;
};

// LIFO (Python: list, append/pop).
template <class T>
class LifoStore {
 public:
  using container_type = std::deque<T>;
  struct Plan {};

  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  template <class U>
  void push(U&& item) {
    items_.push_back(std::forward<U>(item));
  }
  Plan plan_pop() noexcept { return {}; }
  T& front() noexcept { return items_.back(); }
  void finish_pop(Plan /*plan*/) noexcept { items_.pop_back(); }
  void swap_out(container_type& out) noexcept { items_.swap(out); }

 private:
  container_type items_;
};

// A binary min-heap ordered by Compare (Python: heapq.heappush/heappop on a list).
//
// The sift steps are those of CPython's heapq (heappush sifts the new item up; heappop moves
// the last item to the root, walks it down to a leaf along the smaller children, then sifts
// it back up), so a sequence of puts and gets yields the same order as Python's
// PriorityQueue, equal priorities included.
//
// Elements whose move can throw are stored behind a unique_ptr, so restructuring the heap
// only ever moves things that cannot throw; comparisons happen before anything is moved.
template <class T, class Compare>
class HeapStore {
  static constexpr bool kDirect =
      std::is_nothrow_move_constructible_v<T> && std::is_nothrow_move_assignable_v<T>;
  using Elem = std::conditional_t<kDirect, T, std::unique_ptr<T>>;

 public:
  using container_type = std::vector<Elem>;
  struct Plan {
    std::size_t leaf = 0;  // where the walk down from the root ended
    unsigned depth = 0;    // depth of `leaf` (root = 0)
    unsigned stop = 0;     // depth at which the last item comes to rest
  };

  HeapStore() = default;
  explicit HeapStore(Compare compare) : compare_(std::move(compare)) {}

  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }

  template <class U>
  void push(U&& item) {
    // Where the item comes to rest (heapq._siftdown): comparisons only, nothing moves yet.
    const T& value = item;
    const std::size_t n = heap_.size();
    std::size_t pos = n;
    while (pos > 0) {
      const std::size_t parent = (pos - 1) / 2;
      if (!compare_(value, ref(heap_[parent]))) break;
      pos = parent;
    }
    Elem elem = make(std::forward<U>(item));  // may throw; nothing has changed
    if (heap_.size() == heap_.capacity()) heap_.reserve(n < 8 ? 16 : 2 * n);  // idem
    // From here on only non-throwing moves of Elem.
    if (pos == n) {
      heap_.push_back(std::move(elem));
      return;
    }
    std::size_t child = n;
    std::size_t parent = (child - 1) / 2;
    heap_.push_back(std::move(heap_[parent]));
    child = parent;
    while (child != pos) {
      parent = (child - 1) / 2;
      heap_[child] = std::move(heap_[parent]);
      child = parent;
    }
    heap_[pos] = std::move(elem);
  }

  // heapq.heappop's comparisons, in its order, with nothing moved.
  Plan plan_pop() {
    Plan plan;
    const std::size_t end = heap_.size() - 1;  // the last item leaves its place
    if (end == 0) return plan;
    // Down to a leaf, always along the smaller child (heapq._siftup).
    std::size_t pos = 0;
    std::size_t child = 1;
    while (child < end) {
      const std::size_t right = child + 1;
      if (right < end && !compare_(ref(heap_[child]), ref(heap_[right]))) child = right;
      pos = child;
      ++plan.depth;
      child = 2 * pos + 1;
    }
    plan.leaf = pos;
    // Back up while the last item is smaller than what would sit above it (heapq._siftdown).
    const T& last = ref(heap_[end]);
    unsigned stop = plan.depth;
    while (stop > 0 && compare_(last, ref(heap_[ancestor(plan, stop)]))) --stop;
    plan.stop = stop;
    return plan;
  }

  T& front() noexcept { return ref(heap_.front()); }

  void finish_pop(Plan plan) noexcept {
    const std::size_t end = heap_.size() - 1;
    if (end > 0) {
      // The path root..leaf moves up one level down to depth `stop`; the last item fills it.
      for (unsigned d = 0; d < plan.stop; ++d) {
        heap_[ancestor(plan, d)] = std::move(heap_[ancestor(plan, d + 1)]);
      }
      heap_[ancestor(plan, plan.stop)] = std::move(heap_[end]);
    }
    heap_.pop_back();
  }

  void swap_out(container_type& out) noexcept { heap_.swap(out); }

 private:
  static T& ref(Elem& e) noexcept {
    if constexpr (kDirect) {
      return e;
    } else {
      return *e;
    }
  }
  template <class U>
  static Elem make(U&& item) {
    if constexpr (kDirect) {
      return Elem(std::forward<U>(item));
    } else {
      return std::make_unique<T>(std::forward<U>(item));
    }
  }
  // The node at depth `d` on the path from the root to plan.leaf.
  static std::size_t ancestor(const Plan& plan, unsigned d) noexcept {
    return ((plan.leaf + 1) >> (plan.depth - d)) - 1;
  }

  container_type heap_;
  [[no_unique_address]] Compare compare_{};
};

}  // namespace triad::detail
