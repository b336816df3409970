// The `tour` program's logic, kept out of main() so that tests can drive it: the lesson
// table (which lesson each scenario ID belongs to, and in what order the tour shows them),
// command-line parsing, and the run loop that prints each scenario's heading, what happened
// and a summary line "N passed, M failed".
//
//   tour                 every registered scenario, in lesson order
//   tour --list          the scenarios, in lesson order, with seed and title
//   tour --fast S01 S24  only these (in the order given), sleeps scaled by 0.05
//
// Exit status: 0 when every check passed, 1 when a check failed, 2 for a usage error
// (unknown flag or unknown scenario ID).
#pragma once

#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tour/scenario.hpp"

namespace tour {

// The lessons, in the order the tour teaches them (the course of the seeds).
enum class Lesson {
  processes,
  threads,
  pools,
  queues,
  green_threads,
  asyncio,
  io_models,
  scheduling,
  other,  // an ID missing from the table: shown last, in ID order
};

[[nodiscard]] std::string_view lesson_name(Lesson lesson);
// The lesson of a scenario ID (case-insensitive); Lesson::other if the table lacks it.
[[nodiscard]] Lesson lesson_of(std::string_view id);
// The registered scenarios sorted by lesson, then by their position in the table, then (for
// IDs missing from the table) by ID.
[[nodiscard]] std::vector<const Scenario*> in_lesson_order(const std::vector<Scenario>& all);

// The time scale of --fast.
inline constexpr double kFastTimeScale = 0.05;

struct Command {
  enum class Action { run, list, help };
  Action action = Action::run;
  bool fast = false;
  std::vector<const Scenario*> selected;  // empty = all, in lesson order
};

// A bad command line; what() is the message for the user.
class UsageError : public std::exception {
 public:
  explicit UsageError(std::string message) : message_(std::move(message)) {}
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// Parses the arguments (without argv[0]) against the registered scenarios.
// Throws UsageError for an unknown flag or an unknown scenario ID. Repeated IDs run once.
[[nodiscard]] Command parse_command_line(std::span<const std::string_view> args);

// The usage text printed by --help and after a usage error.
[[nodiscard]] std::string usage();

// Carries out a parsed command: prints to `out`, returns the exit status (0 or 1).
int run_command(const Command& command, std::ostream& out);

// main(): parse, run, map usage errors to status 2 (message on `err`).
int tour_main(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace tour
