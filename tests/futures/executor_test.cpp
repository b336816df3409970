// Executor: the abstract interface. submit() and map() are written once on top of
// schedule(); this executor runs every task inline in the submitting thread, which is enough
// to pin down the contract documented in executor.hpp.
#include "triad/futures/executor.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

class InlineExecutor final : public triad::Executor {
 public:
  void shutdown(bool /*wait*/ = true, bool /*cancel_futures*/ = false) override { down_ = true; }
  int scheduled = 0;

 protected:
  void schedule(triad::detail::FutureStateBase& task) override {
    if (down_) throw triad::RuntimeError("cannot schedule new futures after shutdown");
    ++scheduled;
    const auto outcome = task.execute();
    if (outcome != triad::detail::FutureStateBase::Outcome::kSkipped) {
      task.publish_from_running(outcome == triad::detail::FutureStateBase::Outcome::kException);
    }
    task.release();
  }

 private:
  bool down_ = false;
};

TEST(ExecutorTest, SubmitThroughTheInterface) {
  InlineExecutor ex;
  triad::Executor& base = ex;
  auto f = base.submit([](int a, const std::string& b) { return b + std::to_string(a); }, 7, "n");
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.result(0s), "n7");
  auto g = base.submit([]() -> int { throw std::length_error("too long"); });
  EXPECT_THROW((void)g.result(0s), std::length_error);
  auto h = base.submit([] { return std::make_unique<int>(3); });
  EXPECT_EQ(*h.take(), 3);
  EXPECT_EQ(ex.scheduled, 3);
}

TEST(ExecutorTest, ScheduleFailureLeaksNothing) {
  InlineExecutor ex;
  ex.shutdown();
  auto obj = std::make_shared<int>(1);
  std::weak_ptr<int> weak = obj;
  EXPECT_THROW((void)ex.submit([o = std::move(obj)] { return *o; }), triad::RuntimeError);
  EXPECT_TRUE(weak.expired());  // the task block (and its captures) was freed
}

TEST(ExecutorTest, MapThroughTheInterface) {
  InlineExecutor ex;
  std::vector<int> xs{1, 2, 3, 4, 5};
  std::vector<std::string> ys{"a", "b", "c"};
  std::vector<std::string> out;
  for (auto& s : ex.map([](int x, const std::string& y) { return y + std::to_string(x); }, xs, ys)) {
    out.push_back(s);
  }
  EXPECT_EQ(out, (std::vector<std::string>{"a1", "b2", "c3"}));
  int chunks_before = ex.scheduled;
  int n = 0;
  for (int v : ex.map([](int x) { return x; }, xs, triad::MapOptions{.chunksize = 2})) n += v;
  EXPECT_EQ(n, 15);
  EXPECT_EQ(ex.scheduled - chunks_before, 3);  // ceil(5 / 2) tasks
}

TEST(ExecutorTest, MapOverTemporariesAndEmptyInput) {
  InlineExecutor ex;
  int n = 0;
  for (int v : ex.map([](int x) { return x * 2; }, std::vector{1, 2})) n += v;
  EXPECT_EQ(n, 6);
  auto r = ex.map([](int x) { return x; }, std::vector<int>{});
  EXPECT_FALSE(r.next());
}

}  // namespace
