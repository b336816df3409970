// Behaviour of triad::Thread and the module functions, ported from the Thread parts of
// CPython's Lib/test/test_threading.py (names, start twice, join errors, ident, daemon
// inheritance, enumerate/active_count, excepthook, exit semantics, fork).
#include "triad/threading/thread.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "thread_exit_child.hpp"
#include "triad/core/parking.hpp"
#include "thread_test_support.hpp"
#include "triad/threading/excepthook.hpp"
#include "triad/threading/timer.hpp"

#if defined(__SANITIZE_THREAD__)
#define TRIAD_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TRIAD_TEST_TSAN 1
#endif
#endif

namespace triad {
namespace {

using namespace std::chrono_literals;


bool contains(const std::vector<ThreadHandle>& hs, const ThreadHandle& h) {
  for (const auto& x : hs) {
    if (x == h) return true;
  }
  return false;
}

int name_number(const std::string& name, const std::string& prefix) {
  EXPECT_EQ(name.rfind(prefix, 0), 0u) << name;
  return std::stoi(name.substr(prefix.size()));
}

TEST(Thread, RunsCallableWithArguments) {
  std::atomic<int> got{0};
  Thread t([&](int a, int b) { got = a + b; }, 40, 2);
  t.start();
  EXPECT_TRUE(t.join());
  EXPECT_EQ(got.load(), 42);
}

TEST(Thread, MoveOnlyCallableAndArguments) {
  auto box = std::make_unique<int>(7);
  std::atomic<int> got{0};
  Thread t([&got, p = std::make_unique<int>(35)](std::unique_ptr<int> q) { got = *p + *q; },
           std::move(box));
  t.start();
  t.join();
  EXPECT_EQ(got.load(), 42);
}

std::atomic<int> g_free_function_sum{0};
void add_to_sum(int n) {
  g_free_function_sum += n;
}

struct Accumulator {
  std::atomic<int> total{0};
  void add(int n) { total += n; }
};

TEST(Thread, FunctionsAndMemberFunctionsAsTargets) {
  g_free_function_sum = 0;
  Thread f(add_to_sum, 5);
  Thread p(&add_to_sum, 6);
  Accumulator acc;
  Thread m(&Accumulator::add, &acc, 7);
  f.start();
  p.start();
  m.start();
  f.join();
  p.join();
  m.join();
  EXPECT_EQ(g_free_function_sum.load(), 11);
  EXPECT_EQ(acc.total.load(), 7);
}

TEST(Thread, TargetAndArgumentsAreDestroyedAfterRun) {
  // Python's run() deletes target and args; triad destroys them on the thread after the call.
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  Thread t([](std::shared_ptr<int>) {}, std::move(token));
  t.start();
  t.join();
  EXPECT_TRUE(watch.expired());
}

TEST(Thread, DefaultNamesCountUp) {
  Thread a([] {});
  Thread b([] {});
  const int na = name_number(a.name(), "Thread-");
  const int nb = name_number(b.name(), "Thread-");
  EXPECT_GE(na, 1);
  EXPECT_GT(nb, na);
}

TEST(Thread, NamesFromOptionsAndSetName) {
  Thread t(ThreadOptions{.name = "worker"}, [] {});
  EXPECT_EQ(t.name(), "worker");
  t.set_name("renamed");
  EXPECT_EQ(t.name(), "renamed");
  std::string inside;
  Thread u(ThreadOptions{.name = "inner"}, [&] { inside = current_thread().name(); });
  u.start();
  u.join();
  EXPECT_EQ(inside, "inner");
}

TEST(Thread, StartTwiceRaises) {
  Thread t([] {});
  t.start();
  EXPECT_EQ(expect_runtime_error([&] { t.start(); }), "threads can only be started once");
  t.join();
  EXPECT_EQ(expect_runtime_error([&] { t.start(); }), "threads can only be started once");
}

TEST(Thread, JoinBeforeStartRaises) {
  Thread t([] {});
  EXPECT_EQ(expect_runtime_error([&] { t.join(); }), "cannot join thread before it is started");
  EXPECT_EQ(expect_runtime_error([&] { t.handle().join(0s); }),
            "cannot join thread before it is started");
}

TEST(Thread, JoinCurrentThreadRaises) {
  std::string msg;
  Thread t([&] { msg = expect_runtime_error([] { current_thread().join(); }); });
  t.start();
  t.join();
  EXPECT_EQ(msg, "cannot join current thread");
  EXPECT_EQ(expect_runtime_error([] { main_thread().join(); }), "cannot join current thread");
}

TEST(Thread, IdentIsEmptyBeforeStartAndMatchesInside) {
  Thread t([] {});
  EXPECT_FALSE(t.ident().has_value());
  EXPECT_FALSE(t.native_id().has_value());
  std::atomic<std::uint64_t> ident{0}, native{0};
  Thread u([&] {
    ident = get_ident();
    native = get_native_id();
  });
  u.start();
  u.join();
  ASSERT_TRUE(u.ident().has_value());
  EXPECT_EQ(*u.ident(), ident.load());
  EXPECT_NE(*u.ident(), 0u);
  EXPECT_EQ(*u.native_id(), native.load());
  EXPECT_NE(native.load(), get_native_id());
  EXPECT_EQ(*main_thread().native_id(), static_cast<std::uint64_t>(getpid()));
  EXPECT_EQ(*main_thread().ident(), get_ident());
}

TEST(Thread, IsAliveLifecycleAndTimedJoin) {
  Gate gate;
  Thread t([&] { gate.wait(); });
  EXPECT_FALSE(t.is_alive());
  t.start();
  EXPECT_TRUE(t.is_alive());
  EXPECT_FALSE(t.join(0s));
  const auto begin = Clock::now();
  EXPECT_FALSE(t.join(50ms));
  EXPECT_GE(Clock::now() - begin, 50ms);
  EXPECT_TRUE(t.is_alive());
  gate.release();
  EXPECT_TRUE(t.join());
  EXPECT_FALSE(t.is_alive());
  EXPECT_TRUE(t.join(0s));  // joining an ended thread again is fine
}

TEST(Thread, ManyJoinersAreAllWoken) {
  Gate gate;
  Thread t([&] { gate.wait(); });
  t.start();
  std::atomic<int> joined{0};
  std::vector<std::unique_ptr<Thread>> joiners;
  for (int i = 0; i < 4; ++i) {
    joiners.push_back(std::make_unique<Thread>([&, h = t.handle()] {
      if (h.join()) ++joined;
    }));
    joiners.back()->start();
  }
  gate.release();
  for (auto& j : joiners) j->join();
  EXPECT_EQ(joined.load(), 4);
}

TEST(Thread, DaemonDefaultsAndInheritance) {
  EXPECT_FALSE(main_thread().daemon());
  Thread plain([] {});
  EXPECT_FALSE(plain.daemon());
  std::atomic<int> inherited{-1}, overridden{-1};
  Thread d(ThreadOptions{.daemon = true}, [&] {
    Thread child([] {});
    inherited = child.daemon() ? 1 : 0;
    Thread explicit_child(ThreadOptions{.daemon = false}, [] {});
    overridden = explicit_child.daemon() ? 1 : 0;
  });
  EXPECT_TRUE(d.daemon());
  d.start();
  d.join();
  EXPECT_EQ(inherited.load(), 1);
  EXPECT_EQ(overridden.load(), 0);
}

TEST(Thread, SetDaemonAfterStartRaises) {
  Gate gate;
  Thread t([&] { gate.wait(); });
  t.set_daemon(true);
  EXPECT_TRUE(t.daemon());
  t.set_daemon(false);
  t.start();
  EXPECT_EQ(expect_runtime_error([&] { t.set_daemon(true); }),
            "cannot set daemon status of active thread");
  gate.release();
  t.join();
  EXPECT_EQ(expect_runtime_error([] { main_thread().set_daemon(true); }),
            "cannot set daemon status of active thread");
}

TEST(Thread, EnumerateAndActiveCountIncludeMainThread) {
  const auto all = enumerate();
  EXPECT_TRUE(contains(all, main_thread()));
  EXPECT_TRUE(contains(all, current_thread()));
  EXPECT_EQ(main_thread().name(), "MainThread");
  EXPECT_EQ(current_thread(), main_thread());
  EXPECT_GE(active_count(), 1u);

  const std::size_t before = active_count();
  Gate gate;
  Thread t([&] { gate.wait(); });
  t.start();
  EXPECT_EQ(active_count(), before + 1);
  EXPECT_TRUE(contains(enumerate(), t.handle()));
  gate.release();
  t.join();
  EXPECT_EQ(active_count(), before);
  EXPECT_FALSE(contains(enumerate(), t.handle()));
}

TEST(Thread, CurrentThreadInsideIsTheThread) {
  ThreadHandle seen = main_thread();
  bool main_differs = false;
  Thread t([&] {
    seen = current_thread();
    main_differs = !(main_thread() == current_thread());
  });
  t.start();
  t.join();
  EXPECT_EQ(seen, t.handle());
  EXPECT_TRUE(main_differs);
}

TEST(Thread, ForeignThreadGetsDummyEntry) {
  const std::size_t before = active_count();
  std::string name;
  bool daemon = false, listed = false;
  std::string join_error;
  ThreadHandle dummy = main_thread();
  std::thread foreign([&] {
    dummy = current_thread();
    name = dummy.name();
    daemon = dummy.daemon();
    listed = contains(enumerate(), dummy);
    EXPECT_EQ(current_thread(), dummy);  // the same entry every time
    EXPECT_EQ(*dummy.ident(), get_ident());
  });
  foreign.join();
  EXPECT_GE(name_number(name, "Dummy-"), 1);
  EXPECT_TRUE(daemon);
  EXPECT_TRUE(listed);
  // The entry goes away with the thread (its thread_local destructors ran before join).
  EXPECT_FALSE(dummy.is_alive());
  EXPECT_EQ(active_count(), before);
  EXPECT_EQ(expect_runtime_error([&] { dummy.join(); }), "cannot join a dummy thread");
}

TEST(Thread, ThreadStartedFromForeignThreadIsDaemonLikePython) {
  bool daemon = false;
  std::thread foreign([&] {
    Thread t([] {});
    daemon = t.daemon();
  });
  foreign.join();
  EXPECT_TRUE(daemon);
}

class Counter : public Thread {
 public:
  explicit Counter(std::atomic<int>& out) : Thread(ThreadOptions{.name = "counter"}), out_(out) {}
  ~Counter() override { join(); }

