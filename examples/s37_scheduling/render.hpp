// Text and SVG views of a sched::Schedule (scheduler.hpp).
//
//   auto s = sched::simulate(jobs, sched::Policy::fcfs());
//   std::cout << sched::describe(s);                 // Gantt line, per-job table, averages
//   std::ofstream("fcfs.svg") << sched::to_svg(s);   // standalone SVG Gantt chart
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "s37_scheduling/scheduler.hpp"

namespace sched {

// The CPU timeline, textbook style: "0 [P1] 24 [P2] 27 [P3] 30". Consecutive dispatches of
// the same job are shown as one run; an idle CPU is "[idle]", a context switch "[cs]".
[[nodiscard]] std::string gantt_line(const Schedule& s);

// One row per job: arrival, CPU, IO, first run, finish, turnaround, waiting, response, and
// an "average" row.
[[nodiscard]] std::string job_table(const Schedule& s);

// One character per time unit, one row per job (the seed's three states): '#' running,
// '.' ready, '~' blocked in IO, ' ' not arrived yet or finished; under them a CPU row: '#'
// running a job, '-' idle, '*' context switch. Empty if the timeline is longer than max_width
// units.
[[nodiscard]] std::string state_chart(const Schedule& s, long max_width = 100);

// The policy's name, gantt_line, job_table and a line with CPU utilization and context
// switches.
[[nodiscard]] std::string describe(const Schedule& s);

// One row per schedule: policy, average waiting, turnaround, response, CPU utilization and
// context switches.
[[nodiscard]] std::string summary_table(const std::vector<Schedule>& schedules);

// A standalone SVG document: a CPU row (one colour per job, idle grey, switches black) and
// one row per job showing running, ready and blocked (IO) time, a time axis and a legend.
[[nodiscard]] std::string to_svg(const Schedule& s);

// "5.67": an average with two decimals.
[[nodiscard]] std::string fixed2(double v);

}  // namespace sched
