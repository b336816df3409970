// A CPU-scheduling simulator for the seed lesson on process scheduling (S37, seed 002:
// 进程调度 — 先来先服务, 短作业优先, 时间片轮转法, 分级反馈队列).
//
// One CPU, a list of jobs, a policy: simulate() replays who runs when, in exact integer time
// units (no clocks, no threads: pure computation), and returns the timeline plus each job's
// waiting, turnaround and response time. render.hpp prints it as text and draws an SVG Gantt
// chart.
//
// Python: no counterpart in the standard library; the seed describes these policies in prose.
// The simulator is the C++ port of that lesson (docs/scheduling.md).
//
//   std::vector<sched::Job> jobs{{"P1", 0, {24}}, {"P2", 0, {3}}, {"P3", 0, {3}}};
//   auto s = sched::simulate(jobs, sched::Policy::round_robin(4));
//   s.total_waiting();              // 17 (average 17/3)
//   std::cout << sched::describe(s) << sched::to_svg(s);
//
// A job arrives at `arrival` and then alternates CPU bursts and IO waits, starting and ending
// with a CPU burst: {5, 3, 2} is 5 units on the CPU, 3 blocked in IO, 2 on the CPU. A job in
// IO does not use the CPU, and the IO of different jobs overlaps (each job has its own
// device). Each job is in one of the seed's three states at every moment: ready (就绪态,
// waiting for the CPU), running (运行态) or blocked (阻塞态, in IO); a job whose IO ends
// becomes ready again.
//
// Definitions (per job): turnaround = finish - arrival; waiting = time spent ready (including
// a context switch into the job) = turnaround - CPU time - IO time; response = first moment
// it runs - arrival.
//
// Tie rules (deterministic, the same for every policy):
//  1. Events at one instant t are handled in this order: the running job's burst ends or its
//     quantum expires; the MLFQ priority boost (if t is a boost instant); jobs arriving and
//     jobs whose IO ends at t join the ready queue, ordered by arrival time, then name; then the
//     job whose quantum expired rejoins the tail of its queue (so a job arriving at the
//     instant a quantum expires is ahead of the preempted job, as in the textbooks); then a
//     preemptive policy may preempt the running job; then an idle CPU dispatches.
//  2. Every policy picks the smallest key among the ready jobs, and the earliest to join the
//     ready queue among equal keys (so ties go to arrival order, then name, by rule 1):
//     FCFS, RR, uniprogramming: queue order; SJF and SRTF: the remaining length of the job's
//     current CPU burst ("shortest next CPU burst"); priority: Job::priority (smaller is more
//     urgent); MLFQ: the level (0 = top).
//  3. Preemption needs a strictly better key: SRTF (shorter remaining burst), preemptive
//     priority (smaller number), MLFQ (higher level). A preempted job rejoins the tail of
//     its queue. The running job is never preempted by a tie.
//  4. A burst that ends exactly when its quantum expires ends normally (no demotion, no
//     requeue: it goes to IO or finishes).
//
// Context switches: the CPU keeps the context of the last job it ran. Dispatching a different
// job costs Options::switch_cost time units (default 0), shown as a switch slice; the switch
// is never interrupted, and the job's quantum starts after it. A better job that becomes
// ready during a switch preempts the job switched in when the switch ends (rule 1), so that
// job may have run for 0 units: the price of preemption with a switch cost. Re-dispatching the same
// job (RR with one ready job, a job back from IO on an idle CPU) costs nothing.
//
// Thread safety: the functions are pure; distinct calls may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sched {

// Time in abstract integer units (think milliseconds).
using Time = std::int64_t;

struct Job {
  std::string name;
  Time arrival = 0;
  std::vector<Time> bursts;  // CPU, IO, CPU, ..., CPU: an odd count, every value positive
  int priority = 0;          // priority policies only: smaller is more urgent
};

enum class PolicyKind {
  fcfs,                 // first-come-first-served (先来先服务), non-preemptive
  sjf,                  // shortest-job-first (短作业优先), non-preemptive
  srtf,                 // shortest-remaining-time-first: SJF's preemptive form
  priority,             // priority scheduling, non-preemptive
  priority_preemptive,  // priority scheduling, preemptive
  round_robin,          // time slices (时间片轮转法)
  mlfq,                 // multilevel feedback queue (分级反馈队列)
  uniprogramming,       // 单道: FCFS, and a job keeps the CPU through its IO (the CPU idles)
};

