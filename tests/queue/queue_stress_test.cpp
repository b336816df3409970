// Stress: several producers and several consumers move 10^6 items (10^5 under sanitizers)
// through each queue kind, bounded and unbounded; every item is seen exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "triad/queue/lifo_queue.hpp"
#include "triad/queue/priority_queue.hpp"
#include "triad/queue/queue.hpp"
#include "triad/queue/simple_queue.hpp"

namespace triad {
namespace {

constexpr int kProducers = 3;
constexpr int kConsumers = 3;
const std::size_t kItems = queue_test::scaled(1'000'000);

template <class Item>
int id_of(const Item& x) {
  if constexpr (std::is_same_v<Item, int>) {
    return x;
  } else if constexpr (std::is_same_v<Item, std::unique_ptr<int>>) {
    return *x;
  } else {
    return x.value;
  }
}

template <class Item>
Item make(int id) {
  if constexpr (std::is_same_v<Item, int>) {
    return id;
  } else if constexpr (std::is_same_v<Item, std::unique_ptr<int>>) {
    return std::make_unique<int>(id);
  } else {
    return Item(id);
  }
}

// Producers put ids; consumers take until ShutDown (Queue kinds) or a sentinel (SimpleQueue).
template <class Q, class Item>
void run(Q& q, std::size_t items, bool use_shutdown) {
  const auto per_producer = static_cast<int>(items / kProducers);
  const auto total = static_cast<std::size_t>(per_producer) * kProducers;
  std::vector<std::atomic<std::uint8_t>> seen(total);
  std::atomic<std::size_t> taken{0};
  std::vector<std::thread> producers;
  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&] {
      try {
        for (;;) {
          Item x = q.get();
          const int id = id_of(x);
          if (id < 0) return;  // sentinel
          seen[static_cast<std::size_t>(id)].fetch_add(1, std::memory_order_relaxed);
          taken.fetch_add(1, std::memory_order_relaxed);
          if constexpr (requires { q.task_done(); }) q.task_done();
        }
      } catch (const ShutDown&) {
      }
    });
  }
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) q.put(make<Item>(p * per_producer + i));
    });
  }
  for (auto& t : producers) t.join();
  if constexpr (requires { q.join(); }) q.join();  // every item task_done
  if (use_shutdown) {
    if constexpr (requires { q.shutdown(); }) q.shutdown();
  } else {
    for (int c = 0; c < kConsumers; ++c) q.put(make<Item>(-1));
  }
  for (auto& t : consumers) t.join();
  EXPECT_EQ(taken.load(), total);
  std::size_t wrong = 0;
  for (auto& s : seen) wrong += s.load() != 1;
  EXPECT_EQ(wrong, 0u) << "items not seen exactly once";
  EXPECT_TRUE(q.empty());
}

TEST(QueueStress, QueueUnbounded) {
  Queue<int> q;
  run<Queue<int>, int>(q, kItems, true);
}
TEST(QueueStress, QueueBounded) {
  Queue<int> q(64);
  run<Queue<int>, int>(q, kItems, true);
}
TEST(QueueStress, QueueBoundedOne) {
  Queue<int> q(1);
  run<Queue<int>, int>(q, kItems / 4, true);
}
TEST(QueueStress, LifoQueue) {
  LifoQueue<int> q(64);
  run<LifoQueue<int>, int>(q, kItems, true);
}
TEST(QueueStress, PriorityQueue) {
  PriorityQueue<int> q(64);
  run<PriorityQueue<int>, int>(q, kItems, true);
}
TEST(QueueStress, PriorityQueueUnbounded) {
  PriorityQueue<int> q;
  run<PriorityQueue<int>, int>(q, kItems, true);
}
TEST(QueueStress, SimpleQueue) {
  SimpleQueue<int> q;
  run<SimpleQueue<int>, int>(q, kItems, false);
}
TEST(QueueStress, MoveOnlyItems) {
  Queue<std::unique_ptr<int>> q(16);
  run<Queue<std::unique_ptr<int>>, std::unique_ptr<int>>(q, kItems / 4, true);
}
TEST(QueueStress, ItemsWhoseMoveMayThrow) {
  // No direct hand-off: waiters are woken to take/put themselves (the retry paths).
  using queue_test::Fragile;
  Queue<Fragile> q(8);
  run<Queue<Fragile>, Fragile>(q, kItems / 4, true);
  PriorityQueue<Fragile> pq(8);
  run<PriorityQueue<Fragile>, Fragile>(pq, kItems / 4, true);
}

// Timeouts racing hand-offs: consumers use short timed gets and producers short timed puts,
// retrying on Empty/Full. A get that times out must not have taken an item, a put that
// raised Full must not have queued one: every item is still seen exactly once.
TEST(QueueStress, TimeoutsRacingHandOffsLoseAndDuplicateNothing) {
  using namespace std::chrono_literals;
  Queue<int> q(4);
  const auto per_producer = static_cast<int>(kItems / 20 / kProducers);
  const auto total = static_cast<std::size_t>(per_producer) * kProducers;
  std::vector<std::atomic<std::uint8_t>> seen(total);
  std::atomic<std::size_t> timeouts{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      try {
        for (;;) {
          try {
            const int id = q.get(true, 20us);
            seen[static_cast<std::size_t>(id)].fetch_add(1, std::memory_order_relaxed);
          } catch (const Empty&) {
            timeouts.fetch_add(1, std::memory_order_relaxed);
          }
        }
      } catch (const ShutDown&) {
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) {
        for (;;) {
          try {
            q.put(p * per_producer + i, true, 20us);
            break;
          } catch (const Full&) {
            timeouts.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }
    });
  }
  for (auto& t : producers) t.join();
  q.shutdown();  // consumers drain what is left, then stop
  for (auto& t : threads) t.join();
  std::size_t wrong = 0;
  for (auto& s : seen) wrong += s.load() != 1;
  EXPECT_EQ(wrong, 0u) << "items lost or duplicated by a timeout";
  EXPECT_EQ(q.unfinished_tasks(), total);
  RecordProperty("timeouts", static_cast<int>(timeouts.load()));
}

}  // namespace
}  // namespace triad
