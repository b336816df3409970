// The scenario framework shared by every seed port (examples/sNN_*.cpp), the `tour` program
// and the scenario tests (tests/examples/).
//
// A scenario registers itself with TOUR_SCENARIO and receives a Context: it prints what
// happens through ctx.out(), scales every sleep with ctx.scaled() (the tour's --fast mode and
// the tests shrink them), and asserts its own observable behaviour with ctx.check(): the tour
// exits non-zero if any check fails, so the tour is also an end-to-end test.
//
//   TOUR_SCENARIO(S24, "002", "多线程修改同一数据 / 互斥锁", "Lost updates without a Lock",
//                 "100 threads decrement n with a read-sleep-write gap; a Lock makes it exact.") {
//     ...
//     ctx.check(n == 0, "with the Lock, n ends at exactly 0");
//   }
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace tour {

class Context;

struct Scenario {
  std::string_view id;            // "S01"
  std::string_view seed;          // seed file(s) it comes from, e.g. "000, 002"
  std::string_view heading;       // the seed's own heading (Chinese, as in the seed)
  std::string_view title;         // English title
  std::string_view summary;       // one sentence: what it shows
  void (*run)(Context&);
};

// Adds a scenario to the registry (called by TOUR_SCENARIO at static-initialisation time).
int register_scenario(const Scenario& s);
// Every registered scenario, sorted by ID.
const std::vector<Scenario>& scenarios();
// The scenario with this ID (case-insensitive), or nullptr.
const Scenario* find_scenario(std::string_view id);

struct Options {
  bool fast = false;           // scale sleeps down (tests and CI use it)
  double time_scale = 1.0;     // multiplier applied by Context::scaled (0.05 when fast)
  // When a scenario has printed nothing for this long, run_scenario prints a progress line
  // ("... still running, 4.0 s") to the echo stream only (never into Result::output).
  // Zero = no progress lines (the tests' default).
  std::chrono::milliseconds progress_after{0};
};

class Context {
 public:
  Context(const Scenario& s, const Options& o, std::ostream& out);

  // Where the scenario prints what happened. Not synchronised: prefer say() from threads.
  std::ostream& out() { return out_; }
  // Prints one line atomically, indented under the scenario's heading. Safe from any thread
  // (not from a forked child: a child writes to a pipe the parent reads, see S17).
  void say(std::string_view line);
  // "[  1.23 s]": the time since the scenario started, for lines that show timings.
  [[nodiscard]] std::string stamp() const;

  // A duration scaled for --fast (never below 1 ms for a nonzero input).
  [[nodiscard]] std::chrono::nanoseconds scaled(std::chrono::nanoseconds d) const;
  [[nodiscard]] double time_scale() const { return options_.time_scale; }
  [[nodiscard]] bool fast() const { return options_.fast; }

  // Records a behavioural check; a failed one is printed and fails the scenario.
  void check(bool ok, std::string_view what);
  [[nodiscard]] std::size_t failed_checks() const { return failed_; }
  [[nodiscard]] std::size_t checks() const { return checks_; }

  // Time since the scenario started.
  [[nodiscard]] std::chrono::duration<double> elapsed() const;

  [[nodiscard]] const Scenario& scenario() const { return scenario_; }

 private:
  const Scenario& scenario_;
  Options options_;
  std::ostream& out_;
  std::chrono::steady_clock::time_point start_;
  std::size_t checks_ = 0;
  std::size_t failed_ = 0;
};

struct Result {
  std::size_t checks = 0;
  std::size_t failed = 0;
  std::string output;  // everything the scenario printed
  std::chrono::duration<double> elapsed{};
  [[nodiscard]] bool passed() const { return failed == 0 && checks > 0; }
};

// "1.23 s": a duration for the scenario's output.
[[nodiscard]] std::string format_seconds(std::chrono::duration<double> d);

// Runs one scenario, capturing what it prints (and echoing it to `echo` if non-null).
// An exception escaping the scenario counts as a failed check.
Result run_scenario(const Scenario& s, const Options& o, std::ostream* echo = nullptr);

}  // namespace tour

#define TOUR_SCENARIO(ID, SEED, HEADING, TITLE, SUMMARY)                                 \
  static void ID##_run(::tour::Context& ctx);                                           \
  [[maybe_unused]] static const int ID##_registered =                                   \
      ::tour::register_scenario({#ID, SEED, HEADING, TITLE, SUMMARY, &ID##_run});       \
  static void ID##_run([[maybe_unused]] ::tour::Context& ctx)
