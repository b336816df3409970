// TaskGroup (include/triad/aio/task_group.hpp): ports of test_asyncio/test_taskgroups.py.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "triad/aio.hpp"

namespace aio = triad::aio;
using namespace std::chrono_literals;

namespace {

aio::Task<int> value_after(int v, int ms) {
  co_await aio::sleep(std::chrono::milliseconds(ms));  // ok-sleep: timed tasks on one event loop; their order and timeouts are the subject
  co_return v;
}
aio::Task<void> fail_after(int ms, std::string what) {
  co_await aio::sleep(std::chrono::milliseconds(ms));  // ok-sleep: timed tasks on one event loop; their order and timeouts are the subject
  throw std::runtime_error(what);
}

TEST(TaskGroup, WaitsForAllChildren) {
  aio::run([]() -> aio::Task<void> {
    aio::TaskHandle<int> a, b;
    co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
      a = tg.create_task(value_after(1, 10));
      b = tg.create_task(value_after(2, 1));
      co_return;
    });
    EXPECT_EQ(a.result() + b.result(), 3);
  }());
}

TEST(TaskGroup, FailingChildCancelsSiblingsAndBody) {
  aio::run([]() -> aio::Task<void> {
    aio::TaskHandle<int> slow;
    bool body_cancelled = false;
    try {
      co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
        slow = tg.create_task(value_after(1, 100000));
        tg.create_task(fail_after(1, "boom"));
        try {
          co_await aio::sleep(triad::forever);  // ok-sleep: never ends by itself; the test cancels it
        } catch (const triad::CancelledError&) {
          body_cancelled = true;
          throw;
        }
      });
      ADD_FAILURE() << "no ExceptionGroup";
    } catch (const aio::ExceptionGroup& eg) {
      EXPECT_STREQ(eg.what(), "unhandled errors in a TaskGroup (1 sub-exception)");
      EXPECT_EQ(eg.exceptions().size(), 1U);
      EXPECT_THROW(std::rethrow_exception(eg.exceptions()[0]), std::runtime_error);
    }
    EXPECT_TRUE(body_cancelled);
    EXPECT_TRUE(slow.cancelled());
    // The parent task is not left cancelled.
    co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
  }());
}

TEST(TaskGroup, SeveralFailuresAreAllReported) {
  aio::run([]() -> aio::Task<void> {
    try {
      co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
        tg.create_task(fail_after(1, "a"));
        // A sibling that turns its cancellation into another error (Python's test_taskgroup_08).
        tg.create_task([]() -> aio::Task<void> {
          try {
            co_await aio::sleep(triad::forever);  // ok-sleep: never ends by itself; the test cancels it
          } catch (const triad::CancelledError&) {
          }
          throw std::runtime_error("b");
        }());
        co_return;
      });
      ADD_FAILURE();
    } catch (const aio::ExceptionGroup& eg) {
      EXPECT_EQ(eg.exceptions().size(), 2U);
      EXPECT_EQ(eg.message(), "unhandled errors in a TaskGroup");
    }
  }());
}

TEST(TaskGroup, BodyErrorCancelsChildren) {
  aio::run([]() -> aio::Task<void> {
    aio::TaskHandle<int> child;
    try {
      co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
        child = tg.create_task(value_after(1, 100000));
        co_await aio::sleep(0s);  // ok-sleep: sleep(0) yields one loop iteration, deterministic on one loop
        throw triad::ValueError("body");
      });
      ADD_FAILURE();
    } catch (const aio::ExceptionGroup& eg) {
      EXPECT_EQ(eg.exceptions().size(), 1U);
      EXPECT_THROW(std::rethrow_exception(eg.exceptions()[0]), triad::ValueError);
    }
    EXPECT_TRUE(child.cancelled());
  }());
}

TEST(TaskGroup, OuterCancellationPropagates) {
  aio::EventLoop loop;
  aio::TaskHandle<int> child;
  // A named lambda: a coroutine lambda's captures live in the lambda object, which
  // must outlive the task.
  auto t_body = [&]() -> aio::Task<void> {
    co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
      child = tg.create_task(value_after(1, 100000));
      co_return;
    });
  };
  auto t = loop.create_task(t_body());
  loop.call_later(5ms, [&] { t.cancel(); });
  EXPECT_THROW(loop.run_until_complete(t), triad::CancelledError);
  EXPECT_TRUE(child.cancelled());
  EXPECT_TRUE(t.cancelled());
}

TEST(TaskGroup, CreateTaskStateErrors) {
  aio::run([]() -> aio::Task<void> {
    aio::TaskGroup tg;
    EXPECT_THROW((void)tg.create_task(value_after(1, 1)), triad::RuntimeError);
    co_await tg.run([&]() -> aio::Task<void> {
      tg.create_task(value_after(1, 1));
      co_return;
    }());
    try {
      (void)tg.create_task(value_after(1, 1));
      ADD_FAILURE();
    } catch (const triad::RuntimeError& e) {
      EXPECT_STREQ(e.what(), "TaskGroup is finished");
    }
  }());
}

TEST(TaskGroup, ChildCancelledAloneIsNotAnError) {
  aio::run([]() -> aio::Task<void> {
    co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
      auto c = tg.create_task(value_after(1, 100000));
      tg.create_task(value_after(2, 1));
      c.cancel();
      co_return;
    });
  }());
}

TEST(TaskGroup, TimeoutAroundAGroup) {
  aio::run([]() -> aio::Task<void> {
    auto group = []() -> aio::Task<void> {
      co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
        tg.create_task(value_after(1, 100000));
        tg.create_task(value_after(2, 100000));
        co_return;
      });
    };
    EXPECT_THROW(co_await aio::timeout(10ms).run(group()), triad::TimeoutError);
  }());
}

}  // namespace