 protected:
  void run() override {
    for (int i = 0; i < 10; ++i) ++out_;
  }

 private:
  std::atomic<int>& out_;
};

TEST(Thread, SubclassRunOverride) {
  std::atomic<int> n{0};
  {
    Counter c(n);
    EXPECT_EQ(c.name(), "counter");
    c.start();
  }  // ~Counter joins
  EXPECT_EQ(n.load(), 10);
}

class Owned : public Thread {
 public:
  Owned(Gate& gate, std::atomic<bool>& destroyed) : gate_(gate), destroyed_(destroyed) {}
  ~Owned() override { destroyed_ = true; }

 protected:
  void run() override {
    gate_.wait();
    ran_ = true;  // touches a member: the object must still be alive
  }

 private:
  Gate& gate_;
  std::atomic<bool>& destroyed_;
  bool ran_ = false;
};

TEST(Thread, SharedOwnedSubclassIsKeptAliveWhileRunning) {
  Gate gate;
  std::atomic<bool> destroyed{false};
  auto t = std::make_shared<Owned>(gate, destroyed);
  t->start();
  ThreadHandle h = t->handle();
  t.reset();  // the running thread still holds it, as in Python
  EXPECT_FALSE(destroyed.load());
  gate.release();
  h.join();
  // The running thread dropped its reference right after ending; wait for that on the
  // destroyed flag itself.
  while (!destroyed.load()) std::this_thread::yield();
  EXPECT_TRUE(destroyed.load());
}

TEST(Thread, DestroyingStartedCallableThreadDetaches) {
  Gate gate;
  std::atomic<bool> done{false};
  ThreadHandle h = main_thread();
  {
    Thread t([&] {
      gate.wait();
      done = true;
    });
    t.start();
    h = t.handle();
  }  // no std::terminate: the thread runs on
  EXPECT_TRUE(h.is_alive());
  gate.release();
  EXPECT_TRUE(h.join());
  EXPECT_TRUE(done.load());
}

TEST(Thread, HandlesInAVectorLikePythonLists) {
  std::atomic<int> sum{0};
  std::vector<ThreadHandle> hs;
  for (int i = 1; i <= 5; ++i) {
    Thread t([&sum](int k) { sum += k; }, i);
    t.start();
    hs.push_back(t.handle());
  }
  for (auto& h : hs) h.join();
  EXPECT_EQ(sum.load(), 15);
}

// A parking context like the one a green-thread hub installs: join() must block through it
// (so a hub is never blocked), not on a raw futex.
class CountingContext final : public ParkingContext {
 public:
  std::atomic<int> parks{0};
  ParkResult park(WaitNode& node, Deadline deadline) override {
    ++parks;
    return thread_parking_context().park(node, deadline);
  }
  void unpark(WaitNode& node) noexcept override { thread_parking_context().unpark(node); }
};

TEST(Thread, JoinBlocksThroughTheInstalledParkingContext) {
  Gate gate, timed_out;
  Thread target([&] { gate.wait(); });
  target.start();
  CountingContext ctx;
  bool first = true, second = false;
  int parks_after_timeout = 0;
  Thread joiner([&] {
    ParkingContext* prev = exchange_parking_context(&ctx);
    first = target.join(20ms);  // times out through park_and_resolve
    parks_after_timeout = ctx.parks.load();
    timed_out.release();
    second = target.join();
    exchange_parking_context(prev == &thread_parking_context() ? nullptr : prev);
  });
  joiner.start();
  timed_out.wait();
  gate.release();
  joiner.join();
  EXPECT_FALSE(first);
  EXPECT_TRUE(second);
  EXPECT_GE(parks_after_timeout, 1);
  EXPECT_GE(ctx.parks.load(), parks_after_timeout);
}

// ---- excepthook ----

struct HookGuard {
  ~HookGuard() { set_excepthook({}); }
};

TEST(ThreadExcepthook, DefaultPrintsNameTypeAndWhat) {
  testing::internal::CaptureStderr();
  Thread t(ThreadOptions{.name = "boom-thread"}, [] { throw ValueError("bad value"); });
  t.start();
  t.join();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Exception in thread boom-thread:\ntriad::ValueError: bad value\n"),
            std::string::npos)
      << err;
}

TEST(ThreadExcepthook, NonStdExceptionPrintsType) {
  testing::internal::CaptureStderr();
  Thread t(ThreadOptions{.name = "int-thrower"}, [] { throw 42; });
  t.start();
  t.join();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Exception in thread int-thrower:\nint\n"), std::string::npos) << err;
}

TEST(ThreadExcepthook, CustomHookGetsArguments) {
  HookGuard guard;
  std::string type, what, name;
  std::uint64_t ident = 0;
  bool has_thread = false;
  set_excepthook([&](const ExceptHookArgs& a) {
    type = a.exc_type;
    name = a.thread_name;
    ident = a.thread_ident.value_or(0);
    has_thread = a.thread.has_value();
    try {
      std::rethrow_exception(a.exc_value);
    } catch (const std::exception& e) {
      what = e.what();
    }
  });
  Thread t(ThreadOptions{.name = "hooked"}, [] { throw std::out_of_range("index 9"); });
  t.start();
  t.join();
  EXPECT_EQ(type, "std::out_of_range");
  EXPECT_EQ(what, "index 9");
  EXPECT_EQ(name, "hooked");
  EXPECT_EQ(ident, *t.ident());
  EXPECT_TRUE(has_thread);
}

TEST(ThreadExcepthook, GetReturnsInstalledHookAndEmptyRestoresDefault) {
  HookGuard guard;
  int calls = 0;
  set_excepthook([&](const ExceptHookArgs&) { ++calls; });
  ExceptHookArgs args;
  args.exc_value = std::make_exception_ptr(ValueError("x"));
  excepthook()(args);
  EXPECT_EQ(calls, 1);
  set_excepthook({});
  testing::internal::CaptureStderr();
  args.thread_name = "direct";
  excepthook()(args);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "Exception in thread direct:\ntriad::ValueError: x\n");
  EXPECT_EQ(calls, 1);
}

