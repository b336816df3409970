// The tour's command line, lesson order and summary (examples/tour/tour.hpp).
#include "tour/tour.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

// Two scenarios that exist only in this test binary: X01 passes, X02 fails one check. Their
// IDs are missing from the lesson table, so the tour shows them last, in ID order.
TOUR_SCENARIO(X02, "none", "测试", "A failing test scenario", "Fails one check on purpose.") {
  ctx.say("about to fail");
  ctx.check(true, "a check that holds");
  ctx.check(false, "a check that fails on purpose");
}

TOUR_SCENARIO(X01, "none", "测试", "A passing test scenario", "Passes its one check.") {
  ctx.say("line one\nline two");
  ctx.check(ctx.scaled(std::chrono::seconds(2)) == std::chrono::milliseconds(100),
            "scaled(2 s) is 100 ms at time_scale 0.05");
}

TOUR_SCENARIO(X03, "none", "测试", "A scenario that throws", "Throws out of its body.") {
  throw std::runtime_error("boom");
}

std::vector<std::string_view> args(std::initializer_list<std::string_view> list) {
  return std::vector<std::string_view>(list);
}

TEST(TourCli, NoArgumentsRunsEverythingAtFullScale) {
  const auto cmd = tour::parse_command_line({});
  EXPECT_EQ(cmd.action, tour::Command::Action::run);
  EXPECT_FALSE(cmd.fast);
  EXPECT_TRUE(cmd.selected.empty());
}

TEST(TourCli, FlagsAndIds) {
  const auto a = args({"--fast", "x01", "X02", "X01"});
  const auto cmd = tour::parse_command_line(a);
  EXPECT_TRUE(cmd.fast);
  ASSERT_EQ(cmd.selected.size(), 2U) << "IDs are case-insensitive and a repeated ID runs once";
  EXPECT_EQ(cmd.selected[0]->id, "X01");
  EXPECT_EQ(cmd.selected[1]->id, "X02");

  const auto l = args({"--list"});
  EXPECT_EQ(tour::parse_command_line(l).action, tour::Command::Action::list);
  const auto h = args({"--list", "-h"});
  EXPECT_EQ(tour::parse_command_line(h).action, tour::Command::Action::help);
}

TEST(TourCli, UnknownFlagOrIdIsAUsageError) {
  const auto bad_flag = args({"--fats"});
  EXPECT_THROW((void)tour::parse_command_line(bad_flag), tour::UsageError);
  const auto bad_id = args({"S999"});
  try {
    (void)tour::parse_command_line(bad_id);
    FAIL() << "expected a UsageError";
  } catch (const tour::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown scenario 'S999'"), std::string::npos);
  }

  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(tour::tour_main(bad_flag, out, err), 2);
  EXPECT_NE(err.str().find("unknown option '--fats'"), std::string::npos);
  EXPECT_NE(err.str().find("usage: tour"), std::string::npos);
  EXPECT_TRUE(out.str().empty());
  EXPECT_EQ(tour::tour_main(bad_id, out, err), 2);
}

TEST(TourCli, LessonTable) {
  EXPECT_EQ(tour::lesson_of("S05"), tour::Lesson::processes);
  EXPECT_EQ(tour::lesson_of("s16"), tour::Lesson::threads);
  EXPECT_EQ(tour::lesson_of("S01"), tour::Lesson::pools);
  EXPECT_EQ(tour::lesson_of("S26"), tour::Lesson::queues);
  EXPECT_EQ(tour::lesson_of("S03"), tour::Lesson::green_threads);
  EXPECT_EQ(tour::lesson_of("S35"), tour::Lesson::asyncio);
  EXPECT_EQ(tour::lesson_of("S36"), tour::Lesson::io_models);
  EXPECT_EQ(tour::lesson_of("S37"), tour::Lesson::scheduling);
  EXPECT_EQ(tour::lesson_of("X01"), tour::Lesson::other);
  // Every ID of SCENARIOS.md has a lesson.
  for (int i = 1; i <= 37; ++i) {
    const std::string id = (i < 10 ? "S0" : "S") + std::to_string(i);
    EXPECT_NE(tour::lesson_of(id), tour::Lesson::other) << id;
  }
}

TEST(TourCli, LessonOrderPutsUnknownIdsLastInIdOrder) {
  const std::vector<tour::Scenario> all{
      {"S01", "", "", "", "", nullptr}, {"S16", "", "", "", "", nullptr},
      {"S20", "", "", "", "", nullptr}, {"S24", "", "", "", "", nullptr},
      {"S26", "", "", "", "", nullptr}, {"S05", "", "", "", "", nullptr},
      {"X09", "", "", "", "", nullptr}, {"X01", "", "", "", "", nullptr},
      {"S37", "", "", "", "", nullptr}};
  std::vector<std::string_view> ids;
  for (const auto* s : tour::in_lesson_order(all)) ids.push_back(s->id);
  EXPECT_EQ(ids, (std::vector<std::string_view>{"S05", "S16", "S24", "S20", "S01", "S26", "S37",
                                                 "X01", "X09"}));
}

