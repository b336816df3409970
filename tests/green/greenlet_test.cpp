// Behaviour of greenlet.greenlet, ported from greenlet's own test suite (test_greenlet.py,
// test_throw.py, test_generator.py): switching with values, parents, throw, dead.
#include "triad/green/greenlet.hpp"

#include <gtest/gtest.h>

#include <any>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tg = triad::green;

namespace {

TEST(Greenlet, SimpleSwitchInterleaves) {  // test_simple
  std::vector<int> lst;
  tg::greenlet* gp = nullptr;
  tg::greenlet g([&] {
    lst.push_back(1);
    tg::getcurrent().parent()->switch_to();
    lst.push_back(3);
  });
  gp = &g;
  lst.push_back(0);
  g.switch_to();
  lst.push_back(2);
  g.switch_to();
  lst.push_back(4);
  EXPECT_EQ(lst, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(gp->dead());
}

TEST(Greenlet, SwitchCarriesValuesBothWays) {  // test_switch_kwargs / value passing
  tg::greenlet g([](std::any first) -> std::any {
    int x = std::any_cast<int>(first);
    std::any y = tg::getcurrent().parent()->switch_to(x + 1);
    return std::any_cast<int>(y) * 10;
  });
  EXPECT_EQ(std::any_cast<int>(g.switch_to(41)), 42);
  EXPECT_FALSE(g.dead());
  EXPECT_TRUE(g.active());
  EXPECT_EQ(std::any_cast<int>(g.switch_to(5)), 50);
  EXPECT_TRUE(g.dead());
  EXPECT_FALSE(static_cast<bool>(g));
}

TEST(Greenlet, ExceptionPropagatesToParent) {  // test_exception
  tg::greenlet g([] { throw std::runtime_error("boom"); });
  EXPECT_THROW(
      {
        try {
          g.switch_to();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "boom");
          throw;
        }
      },
      std::runtime_error);
  EXPECT_TRUE(g.dead());
}

TEST(Greenlet, SwitchToDeadGoesToParent) {  // test_dead: switching to a dead greenlet
  tg::greenlet g([] { return 1; });
  EXPECT_EQ(std::any_cast<int>(g.switch_to()), 1);
  EXPECT_TRUE(g.dead());
  // Its parent is us: switching to it returns the value immediately.
  EXPECT_EQ(std::any_cast<int>(g.switch_to(7)), 7);
}

TEST(Greenlet, ParentChainAndReturnToParent) {  // test_parent_return_failure / switch_to_parent
  std::vector<std::string> log;
  tg::greenlet outer([&] {
    tg::greenlet inner([&] {
      log.push_back("inner");
      return std::string("from inner");
    });
    std::any v = inner.switch_to();
    log.push_back(std::any_cast<std::string>(v));
    EXPECT_EQ(inner.parent(), &tg::getcurrent());
    return 5;
  });
  EXPECT_EQ(std::any_cast<int>(outer.switch_to()), 5);
  EXPECT_EQ(log, (std::vector<std::string>{"inner", "from inner"}));
}

TEST(Greenlet, ThrowGreenletExitIntoSuspendedReturnsIt) {  // test_throw: test_kill
  bool unwound = false;
  tg::greenlet g([&] {
    struct Guard {
      bool& f;
      ~Guard() { f = true; }
    } guard{unwound};
    tg::getcurrent().parent()->switch_to();
    ADD_FAILURE() << "must not resume normally";
  });
  g.switch_to();
  std::any v = g.throw_();
  EXPECT_TRUE(unwound);
  EXPECT_TRUE(g.dead());
  EXPECT_TRUE(v.type() == typeid(tg::GreenletExit));
}

TEST(Greenlet, ThrowCustomExceptionCanBeCaught) {  // test_throw: test_val
  tg::greenlet g([](std::any) -> std::any {
    try {
      tg::getcurrent().parent()->switch_to();
    } catch (const std::invalid_argument& e) {
      return std::string("caught ") + e.what();
    }
    return std::string("no");
  });
  g.switch_to();
  EXPECT_EQ(std::any_cast<std::string>(g.throw_(std::invalid_argument("ok"))), "caught ok");
}

TEST(Greenlet, ThrowUncaughtGoesToParent) {  // test_throw: test_throw_goes_to_original_parent
  tg::greenlet g([] { tg::getcurrent().parent()->switch_to(); });
  g.switch_to();
  EXPECT_THROW(g.throw_(std::out_of_range("x")), std::out_of_range);
  EXPECT_TRUE(g.dead());
}

TEST(Greenlet, ThrowIntoUnstartedNeverRuns) {  // test_throw: test_kill_unstarted / not started
  bool ran = false;
  tg::greenlet g([&] { ran = true; });
  EXPECT_THROW(g.throw_(std::logic_error("never")), std::logic_error);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(g.dead());
  tg::greenlet h([&] { ran = true; });
  EXPECT_TRUE(h.throw_().type() == typeid(tg::GreenletExit));
  EXPECT_FALSE(ran);
}

TEST(Greenlet, CyclicParentIsRejected) {  // test_parent_restrictions
  tg::greenlet a([] {});
  tg::greenlet b([] {}, &a);
  EXPECT_THROW(a.set_parent(&b), triad::ValueError);
  EXPECT_THROW(a.set_parent(&a), triad::ValueError);
  EXPECT_THROW(a.set_parent(nullptr), triad::ValueError);
  EXPECT_EQ(b.parent(), &a);
  EXPECT_EQ(a.parent(), &tg::getcurrent());
}

TEST(Greenlet, MainGreenletProperties) {
  tg::greenlet& m = tg::getcurrent();
  EXPECT_TRUE(m.is_main());
  EXPECT_TRUE(m.active());
  EXPECT_FALSE(m.dead());
  EXPECT_EQ(m.parent(), nullptr);
  EXPECT_EQ(m.switch_to(3).has_value(), true);  // switching to self returns the value
}

TEST(Greenlet, CannotSwitchAcrossThreads) {  // test_threaded_adv / cross-thread switch
  tg::greenlet g([] {});
  std::thread t([&] { EXPECT_THROW(g.switch_to(), tg::error); });
  t.join();
  g.switch_to();
  EXPECT_TRUE(g.dead());
}

TEST(Greenlet, DestroyingSuspendedKillsIt) {  // greenlet GC sends GreenletExit
  bool unwound = false;
  {
    tg::greenlet g([&] {
      struct Guard {
        bool& f;
        ~Guard() { f = true; }
      } guard{unwound};
      tg::getcurrent().parent()->switch_to();
    });
    g.switch_to();
    EXPECT_TRUE(g.suspended());
  }
  EXPECT_TRUE(unwound);
}

TEST(Greenlet, GeneratorStyleYield) {  // test_generator
  std::vector<int> out;
  tg::greenlet gen([](std::any) -> std::any {
    for (int i = 0; i < 5; ++i) tg::getcurrent().parent()->switch_to(i);
    return std::any();
  });
  for (;;) {
    std::any v = gen.switch_to();
    if (gen.dead()) break;
    out.push_back(std::any_cast<int>(v));
  }
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Greenlet, StackSizeOptionIsRoundedAndValidated) {
  tg::greenlet g([] {}, nullptr, {.stack_size = 20000, .name = "sized"});
  EXPECT_EQ(g.stack_size() % 4096, 0u);
  EXPECT_GE(g.stack_size(), 20000u);
  EXPECT_EQ(g.name(), "sized");
  EXPECT_THROW(tg::set_default_stack_size(100), triad::ValueError);
  g.switch_to();
}

TEST(Greenlet, ManySequentialGreenletsReuseStacks) {
  int sum = 0;
  for (int i = 0; i < 2000; ++i) {
    tg::greenlet g([&sum, i] { sum += i; });
    g.switch_to();
  }
  EXPECT_EQ(sum, 1999 * 2000 / 2);
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
int recurse(int n) {
  volatile char buf[512];
  buf[0] = static_cast<char>(n);
  return n == 0 ? buf[0] : recurse(n - 1) + buf[0];
}

TEST(GreenletDeathTest, StackOverflowIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        tg::greenlet g([] { recurse(1 << 20); }, nullptr, {.stack_size = 32 * 1024, .name = "deep"});
        g.switch_to();
      },
      "stack overflow in green thread 'deep' \\(stack size 32768 bytes\\)");
}
#endif

}  // namespace