TEST(ThreadExcepthook, ThrowingHookIsReportedNeverTerminates) {
  HookGuard guard;
  set_excepthook([](const ExceptHookArgs&) { throw std::runtime_error("hook failed"); });
  testing::internal::CaptureStderr();
  Thread t(ThreadOptions{.name = "victim"}, [] { throw ValueError("original"); });
  t.start();
  t.join();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Exception in threading.excepthook:\nstd::runtime_error: hook failed\n"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("Exception in thread victim:\ntriad::ValueError: original\n"),
            std::string::npos)
      << err;
}

TEST(ThreadExcepthook, ThreadEndsNormallyAfterReport) {
  HookGuard guard;
  set_excepthook([](const ExceptHookArgs&) {});
  Thread t([] { throw 1; });
  t.start();
  EXPECT_TRUE(t.join());
  EXPECT_FALSE(t.is_alive());
}

// ---- stress (TSan coverage of start/join/enumerate/names racing) ----

TEST(ThreadStress, ConcurrentStartJoinEnumerate) {
#if defined(TRIAD_TEST_TSAN) || defined(__SANITIZE_ADDRESS__)
  constexpr int kRounds = 40;
#else
  constexpr int kRounds = 200;
#endif
  std::atomic<bool> stop{false};
  Thread watcher([&] {
    while (!stop.load()) {
      for (const auto& h : enumerate()) {
        (void)h.name();
        (void)h.is_alive();
      }
      (void)active_count();
    }
  });
  watcher.start();
  std::atomic<int> ran{0};
  for (int i = 0; i < kRounds; ++i) {
    Thread a([&] { ++ran; });
    Thread b([&] { ++ran; });
    a.start();
    b.start();
    b.set_name("b");
    a.join();
    b.join();
  }
  stop = true;
  watcher.join();
  EXPECT_EQ(ran.load(), 2 * kRounds);
}

