// Queue, JoinableQueue, SimpleQueue. Ports _test_multiprocessing._TestQueue (Full/Empty
// where Python raises them, timeouts, qsize/empty/full, task_done/join) plus faults: a
// producer killed in the middle of a large put, 64 MiB messages, corrupted items.
#include "triad/process/queues.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "process/leak_check.hpp"
#include "triad/process/process.hpp"
#include "triad/process/sharedctypes.hpp"
#include "triad/process/synchronize.hpp"

namespace tp = triad::process;
using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kStress = 2000;
#else
constexpr int kStress = 100000;
#endif

class QueueTest : public tp::testing::LeakCheckedTest {};

TEST_F(QueueTest, FullAndEmptyWherePythonRaisesThem) {
  tp::Queue<int> q(3);
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.full());
  EXPECT_THROW(q.get_nowait(), triad::Empty);
  EXPECT_THROW(q.get(false), triad::Empty);
  EXPECT_THROW(q.get(10ms), triad::Empty);
  q.put(1);
  q.put(2, false);
  q.put_nowait(3);
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.qsize(), 3u);
  EXPECT_THROW(q.put_nowait(4), triad::Full);
  EXPECT_THROW(q.put(4, false), triad::Full);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(q.put(4, 50ms), triad::Full);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
  EXPECT_EQ(q.get(), 1);
  EXPECT_EQ(q.get_nowait(), 2);
  EXPECT_EQ(q.get(1s), 3);
  EXPECT_TRUE(q.empty());
}

