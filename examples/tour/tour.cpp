#include "tour/tour.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ostream>
#include <sstream>

namespace tour {
namespace {

struct LessonEntry {
  std::string_view id;
  Lesson lesson;
};

// Which lesson each scenario of SCENARIOS.md belongs to; the tour shows them in this order.
// Process queues (S12-S15) are taught with the thread queues; the TCP servers of S27 with the
// IO models. A scenario whose ID is missing here is shown last, in ID order.
constexpr std::array kLessonTable{
    // processes (seeds 001, 002)
    LessonEntry{"S05", Lesson::processes}, LessonEntry{"S06", Lesson::processes},
    LessonEntry{"S07", Lesson::processes}, LessonEntry{"S08", Lesson::processes},
    LessonEntry{"S09", Lesson::processes}, LessonEntry{"S10", Lesson::processes},
    LessonEntry{"S11", Lesson::processes},
    // threads (seed 001's order, then seed 002's lost update, the timer and the GIL lesson)
    LessonEntry{"S16", Lesson::threads}, LessonEntry{"S17", Lesson::threads},
    LessonEntry{"S18", Lesson::threads}, LessonEntry{"S19", Lesson::threads},
    LessonEntry{"S24", Lesson::threads}, LessonEntry{"S20", Lesson::threads},
    LessonEntry{"S21", Lesson::threads}, LessonEntry{"S22", Lesson::threads},
    LessonEntry{"S23", Lesson::threads}, LessonEntry{"S32", Lesson::threads},
    LessonEntry{"S25", Lesson::threads},
    // pools and futures (seeds 000, 003, 004)
    LessonEntry{"S01", Lesson::pools}, LessonEntry{"S02", Lesson::pools},
    LessonEntry{"S28", Lesson::pools}, LessonEntry{"S31", Lesson::pools},
    LessonEntry{"S29", Lesson::pools},
    // queues: thread queues first, then the process queues and producer/consumer
    LessonEntry{"S26", Lesson::queues}, LessonEntry{"S12", Lesson::queues},
    LessonEntry{"S15", Lesson::queues}, LessonEntry{"S13", Lesson::queues},
    LessonEntry{"S14", Lesson::queues},
    // green threads (seeds 000, 002, 003, 004)
    LessonEntry{"S33", Lesson::green_threads}, LessonEntry{"S34", Lesson::green_threads},
    LessonEntry{"S30", Lesson::green_threads}, LessonEntry{"S03", Lesson::green_threads},
    LessonEntry{"S04", Lesson::green_threads},
    // asyncio (seed 004; S35b and S35c are variants of S35)
    LessonEntry{"S35", Lesson::asyncio}, LessonEntry{"S35b", Lesson::asyncio},
    LessonEntry{"S35c", Lesson::asyncio},
    // IO models (seeds 002, 004)
    LessonEntry{"S27", Lesson::io_models}, LessonEntry{"S36", Lesson::io_models},
    // scheduling (seed 002)
    LessonEntry{"S37", Lesson::scheduling},
};

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Position in the table, or the table's size for an unknown ID.
std::size_t table_position(std::string_view id) {
  for (std::size_t i = 0; i < kLessonTable.size(); ++i)
    if (iequal(kLessonTable[i].id, id)) return i;
  return kLessonTable.size();
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

void print_heading(std::ostream& out, const Scenario& s) {
  out << "\n" << s.id << "  " << s.heading << " — " << s.title << "   (seed " << s.seed << ")\n"
      << "     " << s.summary << "\n";
}

}  // namespace

std::string_view lesson_name(Lesson lesson) {
  switch (lesson) {
    case Lesson::processes: return "processes";
    case Lesson::threads: return "threads";
    case Lesson::pools: return "pools and futures";
    case Lesson::queues: return "queues";
    case Lesson::green_threads: return "green threads";
    case Lesson::asyncio: return "asyncio";
    case Lesson::io_models: return "IO models";
    case Lesson::scheduling: return "scheduling";
    case Lesson::other: return "more scenarios";
  }
  return "?";
}

Lesson lesson_of(std::string_view id) {
  const std::size_t pos = table_position(id);
  return pos < kLessonTable.size() ? kLessonTable[pos].lesson : Lesson::other;
}

std::vector<const Scenario*> in_lesson_order(const std::vector<Scenario>& all) {
  std::vector<const Scenario*> order;
  order.reserve(all.size());
  for (const auto& s : all) order.push_back(&s);
  // The table lists lessons in order, so its position orders lessons too; unknown IDs share
  // the position past the end and fall back to ID order.
  std::stable_sort(order.begin(), order.end(), [](const Scenario* a, const Scenario* b) {
    const std::size_t pa = table_position(a->id);
    const std::size_t pb = table_position(b->id);
    if (pa != pb) return pa < pb;
    return a->id < b->id;
  });
  return order;
}

std::string usage() {
  return "usage: tour [--fast] [--list] [--help] [ID...]\n"
         "  Runs the seed scenarios of SCENARIOS.md in lesson order (or only the IDs given,\n"
         "  in the order given) and exits non-zero if any check fails.\n"
         "  --fast   scale every sleep by 0.05 (what the tests and CI use)\n"
         "  --list   list the scenarios in lesson order and exit\n"
         "  --help   this text\n"
         "  ID       a scenario ID such as S01 or s24 (see --list)\n";
}

Command parse_command_line(std::span<const std::string_view> args) {
  Command cmd;
  bool help = false;
  bool list = false;
  for (const std::string_view arg : args) {
    if (arg == "--fast") {
      cmd.fast = true;
    } else if (arg == "--list") {
      list = true;
    } else if (arg == "--help" || arg == "-h") {
      help = true;
    } else if (arg.starts_with("-")) {
      throw UsageError("tour: unknown option '" + std::string(arg) + "'");
    } else {
      const Scenario* s = find_scenario(arg);
      if (s == nullptr)
        throw UsageError("tour: unknown scenario '" + std::string(arg) +
                         "' (tour --list shows the scenarios)");
      if (std::find(cmd.selected.begin(), cmd.selected.end(), s) == cmd.selected.end())
        cmd.selected.push_back(s);
    }
  }
  if (help)
    cmd.action = Command::Action::help;
  else if (list)
    cmd.action = Command::Action::list;
  return cmd;
}

int run_command(const Command& command, std::ostream& out) {
  const std::vector<const Scenario*> order =
      command.selected.empty() ? in_lesson_order(scenarios()) : command.selected;

  if (command.action == Command::Action::help) {
    out << usage();
    return 0;
  }
  if (command.action == Command::Action::list) {
    Lesson current = Lesson::other;
    bool first = true;
    for (const Scenario* s : order) {
      const Lesson lesson = lesson_of(s->id);
      if (first || lesson != current) out << lesson_name(lesson) << ":\n";
      first = false;
      current = lesson;
      out << "  " << s->id << "  " << s->heading << " — " << s->title << "  (seed " << s->seed
          << ")\n";
    }
    return 0;
  }

  if (order.empty()) {
    out << "tour: no scenarios are registered (was the examples layer built?)\n";
    return 1;
  }
  Options options;
  options.fast = command.fast;
  options.time_scale = command.fast ? kFastTimeScale : 1.0;
  options.progress_after = std::chrono::milliseconds(2000);
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer cannot follow a fork() taken while another thread runs (S17 forks, and
  // its child starts a thread: TSan aborts with "dup thread with used id"). Without the
  // progress thread the tour is single-threaded between scenarios.
  options.progress_after = std::chrono::milliseconds(0);
#endif

  out << "triad tour: " << order.size() << " scenario" << (order.size() == 1 ? "" : "s")
      << (command.fast ? " (--fast: sleeps scaled by 0.05)" : "") << "\n";
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::vector<std::string_view> failed_ids;
  double total = 0.0;
  bool first = true;
  Lesson current = Lesson::other;
  for (const Scenario* s : order) {
    const Lesson lesson = lesson_of(s->id);
    if (first || lesson != current) out << "\n== " << lesson_name(lesson) << " ==\n";
    first = false;
    current = lesson;
    print_heading(out, *s);
    out.flush();
    const Result r = run_scenario(*s, options, &out);
    total += r.elapsed.count();
    if (r.passed()) {
      ++passed;
      out << "  => " << s->id << " passed: " << r.checks << " check" << (r.checks == 1 ? "" : "s")
          << " in " << seconds_text(r.elapsed.count()) << "\n";
    } else {
      ++failed;
      failed_ids.push_back(s->id);
      out << "  => " << s->id << " FAILED: " << r.failed << " of " << r.checks << " check"
          << (r.checks == 1 ? "" : "s") << " failed"
          << (r.checks == 0 ? " (a scenario must check something)" : "") << " in "
          << seconds_text(r.elapsed.count()) << "\n";
    }
    out.flush();
  }
  out << "\n" << passed << " passed, " << failed << " failed";
  if (!failed_ids.empty()) {
    out << " (";
    for (std::size_t i = 0; i < failed_ids.size(); ++i) out << (i ? " " : "") << failed_ids[i];
    out << ")";
  }
  out << " in " << seconds_text(total) << "\n";
  out.flush();
  return failed == 0 ? 0 : 1;
}

int tour_main(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  Command command;
  try {
    command = parse_command_line(args);
  } catch (const UsageError& e) {
    err << e.what() << "\n" << usage();
    return 2;
  }
  return run_command(command, out);
}

}  // namespace tour