// ---- exit semantics (child processes) ----

std::atomic<bool> g_child_mode{false};

struct ExitProbe {
  const char* line;
  ~ExitProbe() {
    if (g_child_mode.load()) test::say(line);
  }
};
ExitProbe g_static_probe{"static: destroyed"};

// A static destructor that tries to start a thread after exit's shutdown.
struct LateStarter {
  ~LateStarter() {
    try {
      Thread t([] {});
      t.start();
      test::say("late start: started");
      t.join();
    } catch (const RuntimeError& e) {
      test::say((std::string("late start: ") + e.what()).c_str());
    }
  }
};

// Runs in the child (see ThreadExit tests). Leaked latches: threads may outlive main.
void exit_child_scenario(const std::string& mode) {
  g_child_mode = true;
  auto* started = new std::latch(2);
  auto* never = new std::latch(1);
  test::say("main: start");
  if (mode == "exit_in_thread") {
    auto* exiter_ready = new std::latch(1);
    Thread exiter(ThreadOptions{.name = "exiter"}, [=] {
      exiter_ready->wait();
      std::exit(0);
    });
    Thread worker(ThreadOptions{.name = "worker"}, [=, h = exiter.handle()] {
      test::say("worker: started");
      exiter_ready->count_down();
      h.join();  // returns when the exiter's thread_local destructors ran, inside exit()
      test::say("worker: last");
    });
    exiter.start();
    worker.start();
    never->wait();  // main never returns; exit comes from the exiter
  }
  Thread daemon(ThreadOptions{.name = "daemon", .daemon = true}, [=] {
    test::say("daemon: started");
    started->count_down();
    never->wait();
    test::say("daemon: late");
  });
  Thread worker(ThreadOptions{.name = "worker"}, [=] {
    test::say("worker: started");
    started->count_down();
    main_thread().join();  // returns only once the exit logic has begun
    test::say("worker: last");
  });
  daemon.start();
  worker.start();
  started->wait();
  static ExitProbe late_probe{"late static: destroyed"};  // registered after the first start
  if (mode == "return") static LateStarter late_starter;
  if (mode == "timer") {
    static Timer fire(20ms, [] { test::say("timer: fired"); });
    static Timer daemon_timer(ThreadOptions{.daemon = true}, std::chrono::hours(1),
                              [] { test::say("daemon timer: fired"); });
    fire.start();
    daemon_timer.start();
  }
  test::say("main: end");
  if (mode == "exit") std::exit(0);
  if (mode == "quick_exit") std::quick_exit(0);
  // mode "return"/"timer": the test returns, gtest's main() returns.
}