// A policy and its parameters. Build one with the named constructors.
struct Policy {
  PolicyKind kind = PolicyKind::fcfs;
  // round_robin: {quantum}. mlfq: one quantum per level, top level first; every level is
  // round robin with its quantum, a job that uses up its level's quantum moves one level
  // down (the bottom level keeps it), a job that blocks for IO before that keeps its level
  // and gets a fresh quantum when it is back, a job preempted by a higher level keeps what
  // it has used of its quantum. New jobs start at the top.
  std::vector<Time> quanta;
  // mlfq: every boost_period units (at t = k * boost_period) every job moves back to the top
  // level with a fresh quantum (ready jobs keep their relative order, higher levels first).
  // 0 = never.
  Time boost_period = 0;

  static Policy fcfs() { return {PolicyKind::fcfs, {}, 0}; }
  static Policy sjf() { return {PolicyKind::sjf, {}, 0}; }
  static Policy srtf() { return {PolicyKind::srtf, {}, 0}; }
  static Policy priority(bool preemptive = false) {
    return {preemptive ? PolicyKind::priority_preemptive : PolicyKind::priority, {}, 0};
  }
  static Policy round_robin(Time quantum) { return {PolicyKind::round_robin, {quantum}, 0}; }
  static Policy mlfq(std::vector<Time> level_quanta, Time boost_period = 0) {
    return {PolicyKind::mlfq, std::move(level_quanta), boost_period};
  }
  static Policy uniprogramming() { return {PolicyKind::uniprogramming, {}, 0}; }

  // "FCFS", "SJF", "SRTF", "Priority", "Priority (preemptive)", "RR q=4",
  // "MLFQ q=2/4/8 boost=50", "Uniprogramming".
  [[nodiscard]] std::string name() const;
  // Throws triad::ValueError if a quantum is <= 0, MLFQ has no level, the boost period is
  // negative, or a quantum is given to a policy that has none.
  void validate() const;
};

struct Options {
  Time switch_cost = 0;  // time to load a different job's context; >= 0
};

enum class State { ready, running, blocked };

// A job's state over [start, end).
struct Interval {
  Time start = 0;
  Time end = 0;
  State state = State::ready;
};

// What the CPU did over [start, end).
struct Slice {
  enum class Kind { run, idle, context_switch };
  Time start = 0;
  Time end = 0;
  Kind kind = Kind::idle;
  int job = -1;  // index into Schedule::jobs: the job run, or switched to; -1 when idle
};

struct JobResult {
  std::string name;
  Time arrival = 0;
  int priority = 0;
  Time cpu = 0;                  // total CPU demand
  Time io = 0;                   // total IO time
  Time first_run = 0;            // when it first ran on the CPU
  Time finish = 0;               // when its last burst ended
  std::vector<Interval> states;  // contiguous, from arrival to finish, merged

  [[nodiscard]] Time turnaround() const { return finish - arrival; }
  [[nodiscard]] Time waiting() const { return turnaround() - cpu - io; }
  [[nodiscard]] Time response() const { return first_run - arrival; }
};

struct Schedule {
  std::string policy;  // Policy::name()
  Time switch_cost = 0;
  Time start = 0;                    // the earliest arrival: the timeline starts here
  Time end = 0;                      // the last finish
  std::vector<Slice> cpu;            // contiguous from start to end; one run slice per dispatch
  std::vector<JobResult> jobs;       // in input order
  std::size_t context_switches = 0;  // dispatches of a job other than the last one run

  [[nodiscard]] Time total_waiting() const;
  [[nodiscard]] Time total_turnaround() const;
  [[nodiscard]] Time total_response() const;
  [[nodiscard]] double average_waiting() const;
  [[nodiscard]] double average_turnaround() const;
  [[nodiscard]] double average_response() const;
  [[nodiscard]] Time busy() const;           // time the CPU ran jobs
  [[nodiscard]] double utilization() const;  // busy / (end - start), in [0, 1]
  // The index of the job with this name, or -1.
  [[nodiscard]] int find(const std::string& name) const;
};

// Throws triad::ValueError with a precise message for an empty list, an empty or duplicate
// name, a negative arrival, no bursts, an even number of bursts (a job must end with a CPU
// burst), a burst <= 0, or times so large the simulation could overflow (> 10^12 in total).
void validate(const std::vector<Job>& jobs);

// Runs the jobs under the policy. Throws triad::ValueError for bad jobs (validate()), a bad
// policy (Policy::validate()), a negative switch cost, or an input that could need more than
// 10^6 quantum expiries (total CPU time / smallest quantum) or MLFQ boosts (CPU busy time /
// boost period). Time and memory are linear in the number of scheduling events (dispatches,
// arrivals, IO completions, boosts while a job is ready or running), times the job count.
[[nodiscard]] Schedule simulate(const std::vector<Job>& jobs, const Policy& policy,
                                const Options& options = {});

}  // namespace sched