TEST_F(QueueTest, StringsAndStructsCrossProcessesIntact) {
  tp::Queue<std::string> q;
  tp::Queue<std::map<std::string, std::vector<int>>> q2;
  tp::Process p([&] {
    q.put("héllo, wörld — 你好 ✓");
    q2.put({{"a", {1, 2}}, {"b", {}}});
  });
  p.start();
  EXPECT_EQ(q.get(30s), "héllo, wörld — 你好 ✓");
  auto m = q2.get(30s);
  EXPECT_EQ(m["a"], (std::vector<int>{1, 2}));
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(QueueTest, ManyItemsKeepOrderAcrossProcesses) {
  tp::Queue<std::uint64_t> q(0, 64 * 1024);  // a small ring: wraps around many times
  tp::Process p([&] {
    for (std::uint64_t i = 0; i < kStress; ++i) q.put(i);
  });
  p.start();
  for (std::uint64_t i = 0; i < kStress; ++i) ASSERT_EQ(q.get(), i);
  p.join();
  EXPECT_TRUE(q.empty());
}

TEST_F(QueueTest, TwoProducersTwoConsumersLoseNothing) {
  tp::Queue<int> q(16, 4096);
  tp::Queue<long> sums;
  const int n = kStress / 10;
  auto producer = [&](int base) {
    for (int i = 0; i < n; ++i) q.put(base + i);
    q.put(-1);
  };
  auto consumer = [&] {
    long s = 0;
    for (;;) {
      int v = q.get();
      if (v < 0) break;
      s += v;
    }
    sums.put(s);
  };
  tp::Process p1(producer, 0), p2(producer, n), c1(consumer), c2(consumer);
  for (auto* p : {&p1, &p2, &c1, &c2}) p->start();
  long total = sums.get(60s) + sums.get(60s);
  for (auto* p : {&p1, &p2, &c1, &c2}) p->join();
  const long m = 2L * n;
  EXPECT_EQ(total, m * (m - 1) / 2);
}

TEST_F(QueueTest, SixtyFourMebibyteMessage) {
  tp::Queue<std::string> q;  // 1 MiB ring
  std::string big(64u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
  tp::Process p([&] { q.put(big); });
  p.start();
  const std::string got = q.get(60s);
  p.join();
  EXPECT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big);
}

TEST_F(QueueTest, LargeMessageNowaitNeedsRoom) {
  tp::Queue<std::string> q(0, 4096);
  EXPECT_THROW(q.put_nowait(std::string(100000, 'x')), triad::Full);
  EXPECT_TRUE(q.empty());
  q.put_nowait("small");
  EXPECT_EQ(q.get(), "small");
}

char proc_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

TEST_F(QueueTest, ProducerKilledMidPutExposesNoTornMessage) {
  tp::Queue<std::string> q(0, 64 * 1024);
  tp::Event started;
  tp::Process p([&] {
    started.set();
    q.put(std::string(8u << 20, 'x'));  // blocks once the ring is full, mid-message
  });
  p.start();
  ASSERT_TRUE(started.wait(30s));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (proc_state(*p.pid()) != 'S' && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  ASSERT_EQ(proc_state(*p.pid()), 'S') << "the producer sleeps inside put";
  p.kill();
  p.join();
  EXPECT_THROW(q.get(300ms), triad::Empty) << "the partial message is discarded, never returned";
  q.put("after");
  EXPECT_EQ(q.get(5s), "after");
  const std::string big(200000, 'y');
  std::string got;
  std::thread consumer([&] { got = q.get(30s); });
  q.put(big, 30s);
  consumer.join();
  EXPECT_EQ(got, big) << "multi-chunk messages work again";
}

TEST_F(QueueTest, ProducerKilledMidPutWhileConsumerWaits) {
  tp::Queue<std::string> q(0, 64 * 1024);
  tp::Event started;
  tp::Process p([&] {
    started.set();
    q.put(std::string(8u << 20, 'x'));
  });
  std::thread killer;
  p.start();
  ASSERT_TRUE(started.wait(30s));
  // Consume while the producer writes chunks; kill it mid-message from another thread.
  killer = std::thread([&] {
    // Whenever it sleeps (the ring is full) it is in the middle of the message.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    char st = proc_state(*p.pid());
    while (st == 'R' && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
      st = proc_state(*p.pid());
    }
    p.kill();
  });
  try {
    const auto s = q.get(3s);
    EXPECT_EQ(s.size(), 8u << 20) << "only a whole message may come out";
  } catch (const triad::Empty&) {
    // the partial message was discarded
  }
  killer.join();
  p.join();
  q.put("next");
  EXPECT_EQ(q.get(5s), "next");
}

TEST_F(QueueTest, JoinableQueueTaskDoneAndJoinAcrossProcesses) {
  tp::JoinableQueue<int> q;
  EXPECT_THROW(q.task_done(), triad::ValueError);
  EXPECT_TRUE(q.join(0s));
  tp::Value<int> processed(0);
  tp::Process worker(tp::ProcessOptions().with_daemon(true), [&] {
    for (;;) {
      const int v = q.get();
      processed.set_value(processed.value() + v);
      q.task_done();
    }
  });
  worker.start();
  for (int i = 1; i <= 10; ++i) q.put(i);
  EXPECT_TRUE(q.join(60s));
  EXPECT_EQ(processed.value(), 55) << "join returns only after every item was task_done";
  EXPECT_THROW(q.task_done(), triad::ValueError);
  worker.terminate();
  worker.join();
}

TEST_F(QueueTest, JoinTimesOut) {
  tp::JoinableQueue<int> q;
  q.put(1);
  EXPECT_FALSE(q.join(20ms));
  (void)q.get();
  EXPECT_FALSE(q.join(0s));
  q.task_done();
  EXPECT_TRUE(q.join(0s));
}

TEST_F(QueueTest, SimpleQueueAndClose) {
  tp::SimpleQueue<std::string> sq;
  EXPECT_TRUE(sq.empty());
  sq.put("a");
  EXPECT_FALSE(sq.empty());
  EXPECT_EQ(sq.get(), "a");
  tp::Queue<int> q;
  q.close();
  EXPECT_THROW(q.put(1), triad::ValueError);
  EXPECT_THROW((void)q.get(), triad::ValueError);
  EXPECT_THROW(tp::Queue<int>(1u << 24), triad::ValueError);
}

TEST_F(QueueTest, BlockedGetWakesOnPutFromAnotherProcess) {
  tp::Queue<int> q;
  tp::Event go;
  tp::Process p([&] {
    go.wait();
    q.put(42);
  });
  p.start();
  go.set();
  EXPECT_EQ(q.get(30s), 42);
  p.join();
}

}  // namespace
