// Group and Pool: sets of green threads, optionally bounded.
//
// Python: gevent.pool.Group and gevent.pool.Pool.
//
//   using namespace triad::green;
//   Pool pool(10);                               // at most 10 running at once
//   for (int i = 0; i < 100; ++i) pool.spawn(fetch, i);   // blocks the spawner while full
//   pool.join();                                 // all done
//
// A Group tracks the greenlets spawned through it (or add()ed); a finished greenlet leaves the
// group by itself. Pool(size) is a Group whose spawn() waits while `size` members are alive.
//
// Python ↔ triad: group.spawn(fn, *a) -> spawn(fn, a...); group.add/discard; len(group) ->
// size(); g in group -> contains(g); group.join(timeout, raise_error) -> join(...) (returns
// true when empty); group.kill(exception, block, timeout) -> kill(...); pool.free_count(),
// pool.full(), pool.wait_available(timeout).
//
// Thread safety: a Group is used from the OS thread whose hub runs its greenlets; join() may
// be called from any thread. Not copyable or movable.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include "triad/core/detail/spinlock.hpp"
#include "triad/core/parking.hpp"
#include "triad/green/spawn.hpp"

namespace triad::green {

namespace detail {
struct GroupState {
  triad::detail::SpinLock lock;
  std::vector<BasicGreenlet> members;
  WaitList waiters;  // join() and wait_available() callers; all woken on any change
  std::exception_ptr first_error;
  void remove(const GreenletState* st) noexcept;
  // Waits until pred() holds (checked under lock) or the deadline; true if it holds.
  template <class Pred>
  bool wait_until(Pred pred, Deadline deadline);
};
}  // namespace detail

class Group {
 public:
  Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  virtual ~Group();

  // Python: group.spawn(fn, *args). Spawns and adds. (Pool: waits for a free slot first.)
  template <class F, class... Args>
  Greenlet<spawn_result_t<F, Args...>> spawn(F&& fn, Args&&... args) {
    before_spawn();
    auto g = Greenlet<spawn_result_t<F, Args...>>::create(std::forward<F>(fn),
                                                          std::forward<Args>(args)...);
    add(g);
    g.start();
    return g;
  }
  // Python: group.add(g) / group.discard(g). A finished greenlet is not added.
  void add(const BasicGreenlet& g);
  void discard(const BasicGreenlet& g);
  [[nodiscard]] bool contains(const BasicGreenlet& g) const;
  // Python: len(group).
  [[nodiscard]] std::size_t size() const;
  // A snapshot of the members.
  [[nodiscard]] std::vector<BasicGreenlet> greenlets() const;
  // Python: group.join(timeout=None, raise_error=False). Waits until the group is empty;
  // returns true if it is. Blocks? yes (yields a green thread). Any thread. Throws: with
  // raise_error, the first exception a member ended with; the caller's pending interrupt.
  bool join(triad::Timeout timeout = {}, bool raise_error = false);
  // Python: group.kill(exception=GreenletExit, block=True, timeout=None).
  void kill(std::exception_ptr e = nullptr, bool block = true, triad::Timeout timeout = {});

 protected:
  virtual void before_spawn() {}
  std::shared_ptr<detail::GroupState> st_;
};

class Pool : public Group {
 public:
  // Python: Pool(size). Throws ValueError if size is 0 (use a Group for no limit).
  explicit Pool(std::size_t size);
  // Python: pool.free_count() / pool.full().
  [[nodiscard]] std::size_t free_count() const;
  [[nodiscard]] bool full() const { return free_count() == 0; }
  [[nodiscard]] std::size_t capacity() const noexcept { return size_; }
  // Python: pool.wait_available(timeout). Waits until a slot is free; returns free_count().
  std::size_t wait_available(triad::Timeout timeout = {});

 protected:
  void before_spawn() override { wait_available(); }

 private:
  std::size_t size_;
};

}  // namespace triad::green
