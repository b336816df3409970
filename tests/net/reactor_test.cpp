#include "triad/net/reactor.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "net/fd_count.hpp"
#include "triad/net/errors.hpp"

using namespace std::chrono_literals;
using triad::Deadline;
using triad::net::Backend;
using triad::net::Events;
using triad::net::IoWait;
using triad::net::Reactor;

namespace {

struct Pair {
  int fd[2];
  Pair() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0)
      throw std::runtime_error("socketpair");
  }
  ~Pair() {
    if (fd[0] >= 0) ::close(fd[0]);
    if (fd[1] >= 0) ::close(fd[1]);
  }
};

void put(int fd, const char* s = "x") { ASSERT_GT(::write(fd, s, std::char_traits<char>::length(s)), 0); }
void drain(int fd) {
  char buf[4096];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

// Runs the reactor until pred() or a 10 s safety deadline.
template <class P>
bool run_until(Reactor& r, P pred) {
  const auto stop = Deadline::after(10s);
  while (!pred()) {
    if (stop.expired()) return false;
    r.run_once(Deadline::after(100ms));
  }
  return true;
}

class ReactorTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!Reactor::available(GetParam()))
      GTEST_SKIP() << "io_uring is not available here (kernel or sandbox refuses "
                      "io_uring_setup); the epoll backend is tested instead";
    r_ = std::make_unique<Reactor>(GetParam());
  }
  std::unique_ptr<Reactor> r_;
};

TEST_P(ReactorTest, ReportsItsBackend) { EXPECT_EQ(r_->backend(), GetParam()); }

TEST_P(ReactorTest, WatchIsLevelTriggered) {
  Pair p;
  int calls = 0;
  Events seen = Events::none;
  auto w = r_->watch(p.fd[0], Events::readable, [&](Events ev) { ++calls; seen = ev; });
  EXPECT_EQ(r_->run_once(Deadline::after(0s)), 0u);
  EXPECT_EQ(calls, 0);
  put(p.fd[1]);
  ASSERT_TRUE(run_until(*r_, [&] { return calls == 1; }));
  EXPECT_TRUE(has(seen, Events::readable));
  // Not read: still ready, reported again.
  ASSERT_TRUE(run_until(*r_, [&] { return calls >= 2; }));
  drain(p.fd[0]);
  r_->run_once(Deadline::after(0s));
  const int after = calls;
  r_->run_once(Deadline::after(20ms));
  EXPECT_EQ(calls, after);
}

TEST_P(ReactorTest, ModifyAndCancel) {
  Pair p;
  int writable = 0;
  auto w = r_->watch(p.fd[0], Events::none, [&](Events ev) {
    if (has(ev, Events::writable)) ++writable;
  });
  EXPECT_EQ(r_->fd_count(), 1u);
  r_->run_once(Deadline::after(10ms));
  EXPECT_EQ(writable, 0);
  w.modify(Events::writable);
  EXPECT_EQ(w.interest(), Events::writable);
  ASSERT_TRUE(run_until(*r_, [&] { return writable > 0; }));
  w.cancel();
  EXPECT_FALSE(w.active());
  EXPECT_EQ(r_->fd_count(), 0u);
  const int before = writable;
  r_->run_once(Deadline::after(10ms));
  EXPECT_EQ(writable, before);
  EXPECT_THROW(w.modify(Events::readable), triad::RuntimeError);
}

TEST_P(ReactorTest, CallbackMayCancelItsOwnWatch) {
  Pair p;
  int calls = 0;
  triad::net::Watch w;
  w = r_->watch(p.fd[0], Events::readable, [&, big = std::string(100, 'x')](Events) {
    ++calls;
    w.cancel();  // destroys this callback after it returns
    EXPECT_EQ(big.size(), 100u);
  });
  put(p.fd[1]);
  ASSERT_TRUE(run_until(*r_, [&] { return calls == 1; }));
  r_->run_once(Deadline::after(10ms));
  EXPECT_EQ(calls, 1);
  // The fd can be registered again.
  auto w2 = r_->watch(p.fd[0], Events::readable, [&](Events) { ++calls; });
  ASSERT_TRUE(run_until(*r_, [&] { return calls == 2; }));
}