TEST(ThreadExitChild, Run) {
  const char* mode = std::getenv("TRIAD_THREAD_EXIT_CHILD");
  if (mode == nullptr) GTEST_SKIP() << "helper: runs only inside the ThreadExit child process";
  exit_child_scenario(mode);
}

std::size_t pos(const std::string& out, const char* what) {
  return out.find(what);
}

void expect_python_exit(const test::ChildResult& r) {
  ASSERT_FALSE(r.timed_out) << r.output;
  ASSERT_TRUE(WIFEXITED(r.status)) << r.output;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.output;
  const std::string& out = r.output;
  EXPECT_NE(pos(out, "daemon: started"), std::string::npos) << out;
  EXPECT_EQ(pos(out, "daemon: late"), std::string::npos) << out;
  ASSERT_NE(pos(out, "worker: last"), std::string::npos) << out;
  EXPECT_LT(pos(out, "main: end"), pos(out, "worker: last")) << out;
  // Joined before static destructors, even those registered after the first start().
  ASSERT_NE(pos(out, "late static: destroyed"), std::string::npos) << out;
  EXPECT_LT(pos(out, "worker: last"), pos(out, "late static: destroyed")) << out;
  EXPECT_LT(pos(out, "worker: last"), pos(out, "static: destroyed\n")) << out;
}