TEST(TourCli, ListShowsLessonsAndHeadings) {
  const auto a = args({"--list"});
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(tour::tour_main(a, out, err), 0);
  const std::string text = out.str();
  const auto more = text.find("\nmore scenarios:\n");
  ASSERT_NE(more, std::string::npos) << text;
  EXPECT_NE(text.find("\n  X01  测试 — A passing test scenario  (seed none)\n", more), std::string::npos)
      << text;
  EXPECT_LT(text.find("threads:\n  S16  "), more) << text;
}

TEST(TourCli, RunPrintsHeadingsOutputAndSummary) {
  const auto a = args({"--fast", "X01"});
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(tour::tour_main(a, out, err), 0);
  const std::string text = out.str();
  EXPECT_NE(text.find("X01  测试 — A passing test scenario"), std::string::npos) << text;
  EXPECT_NE(text.find("Passes its one check."), std::string::npos);
  EXPECT_NE(text.find("    line one\n    line two\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[ok] scaled(2 s) is 100 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("\n1 passed, 0 failed in "), std::string::npos) << text;
}

TEST(TourCli, AFailedCheckOrAnExceptionMakesTheExitStatusNonZero) {
  const auto a = args({"--fast", "X01", "X02", "X03"});
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(tour::tour_main(a, out, err), 1);
  const std::string text = out.str();
  EXPECT_NE(text.find("[FAILED] a check that fails on purpose"), std::string::npos) << text;
  EXPECT_NE(text.find("X02 FAILED: 1 of 2 checks failed"), std::string::npos) << text;
  EXPECT_NE(text.find("no exception escapes the scenario (got: boom)"), std::string::npos) << text;
  EXPECT_NE(text.find("\n1 passed, 2 failed (X02 X03) in "), std::string::npos) << text;
}

TEST(TourCli, RunScenarioCapturesOutputWithoutProgressLines) {
  const auto r = tour::run_scenario(*tour::find_scenario("X01"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed());
  EXPECT_EQ(r.checks, 1U);
  EXPECT_EQ(r.output.find("still running"), std::string::npos);
}

}  // namespace

namespace {

// An echo stream that notices the progress line.
class WatchBuf : public std::streambuf {
 public:
  std::atomic<bool> saw_progress{false};
  std::string text() {
    std::lock_guard<std::mutex> g(m_);
    return text_;
  }

 protected:
  int overflow(int c) override {
    if (c == EOF) return 0;
    std::lock_guard<std::mutex> g(m_);
    text_.push_back(static_cast<char>(c));
    if (text_.find("... still running, ") != std::string::npos) saw_progress = true;
    return c;
  }

 private:
  std::mutex m_;
  std::string text_;
};

WatchBuf* g_watch = nullptr;

// Stays silent until the progress line has been printed (or 20 s have passed).
TOUR_SCENARIO(X04, "none", "测试", "A silent scenario", "Waits for the progress line.") {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!g_watch->saw_progress && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // ok-sleep: polling a flag
  ctx.check(g_watch->saw_progress, "the progress line appeared while the scenario was silent");
}

TEST(TourCli, ProgressLineGoesToTheTerminalOnly) {
  WatchBuf buf;
  g_watch = &buf;
  std::ostream echo(&buf);
  tour::Options options{.fast = true, .time_scale = 0.05};
  options.progress_after = std::chrono::milliseconds(100);
  const auto r = tour::run_scenario(*tour::find_scenario("X04"), options, &echo);
  g_watch = nullptr;
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_NE(buf.text().find("    ... still running, "), std::string::npos);
  EXPECT_EQ(r.output.find("still running"), std::string::npos) << r.output;
}

}  // namespace

namespace {

TEST(TourCli, RegisteredScenariosRunInLessonOrder) {
  std::vector<std::string_view> ids;
  for (const auto* s : tour::in_lesson_order(tour::scenarios())) ids.push_back(s->id);
  auto pos = [&](std::string_view id) {
    return static_cast<std::size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin());
  };
  // Threads (seed 001's order, S24 before S20), then pools, then queues, then unknown IDs.
  for (const auto* id : {"S16", "S24", "S20", "S32", "S01", "S29", "S26", "X01"})
    ASSERT_LT(pos(id), ids.size()) << id << " is registered in this binary";
  EXPECT_LT(pos("S16"), pos("S24"));
  EXPECT_LT(pos("S24"), pos("S20"));
  EXPECT_LT(pos("S32"), pos("S01"));
  EXPECT_LT(pos("S01"), pos("S29"));
  EXPECT_LT(pos("S29"), pos("S26"));
  EXPECT_EQ(ids.back(), "X04");
  EXPECT_LT(pos("S26"), pos("X01"));
}

}  // namespace