TEST_P(ReactorTest, BadRegistrations) {
  Pair p;
  EXPECT_THROW((void)r_->watch(-1, Events::readable, [](Events) {}), triad::ValueError);
  auto w = r_->watch(p.fd[0], Events::readable, [](Events) {});
  EXPECT_THROW((void)r_->watch(p.fd[0], Events::readable, [](Events) {}), triad::RuntimeError);
  IoWait iw;
  iw.fd = p.fd[0];
  iw.events = Events::readable;
  iw.complete = [](IoWait&) noexcept {};
  EXPECT_THROW(r_->arm(iw), triad::RuntimeError);
  iw.fd = p.fd[1];
  iw.events = Events::none;
  EXPECT_THROW(r_->arm(iw), triad::ValueError);
}

TEST_P(ReactorTest, TimersRunInDeadlineOrderAndFifoOnTies) {
  std::vector<int> order;
  const auto base = triad::Clock::now() + 20ms;
  (void)r_->call_at(Deadline::at(base + 20ms), [&] { order.push_back(3); });
  (void)r_->call_at(Deadline::at(base), [&] { order.push_back(1); });
  (void)r_->call_at(Deadline::at(base + 10ms), [&] { order.push_back(2); });
  (void)r_->call_at(Deadline::at(base + 10ms), [&] { order.push_back(22); });
  EXPECT_EQ(r_->timer_count(), 4u);
  ASSERT_TRUE(run_until(*r_, [&] { return order.size() == 4; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 22, 3}));
  EXPECT_GE(triad::Clock::now(), base + 20ms);
  EXPECT_EQ(r_->timer_count(), 0u);
}

TEST_P(ReactorTest, RunOnceSleepsUntilTheNextTimer) {
  bool fired = false;
  const auto t0 = triad::Clock::now();
  (void)r_->call_later(30ms, [&] { fired = true; });
  while (!fired) r_->run_once();  // Deadline::never(): the timer bounds the wait
  EXPECT_GE(triad::Clock::now() - t0, 30ms);
}

TEST_P(ReactorTest, CancelledTimersNeverRun) {
  int ran = 0;
  auto a = r_->call_later(0s, [&] { ran += 1; });
  auto b = r_->call_later(0s, [&] { ran += 10; });
  auto never = r_->call_at(Deadline::never(), [&] { ran += 100; });
  EXPECT_TRUE(a.pending());
  EXPECT_TRUE(a.cancel());
  EXPECT_FALSE(a.cancel());
  EXPECT_FALSE(a.pending());
  ASSERT_TRUE(run_until(*r_, [&] { return ran != 0; }));
  EXPECT_EQ(ran, 10);
  EXPECT_FALSE(b.pending());
  EXPECT_FALSE(b.cancel());  // already ran
  EXPECT_TRUE(never.pending());
  EXPECT_TRUE(never.cancel());
  EXPECT_EQ(r_->timer_count(), 0u);
}

TEST_P(ReactorTest, TimerCallbacksMayScheduleAndCancelTimers) {
  int chain = 0;
  triad::net::TimerHandle victim = r_->call_later(50ms, [&] { chain = -1000; });
  (void)r_->call_later(0s, [&] {
    ++chain;
    EXPECT_TRUE(victim.cancel());
    (void)r_->call_later(0s, [&] { ++chain; });
  });
  ASSERT_TRUE(run_until(*r_, [&] { return chain == 2; }));
  r_->run_once(Deadline::after(80ms));
  EXPECT_EQ(chain, 2);
}

TEST_P(ReactorTest, ManyTimersRandomCancel) {
  std::vector<triad::net::TimerHandle> hs;
  std::vector<int> fired;
  const auto base = triad::Clock::now();
  for (int i = 0; i < 2000; ++i) {
    const auto when = base + std::chrono::microseconds((i * 7919) % 5000);
    hs.push_back(r_->call_at(Deadline::at(when), [&fired, i] { fired.push_back(i); }));
  }
  int cancelled = 0;
  for (int i = 0; i < 2000; i += 3) cancelled += hs[static_cast<std::size_t>(i)].cancel();
  ASSERT_TRUE(run_until(*r_, [&] { return r_->timer_count() == 0; }));
  EXPECT_EQ(fired.size() + static_cast<std::size_t>(cancelled), 2000u);
  for (int i : fired) EXPECT_NE(i % 3, 0);
  for (std::size_t k = 1; k < fired.size(); ++k) {
    const int a = fired[k - 1], b = fired[k];
    EXPECT_LE((a * 7919) % 5000, (b * 7919) % 5000);
  }
}