TEST(ThreadExit, ReturnFromMainJoinsNonDaemonAbandonsDaemon) {
  const auto r = test::run_child("ThreadExitChild.Run", "return");
  expect_python_exit(r);
  // Python 3.12: no new threads once shutdown has joined everything.
  EXPECT_NE(pos(r.output, "late start: can't create new thread at interpreter shutdown"),
            std::string::npos)
      << r.output;
}

TEST(ThreadExit, StdExitJoinsNonDaemonAbandonsDaemon) {
  expect_python_exit(test::run_child("ThreadExitChild.Run", "exit"));
}

TEST(ThreadExit, QuickExitJoinsNothing) {
  const auto r = test::run_child("ThreadExitChild.Run", "quick_exit");
  ASSERT_FALSE(r.timed_out) << r.output;
  ASSERT_TRUE(WIFEXITED(r.status)) << r.output;
  EXPECT_EQ(WEXITSTATUS(r.status), 0);
  EXPECT_NE(pos(r.output, "worker: started"), std::string::npos) << r.output;
  EXPECT_EQ(pos(r.output, "worker: last"), std::string::npos) << r.output;
  EXPECT_EQ(pos(r.output, "daemon: late"), std::string::npos) << r.output;
}

TEST(ThreadExit, ExitFromAnotherThreadJoinsOtherNonDaemonThreads) {
  const auto r = test::run_child("ThreadExitChild.Run", "exit_in_thread");
  ASSERT_FALSE(r.timed_out) << r.output;
  ASSERT_TRUE(WIFEXITED(r.status)) << r.output;
  EXPECT_EQ(WEXITSTATUS(r.status), 0);
  ASSERT_NE(pos(r.output, "worker: last"), std::string::npos) << r.output;
  EXPECT_LT(pos(r.output, "worker: last"), pos(r.output, "static: destroyed")) << r.output;
}

