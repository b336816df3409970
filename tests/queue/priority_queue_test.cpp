// PriorityQueue specifics: order, comparators, tuples, Python's heapq order among equals,
// throwing comparators. Behaviour shared with Queue/LifoQueue: basic_queue_test.cpp.
#include "triad/queue/priority_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace triad {
namespace {

TEST(PriorityQueue, SmallestFirstLikeHeapq) {
  PriorityQueue<int> q;
  for (int x : {5, 1, 4, 1, 5, 9, 2, 6}) q.put(x);
  std::vector<int> out;
  while (!q.empty()) out.push_back(q.get());
  EXPECT_EQ(out, (std::vector<int>{1, 1, 2, 4, 5, 5, 6, 9}));
}

TEST(PriorityQueue, PairsOrderLexicographically) {
  // Seed S26: (priority, item) tuples.
  PriorityQueue<std::pair<int, std::string>> q;
  q.put({2, "code"});
  q.put({1, "eat"});
  q.put({3, "sleep"});
  q.put({1, "drink"});
  EXPECT_EQ(q.get(), std::make_pair(1, std::string("drink")));
  EXPECT_EQ(q.get(), std::make_pair(1, std::string("eat")));
  EXPECT_EQ(q.get().second, "code");
  EXPECT_EQ(q.get().second, "sleep");
}

TEST(PriorityQueue, TuplesOrderLexicographically) {
  PriorityQueue<std::tuple<int, double, std::string>> q;
  q.emplace(1, 2.0, "b");
  q.emplace(1, 1.5, "z");
  q.emplace(0, 9.0, "a");
  q.emplace(1, 2.0, "a");
  EXPECT_EQ(std::get<2>(q.get()), "a");
  EXPECT_EQ(std::get<2>(q.get()), "z");
  EXPECT_EQ(std::get<2>(q.get()), "a");
  EXPECT_EQ(std::get<2>(q.get()), "b");
}

TEST(PriorityQueue, CustomComparator) {
  PriorityQueue<int, std::greater<int>> maxq;
  for (int x : {3, 7, 1}) maxq.put(x);
  EXPECT_EQ(maxq.get(), 7);
  EXPECT_EQ(maxq.get(), 3);

  struct Job {
    std::string name;
    int deadline;
  };
  auto by_deadline = [](const Job& a, const Job& b) { return a.deadline < b.deadline; };
  PriorityQueue<Job, decltype(by_deadline)> jobs(0, by_deadline);
  jobs.put({"later", 20});
  jobs.put({"now", 1});
  jobs.put({"soon", 5});
  EXPECT_EQ(jobs.get().name, "now");
  EXPECT_EQ(jobs.get().name, "soon");
  EXPECT_EQ(jobs.get().name, "later");
}

TEST(PriorityQueue, StatefulComparator) {
  std::vector<int> rank = {2, 0, 1};  // item i comes out in order rank[i]
  auto by_rank = [&rank](int a, int b) {
    return rank[static_cast<std::size_t>(a)] < rank[static_cast<std::size_t>(b)];
  };
  PriorityQueue<int, decltype(by_rank)> q(0, by_rank);
  for (int i : {0, 1, 2}) q.put(i);
  EXPECT_EQ(q.get(), 1);
  EXPECT_EQ(q.get(), 2);
  EXPECT_EQ(q.get(), 0);
}

// Items compared on priority only, to observe the order among equals.
struct Tagged {
  int priority;
  int seq;
  friend bool operator<(const Tagged& a, const Tagged& b) { return a.priority < b.priority; }
};

TEST(PriorityQueue, EqualPrioritiesComeOutInPythonsOrder) {
  // Generated with /usr/bin/python3 (heapq, random.seed(7)): a priority p >= 0 is a push of
  // (p, next seq), -1 is a pop. `python_order` is the seq of every item popped, in order,
  // including the final drain. triad's heap makes the same comparisons as heapq.
  const std::vector<int> ops = {2,  3,  0,  0,  -1, -1, 0,  -1, 1,  -1, 4,  -1, -1, 0,  3,
                                -1, -1, 1,  -1, -1, 0,  4,  1,  -1, 1,  -1, 0,  4,  -1, 3,
                                3,  3,  -1, -1, -1, 0,  4,  2,  2,  0,  -1, 2,  -1, 0,  0,
                                4,  2,  -1, -1, 3,  -1, -1, -1, 0,  -1, 4,  3,  -1, -1, 0};
  const std::vector<int> python_order = {2,  3,  4,  5,  0,  1,  7,  8,  9,  6,  10, 12,
                                         14, 13, 18, 16, 19, 23, 25, 26, 22, 28, 21, 30,
                                         24, 29, 33, 17, 32, 11, 15, 20, 27, 31};
  PriorityQueue<Tagged> q;
  std::vector<int> order;
  int seq = 0;
  for (int op : ops) {
    if (op < 0) {
      order.push_back(q.get().seq);
    } else {
      q.put({op, seq++});
    }
  }
  while (!q.empty()) order.push_back(q.get().seq);
  EXPECT_EQ(order, python_order);
}

TEST(PriorityQueue, RandomAgainstSort) {
  std::mt19937 rng(42);
  PriorityQueue<int> q;
  std::vector<int> all;
  for (int i = 0; i < 5000; ++i) {
    const int x = static_cast<int>(rng() % 1000);
    q.put(x);
    all.push_back(x);
  }
  std::sort(all.begin(), all.end());
  for (int x : all) ASSERT_EQ(q.get(), x);
}

// A comparator that throws on demand (the C++ form of a failing __lt__).
struct Touchy {
  static inline int throw_after = -1;  // throw on the n-th comparison from now; -1 = never
  bool operator()(int a, int b) const {
    if (throw_after == 0) {
      throw_after = -1;
      throw std::runtime_error("compare failed");
    }
    if (throw_after > 0) --throw_after;
    return a < b;
  }
};

TEST(PriorityQueue, ThrowingComparatorLeavesQueueIntact) {
  std::mt19937 rng(1);
  PriorityQueue<int, Touchy> q;
  std::vector<int> model;
  std::size_t puts = 0;
  int failures = 0;
  for (int step = 0; step < 3000; ++step) {
    Touchy::throw_after = static_cast<int>(rng() % 6);
    if (model.empty() || rng() % 3 != 0) {
      const int x = static_cast<int>(rng() % 100);
      try {
        q.put(x);
        model.push_back(x);
        ++puts;
      } catch (const std::runtime_error&) {
        ++failures;
      }
    } else {
      try {
        const int got = q.get();
        auto it = std::min_element(model.begin(), model.end());
        ASSERT_EQ(got, *it);
        model.erase(it);
      } catch (const std::runtime_error&) {
        ++failures;
      }
    }
    Touchy::throw_after = -1;
    ASSERT_EQ(q.qsize(), model.size());
    ASSERT_EQ(q.unfinished_tasks(), puts);  // a failed put counts no task
  }
  EXPECT_GT(failures, 100);
  std::sort(model.begin(), model.end());
  for (int x : model) ASSERT_EQ(q.get(), x);
}

}  // namespace
}  // namespace triad