TEST_P(ReactorTest, ExceptionFromATimerLeavesTheRestForLater) {
  int ran = 0;
  (void)r_->call_later(0s, [] { throw std::runtime_error("boom"); });
  (void)r_->call_later(0s, [&] { ++ran; });
  bool threw = false;
  const auto stop = Deadline::after(10s);
  while (ran == 0 && !stop.expired()) {
    try {
      r_->run_once(Deadline::after(50ms));
    } catch (const std::runtime_error&) {
      threw = true;
    }
  }
  EXPECT_TRUE(threw);
  EXPECT_EQ(ran, 1);
}

TEST_P(ReactorTest, WakeFromAnotherThreadEndsAnInfiniteWait) {
  std::thread t([&] { r_->wake(); });
  r_->run_once();  // returns: the wake either lands during the wait or before it
  t.join();
}

TEST_P(ReactorTest, PostFromManyThreadsKeepsPerThreadOrder) {
  constexpr int kThreads = 4;
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr int kPer = 500;
#else
  constexpr int kPer = 5000;
#endif
  std::vector<int> last(kThreads, -1);
  int total = 0;
  bool ordered = true;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i)
        r_->post([&, t, i] {
          if (last[static_cast<std::size_t>(t)] != i - 1) ordered = false;
          last[static_cast<std::size_t>(t)] = i;
          ++total;
        });
    });
  }
  while (total < kThreads * kPer) r_->run_once();  // every post wakes us
  for (auto& t : ts) t.join();
  EXPECT_TRUE(ordered);
}

TEST_P(ReactorTest, IoWaitCompletesOnceOnReadiness) {
  Pair p;
  struct Rec {
    int completions = 0;
    Events result = Events::none;
  } rec;
  IoWait w;
  w.fd = p.fd[0];
  w.events = Events::readable;
  w.user = &rec;
  w.complete = [](IoWait& iw) noexcept {
    auto* r = static_cast<Rec*>(iw.user);
    ++r->completions;
    r->result = iw.result;
  };
  ASSERT_TRUE(r_->arm(w));
  r_->run_once(Deadline::after(10ms));
  EXPECT_EQ(rec.completions, 0);
  put(p.fd[1]);
  ASSERT_TRUE(run_until(*r_, [&] { return rec.completions == 1; }));
  EXPECT_TRUE(has(rec.result, Events::readable));
  EXPECT_FALSE(r_->disarm(w));  // already completed
  r_->run_once(Deadline::after(10ms));
  EXPECT_EQ(rec.completions, 1);  // one-shot
  drain(p.fd[0]);
  // Re-arm, then disarm before anything happens.
  ASSERT_TRUE(r_->arm(w));
  EXPECT_TRUE(r_->disarm(w));
  put(p.fd[1]);
  r_->run_once(Deadline::after(20ms));
  EXPECT_EQ(rec.completions, 1);
}

TEST_P(ReactorTest, IoWaitSeesReadinessThatArrivedWhileNobodyWaited) {
  Pair p;
  int completions = 0;
  IoWait w;
  w.fd = p.fd[0];
  w.events = Events::readable;
  w.user = &completions;
  w.complete = [](IoWait& iw) noexcept { ++*static_cast<int*>(iw.user); };
  // The first arm registers the fd; the data arrives and is reported while armed.
  ASSERT_TRUE(r_->arm(w));
  ASSERT_TRUE(r_->disarm(w));
  put(p.fd[1]);
  // Let the reactor observe the edge with nobody waiting.
  for (int i = 0; i < 5; ++i) r_->run_once(Deadline::after(5ms));
  // Now a waiter either gets it at once (arm() == false) or soon after.
  if (r_->arm(w)) {
    ASSERT_TRUE(run_until(*r_, [&] { return completions == 1; }));
  } else {
    EXPECT_TRUE(has(w.result, Events::readable));
  }
}