TEST(ThreadExit, PendingNonDaemonTimerFiresBeforeExitDaemonTimerNever) {
  const auto r = test::run_child("ThreadExitChild.Run", "timer");
  ASSERT_FALSE(r.timed_out) << r.output;
  ASSERT_TRUE(WIFEXITED(r.status)) << r.output;
  EXPECT_EQ(WEXITSTATUS(r.status), 0);
  ASSERT_NE(pos(r.output, "timer: fired"), std::string::npos) << r.output;
  EXPECT_LT(pos(r.output, "timer: fired"), pos(r.output, "late static: destroyed")) << r.output;
  EXPECT_EQ(pos(r.output, "daemon timer: fired"), std::string::npos) << r.output;
}

// ---- fork ----

#if !defined(TRIAD_TEST_TSAN)  // TSan cannot start threads in a child of a threaded fork

int forked_child_checks(const ThreadHandle& blocked, Timer& pending) {
  int failures = 0;
  auto check = [&](bool ok) { failures += ok ? 0 : 1; };
  const auto all = enumerate();
  check(all.size() == 1);
  check(active_count() == 1);
  check(current_thread() == main_thread());
  check(contains(all, current_thread()));
  check(*current_thread().native_id() == static_cast<std::uint64_t>(getpid()));
  check(!blocked.is_alive());
  check(blocked.join(0s));
  check(!pending.is_alive());
  // The child can use threads and timers at once.
  std::atomic<int> ran{0};
  Thread t([&] { ++ran; });
  t.start();
  check(t.join(30s));
  Timer timer(0s, [&] { ++ran; });
  timer.start();
  check(timer.join(30s));
  check(ran.load() == 2);
  return failures;
}

TEST(ThreadFork, ChildKeepsOnlyTheForkingThreadAsMain) {
  // Fork only once the other threads are idle in triad's own waits: a thread still starting
  // may hold runtime-internal locks (GCC 12's ASan thread registry is not fork-safe), which
  // would deadlock the child's first pthread_create.
  Gate gate;
  std::latch running(1);
  Thread blocked([&] {
    running.count_down();
    gate.wait();
  });
  blocked.start();
  running.wait();
  Timer warm_up(0s, [] {});  // starts the shared timer thread and waits until it is idle
  warm_up.start();
  ASSERT_TRUE(warm_up.join(30s));
  Timer pending(kLongDaemon, std::chrono::hours(1), [] {});
  pending.start();
  const pid_t pid = fork();
  if (pid == 0) _exit(forked_child_checks(blocked.handle(), pending));
  ASSERT_GT(pid, 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "failed checks in the child";
  EXPECT_TRUE(blocked.is_alive());  // the parent is unaffected
  EXPECT_TRUE(pending.is_alive());
  pending.cancel();
  gate.release();
  blocked.join();
  EXPECT_TRUE(pending.join(30s));
}

TEST(ThreadFork, ForkingThreadBecomesMainInChild) {
  std::atomic<int> child_status{-1};
  Thread forker(ThreadOptions{.name = "forker"}, [&] {
    const pid_t pid = fork();
    if (pid == 0) {
      const bool ok = current_thread() == main_thread() && main_thread().name() == "forker" &&
                      enumerate().size() == 1;
      _exit(ok ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    child_status = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
  });
  forker.start();
  forker.join();
  EXPECT_EQ(child_status.load(), 0);
  EXPECT_EQ(main_thread().name(), "MainThread");
}

#endif

}  // namespace
}  // namespace triad