TEST_P(ReactorTest, ReaderAndWriterWaitOnOneFd) {
  Pair p;
  int done = 0;
  IoWait rd, wr;
  for (IoWait* w : {&rd, &wr}) {
    w->fd = p.fd[0];
    w->user = &done;
    w->complete = [](IoWait& iw) noexcept { ++*static_cast<int*>(iw.user); };
  }
  rd.events = Events::readable;
  wr.events = Events::writable;
  const bool wr_armed = r_->arm(wr);
  ASSERT_TRUE(r_->arm(rd));
  if (wr_armed) {
    ASSERT_TRUE(run_until(*r_, [&] { return done == 1; }));
  }
  EXPECT_TRUE(has(wr.result, Events::writable));
  EXPECT_TRUE(rd.armed_);
  put(p.fd[1]);
  ASSERT_TRUE(run_until(*r_, [&] { return !rd.armed_; }));
  EXPECT_TRUE(has(rd.result, Events::readable));
}

TEST_P(ReactorTest, CloseFdCompletesWaitsWithClosed) {
  Pair p;
  Events result = Events::none;
  IoWait w;
  w.fd = p.fd[0];
  w.events = Events::readable;
  w.user = &result;
  w.complete = [](IoWait& iw) noexcept { *static_cast<Events*>(iw.user) = iw.result; };
  ASSERT_TRUE(r_->arm(w));
  EXPECT_EQ(r_->fd_count(), 1u);
  r_->close_fd(p.fd[0]);  // completes synchronously
  EXPECT_EQ(result, Events::closed);
  EXPECT_EQ(r_->fd_count(), 0u);
  ::close(p.fd[0]);
  p.fd[0] = -1;
  r_->run_once(Deadline::after(10ms));
  r_->close_fd(12345);  // unknown: no effect
}

TEST_P(ReactorTest, HangupIsReportedAsError) {
  Pair p;
  Events result = Events::none;
  IoWait w;
  w.fd = p.fd[0];
  w.events = Events::writable | Events::readable;
  w.user = &result;
  w.complete = [](IoWait& iw) noexcept { *static_cast<Events*>(iw.user) = iw.result; };
  ::close(p.fd[1]);
  p.fd[1] = -1;
  if (r_->arm(w)) {
    ASSERT_TRUE(run_until(*r_, [&] { return result != Events::none; }));
  } else {
    result = w.result;
  }
  EXPECT_TRUE(has(result, Events::readable | Events::error));
}

TEST_P(ReactorTest, NoFdLeaks) {
  const std::size_t before = triad_test::open_fd_count();
  for (int i = 0; i < 20; ++i) {
    Reactor r(GetParam());
    Pair p;
    auto w = r.watch(p.fd[0], Events::readable, [](Events) {});
    (void)r.call_later(1h, [] {});
    r.post([] {});
    r.run_once(Deadline::after(0s));
  }
  EXPECT_EQ(triad_test::open_fd_count(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReactorTest, ::testing::Values(Backend::epoll, Backend::io_uring),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST(ReactorEpoll, RegularFilesCannotBeWatched) {
  Reactor r(Backend::epoll);
  char path[] = "/tmp/triad_reactor_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  try {
    (void)r.watch(fd, Events::readable, [](Events) {});
    ADD_FAILURE() << "expected PermissionError";
  } catch (const triad::net::PermissionError& e) {
    EXPECT_EQ(e.errnum(), EPERM);
  }
  ::close(fd);
}

TEST(ReactorEnv, BadBackendNameIsAValueError) {
  const char* old = std::getenv("TRIAD_REACTOR");
  std::string saved = old ? old : "";
  ::setenv("TRIAD_REACTOR", "kqueue", 1);
  try {
    Reactor r;
    ADD_FAILURE() << "expected ValueError";
  } catch (const triad::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("TRIAD_REACTOR must be"), std::string::npos);
  }
  ::setenv("TRIAD_REACTOR", "epoll", 1);
  EXPECT_EQ(Reactor().backend(), Backend::epoll);
  if (old) ::setenv("TRIAD_REACTOR", saved.c_str(), 1); else ::unsetenv("TRIAD_REACTOR");
}

}  // namespace
