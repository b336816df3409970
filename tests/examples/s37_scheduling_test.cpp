// S37: the scheduling simulator (examples/s37_scheduling/) against textbook answers and
// hand-checked timelines, its invariants on generated job sets, the SVG output, bad input,
// and the scenario examples/s37_scheduling.cpp itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "s37_scheduling/render.hpp"
#include "s37_scheduling/scheduler.hpp"
#include "tour/scenario.hpp"
#include "triad/core/error.hpp"

namespace {

using sched::Job;
using sched::Policy;
using sched::Schedule;
using sched::Slice;
using sched::State;
using sched::Time;

const std::vector<Job> kConvoy{{"P1", 0, {24}}, {"P2", 0, {3}}, {"P3", 0, {3}}};

Time waiting_of(const Schedule& s, const std::string& name) {
  return s.jobs.at(static_cast<std::size_t>(s.find(name))).waiting();
}

// ---------------------------------------------------------------- textbook answers

TEST(S37Textbook, FcfsConvoy) {
  const auto s = sched::simulate(kConvoy, Policy::fcfs());
  EXPECT_EQ(sched::gantt_line(s), "0 [P1] 24 [P2] 27 [P3] 30");
  EXPECT_EQ(s.total_waiting(), 51);  // 0 + 24 + 27
  EXPECT_DOUBLE_EQ(s.average_waiting(), 17.0);
  EXPECT_DOUBLE_EQ(s.average_turnaround(), 27.0);
  EXPECT_EQ(s.context_switches, 2U);
  EXPECT_DOUBLE_EQ(s.utilization(), 1.0);
}

TEST(S37Textbook, SjfFourJobs) {
  const auto s = sched::simulate({{"P1", 0, {6}}, {"P2", 0, {8}}, {"P3", 0, {7}}, {"P4", 0, {3}}},
                                 Policy::sjf());
  EXPECT_EQ(sched::gantt_line(s), "0 [P4] 3 [P1] 9 [P3] 16 [P2] 24");
  EXPECT_EQ(s.total_waiting(), 28);  // 3 + 16 + 9 + 0
  EXPECT_DOUBLE_EQ(s.average_waiting(), 7.0);
}

TEST(S37Textbook, SrtfPreempts) {
  const auto s = sched::simulate({{"P1", 0, {8}}, {"P2", 1, {4}}, {"P3", 2, {9}}, {"P4", 3, {5}}},
                                 Policy::srtf());
  EXPECT_EQ(sched::gantt_line(s), "0 [P1] 1 [P2] 5 [P4] 10 [P1] 17 [P3] 26");
  EXPECT_EQ(s.total_waiting(), 26);  // 9 + 0 + 15 + 2
  EXPECT_DOUBLE_EQ(s.average_waiting(), 6.5);
  EXPECT_EQ(waiting_of(s, "P1"), 9);
  EXPECT_EQ(s.jobs[0].response(), 0);
  EXPECT_EQ(s.jobs[2].response(), 15);
}

TEST(S37Textbook, RoundRobinQuantum4) {
  const auto s = sched::simulate(kConvoy, Policy::round_robin(4));
  EXPECT_EQ(sched::gantt_line(s), "0 [P1] 4 [P2] 7 [P3] 10 [P1] 30");
  EXPECT_EQ(s.total_waiting(), 17);  // 6 + 4 + 7
  EXPECT_NEAR(s.average_waiting(), 5.6667, 1e-4);
  EXPECT_EQ(s.total_response(), 11);  // 0 + 4 + 7
  // P1 alone from t=10: five more quanta, each re-dispatch of the same job (no switch).
  std::size_t p1_slices = 0;
  for (const auto& sl : s.cpu) p1_slices += sl.kind == Slice::Kind::run && sl.job == 0;
  EXPECT_EQ(p1_slices, 6U);
  EXPECT_EQ(s.context_switches, 3U);
}

TEST(S37Textbook, PriorityNonPreemptive) {
  const auto s = sched::simulate({{"P1", 0, {10}, 3},
                                  {"P2", 0, {1}, 1},
                                  {"P3", 0, {2}, 4},
                                  {"P4", 0, {1}, 5},
                                  {"P5", 0, {5}, 2}},
                                 Policy::priority());
  EXPECT_EQ(sched::gantt_line(s), "0 [P2] 1 [P5] 6 [P1] 16 [P3] 18 [P4] 19");
  EXPECT_EQ(s.total_waiting(), 41);
  EXPECT_DOUBLE_EQ(s.average_waiting(), 8.2);
}

TEST(S37Textbook, PriorityPreemptive) {
  const std::vector<Job> jobs{{"A", 0, {5}, 2}, {"B", 1, {2}, 1}, {"C", 2, {1}, 2}};
  const auto pre = sched::simulate(jobs, Policy::priority(true));
  EXPECT_EQ(pre.policy, "Priority (preemptive)");
  // B (more urgent) preempts A at 1; C ties with A, so A (queued first, at 1) goes on.
  EXPECT_EQ(sched::gantt_line(pre), "0 [A] 1 [B] 3 [A] 7 [C] 8");
  const auto non = sched::simulate(jobs, Policy::priority());
  EXPECT_EQ(sched::gantt_line(non), "0 [A] 5 [B] 7 [C] 8");
}

// ---------------------------------------------------------------- MLFQ

TEST(S37Mlfq, DemotionAfterAFullQuantum) {
  // A uses its level-0 quantum (2) and drops to level 1; B, still at level 0, goes first;
  // then A finishes at level 1 (quantum 4, 3 left).
  const auto s = sched::simulate({{"A", 0, {5}}, {"B", 1, {2}}}, Policy::mlfq({2, 4}));
  EXPECT_EQ(sched::gantt_line(s), "0 [A] 2 [B] 4 [A] 7");
  EXPECT_EQ(waiting_of(s, "A"), 2);
  EXPECT_EQ(waiting_of(s, "B"), 1);
  EXPECT_EQ(s.policy, "MLFQ q=2/4");
}

TEST(S37Mlfq, HigherLevelPreemptsAndKeepsTheUsedQuantum) {
  // The mixed workload of the scenario, traced by hand (docs/scheduling.md walks through it):
  // backup, back from IO at 11 at level 0, preempts compile (level 1, 3 of 4 used); compile
  // later gets only the 1 unit left of that quantum (16-17), drops to level 2, and the boost
  // at 20 moves it back to level 0 (quantum 2: 20-22), then level 1 (22-23).
  const std::vector<Job> jobs{{"editor", 0, {1, 4, 1, 4, 1}},
                              {"compile", 0, {12}},
                              {"backup", 2, {2, 6, 2}},
                              {"report", 5, {4}}};
  const auto s = sched::simulate(jobs, Policy::mlfq({2, 4, 8}, 20));
  EXPECT_EQ(sched::gantt_line(s),
            "0 [compile] 2 [editor] 3 [backup] 5 [report] 7 [editor] 8 [compile] 11 [backup] 13 "
            "[editor] 14 [report] 16 [compile] 23");
  std::vector<std::pair<Time, Time>> compile_runs;
  for (const auto& sl : s.cpu) {
    if (sl.kind == Slice::Kind::run && sl.job == 1) compile_runs.emplace_back(sl.start, sl.end);
  }
  EXPECT_EQ(compile_runs,
            (std::vector<std::pair<Time, Time>>{{0, 2}, {8, 11}, {16, 17}, {17, 22}, {22, 23}}));
  EXPECT_EQ(s.total_waiting(), 22);
  EXPECT_EQ(s.total_response(), 3);
}

TEST(S37Mlfq, PeriodicBoostLiftsALongJob) {
  const std::vector<Job> jobs{{"L", 0, {10}}, {"S", 3, {5}}};
  const auto plain = sched::simulate(jobs, Policy::mlfq({2, 8}));
  EXPECT_EQ(sched::gantt_line(plain), "0 [L] 3 [S] 5 [L] 12 [S] 15");
  const auto boosted = sched::simulate(jobs, Policy::mlfq({2, 8}, 4));
  EXPECT_EQ(boosted.policy, "MLFQ q=2/8 boost=4");
  // Boost at 4: S (running, 1 used) gets a fresh level-0 quantum (4-6); at 8 L's expired
  // quantum and the boost coincide: L rejoins level 0 behind S.
  EXPECT_EQ(sched::gantt_line(boosted), "0 [L] 3 [S] 6 [L] 8 [S] 10 [L] 15");
}

TEST(S37Mlfq, BoostReachesAJobBlockedInIo) {
  // A drops to level 1, then blocks for IO over the boosts at 5 and 10 (the CPU idles): it
  // comes back at 12 at level 0, so it runs before B, a newcomer at 12 (arrival order).
  const std::vector<Job> jobs{{"A", 0, {2, 10, 3}}, {"B", 12, {2}}};
  EXPECT_EQ(sched::gantt_line(sched::simulate(jobs, Policy::mlfq({1, 8}, 5))),
            "0 [A] 2 [idle] 12 [A] 13 [B] 14 [A] 16 [B] 17");
  // Without the boost A is still at level 1 and B goes first.
  EXPECT_EQ(sched::gantt_line(sched::simulate(jobs, Policy::mlfq({1, 8}))),
            "0 [A] 2 [idle] 12 [B] 13 [A] 16 [B] 17");
}

TEST(S37Mlfq, LongIdleStretchesCostNoBoostEvents) {
  // A boost every unit, and 10^11 idle units between the jobs: finishes at once.
  const auto s =
      sched::simulate({{"A", 0, {1}}, {"B", 100'000'000'000, {1}}}, Policy::mlfq({2}, 1));
  EXPECT_EQ(sched::gantt_line(s), "0 [A] 1 [idle] 100000000000 [B] 100000000001");
  EXPECT_LT(s.cpu.size(), 4U);
}

TEST(S37Mlfq, OneLevelIsRoundRobin) {
  const std::vector<Job> jobs{{"A", 0, {5, 2, 3}}, {"B", 1, {4}}, {"C", 2, {1, 1, 1}}};
  const auto rr = sched::simulate(jobs, Policy::round_robin(2));
  const auto one = sched::simulate(jobs, Policy::mlfq({2}));
  EXPECT_EQ(sched::gantt_line(rr), sched::gantt_line(one));
  EXPECT_EQ(rr.total_waiting(), one.total_waiting());
}

// ---------------------------------------------------------------- IO, idle CPU, ties

TEST(S37Io, IoOfDifferentJobsOverlaps) {
  const auto s = sched::simulate({{"A", 0, {2, 5, 1}}, {"B", 0, {2, 5, 1}}}, Policy::fcfs());
  EXPECT_EQ(sched::gantt_line(s), "0 [A] 2 [B] 4 [idle] 7 [A] 8 [idle] 9 [B] 10");
  // Both in IO during 4-7: the waits overlap, the run takes 10 units, not 16.
  EXPECT_EQ(s.end, 10);
  EXPECT_EQ(s.busy(), 6);
  EXPECT_DOUBLE_EQ(s.utilization(), 0.6);
  const auto& a = s.jobs[0];
  ASSERT_EQ(a.states.size(), 3U);
  EXPECT_EQ(a.states[1].state, State::blocked);
  EXPECT_EQ(a.states[1].start, 2);
  EXPECT_EQ(a.states[1].end, 7);
  EXPECT_EQ(a.waiting(), 0);
  EXPECT_EQ(s.jobs[1].waiting(), 2);
  EXPECT_EQ(s.jobs[1].io, 5);
}

TEST(S37Io, SjfUsesTheNextCpuBurst) {
  // At 2, C (2) goes before B (6); at 4, A is back from IO with a 1-unit burst and goes
  // before B, which has been ready since 1: SJF compares the next CPU bursts.
  const auto s =
      sched::simulate({{"A", 0, {2, 1, 1}}, {"B", 1, {6}}, {"C", 2, {2}}}, Policy::sjf());
  EXPECT_EQ(sched::gantt_line(s), "0 [A] 2 [C] 4 [A] 5 [B] 11");
}

TEST(S37Io, MultiprogrammingBeatsUniprogramming) {
  const std::vector<Job> jobs{{"A", 0, {2, 3, 2}}, {"B", 0, {2}}};
  const auto uni = sched::simulate(jobs, Policy::uniprogramming());
  EXPECT_EQ(sched::gantt_line(uni), "0 [A] 2 [idle] 5 [A] 7 [B] 9");  // A holds the CPU in IO
  EXPECT_EQ(waiting_of(uni, "B"), 7);
  const auto multi = sched::simulate(jobs, Policy::fcfs());
  EXPECT_EQ(sched::gantt_line(multi), "0 [A] 2 [B] 4 [idle] 5 [A] 7");
  EXPECT_LT(uni.utilization(), multi.utilization());
}

TEST(S37Idle, GapsAndLateStart) {
  const auto gap = sched::simulate({{"A", 0, {2}}, {"B", 5, {3}}}, Policy::round_robin(1));
  EXPECT_EQ(sched::gantt_line(gap), "0 [A] 2 [idle] 5 [B] 8");
  EXPECT_EQ(gap.total_waiting(), 0);
  const auto late = sched::simulate({{"A", 3, {2}}}, Policy::srtf());
  EXPECT_EQ(late.start, 3);  // the timeline starts at the first arrival
  EXPECT_EQ(sched::gantt_line(late), "3 [A] 5");
  EXPECT_DOUBLE_EQ(late.utilization(), 1.0);
}

TEST(S37Ties, SameArrivalGoesByName) {
  // Listed b, a, c: the input order does not matter; arrival time, then name, does.
  const std::vector<Job> jobs{{"b", 0, {2}}, {"a", 0, {2}}, {"c", 0, {2}}};
  EXPECT_EQ(sched::gantt_line(sched::simulate(jobs, Policy::fcfs())), "0 [a] 2 [b] 4 [c] 6");
  EXPECT_EQ(sched::gantt_line(sched::simulate(jobs, Policy::sjf())), "0 [a] 2 [b] 4 [c] 6");
  EXPECT_EQ(sched::gantt_line(sched::simulate(jobs, Policy::round_robin(1))),
            "0 [a] 1 [b] 2 [c] 3 [a] 4 [b] 5 [c] 6");
}

TEST(S37Ties, ArrivalJoinsAheadOfTheExpiredQuantum) {
  const auto s = sched::simulate({{"A", 0, {4}}, {"B", 2, {2}}}, Policy::round_robin(2));
  EXPECT_EQ(sched::gantt_line(s), "0 [A] 2 [B] 4 [A] 6");
}

TEST(S37Ties, EqualRemainingTimeDoesNotPreempt) {
  const auto s = sched::simulate({{"A", 0, {4}}, {"B", 1, {3}}}, Policy::srtf());
  EXPECT_EQ(sched::gantt_line(s), "0 [A] 4 [B] 7");
}

TEST(S37Ties, BurstEndingWithItsQuantumIsNotDemoted) {
  // A's first burst is exactly the level-0 quantum: it goes to IO and comes back at level 0,
  // ahead of B, which used a full quantum without finishing and dropped to level 1.
  const auto s = sched::simulate({{"A", 0, {2, 1, 2}}, {"B", 0, {6}}}, Policy::mlfq({2, 4}));
  EXPECT_EQ(sched::gantt_line(s), "0 [A] 2 [B] 4 [A] 6 [B] 10");
}

// ---------------------------------------------------------------- context switches

TEST(S37Switch, CostIsPaidOnlyForADifferentJob) {
  const auto two =
      sched::simulate({{"A", 0, {2}}, {"B", 0, {2}}}, Policy::fcfs(), {.switch_cost = 1});
  EXPECT_EQ(sched::gantt_line(two), "0 [A] 2 [cs] 3 [B] 5");
  EXPECT_EQ(waiting_of(two, "B"), 3);  // switching in counts as waiting
  EXPECT_EQ(two.context_switches, 1U);
  EXPECT_EQ(two.busy(), 4);
  // One job, back from IO on an idle CPU and re-dispatched after its quantum: no switch.
  const auto one =
      sched::simulate({{"A", 0, {3, 2, 1}}}, Policy::round_robin(1), {.switch_cost = 5});
  EXPECT_EQ(sched::gantt_line(one), "0 [A] 3 [idle] 5 [A] 6");
  EXPECT_EQ(one.context_switches, 0U);
}

TEST(S37Switch, QuantumStartsAfterTheSwitch) {
  const auto s =
      sched::simulate({{"A", 0, {3}}, {"B", 0, {3}}}, Policy::round_robin(2), {.switch_cost = 1});
  EXPECT_EQ(sched::gantt_line(s), "0 [A] 2 [cs] 3 [B] 5 [cs] 6 [A] 7 [cs] 8 [B] 9");
  EXPECT_EQ(s.context_switches, 3U);
  EXPECT_EQ(s.jobs[1].response(), 3);
}

TEST(S37Switch, PreemptionWaitsForTheSwitchToEnd) {
  // B is being switched in (1-3) when C, shorter, arrives at 2: C preempts B when the switch
  // ends, before B has run at all.
  const auto s = sched::simulate({{"A", 0, {1}}, {"B", 0, {5}}, {"C", 2, {1}}}, Policy::srtf(),
                                 {.switch_cost = 2});
  EXPECT_EQ(sched::gantt_line(s), "0 [A] 1 [cs] 3 [cs] 5 [C] 6 [cs] 8 [B] 13");
  EXPECT_EQ(s.jobs[1].first_run, 8);
}

// ---------------------------------------------------------------- invariants

// Random job sets under every policy: the states tile each job's life, the CPU slices tile the
// timeline, runs match the running states, IO waits are exact, and (without switch cost and
// except for uniprogramming) the CPU never idles while a job is ready.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kRounds = 20;  // the same checks, fewer job sets: sanitizers are slow
#else
constexpr int kRounds = 60;
#endif

TEST(S37Invariants, GeneratedJobSets) {
  std::mt19937 rng(37);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::vector<Policy> policies{Policy::fcfs(),          Policy::sjf(),
                                     Policy::srtf(),          Policy::priority(),
                                     Policy::priority(true),  Policy::round_robin(1),
                                     Policy::round_robin(3),  Policy::mlfq({1, 2, 4}),
                                     Policy::mlfq({2, 5}, 7), Policy::uniprogramming()};
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Job> jobs;
    const int n = pick(1, 6);
    for (int i = 0; i < n; ++i) {
      Job j{"J" + std::to_string(i), pick(0, 12), {}, pick(0, 3)};
      const int bursts = 2 * pick(0, 3) + 1;
      for (int b = 0; b < bursts; ++b) j.bursts.push_back(pick(1, 6));
      jobs.push_back(j);
    }
    std::vector<Job> reversed(jobs.rbegin(), jobs.rend());
    for (const Policy& p : policies) {
      for (const Time cost : {Time{0}, Time{2}}) {
        SCOPED_TRACE(p.name() + " cost " + std::to_string(cost) + " round " +
                     std::to_string(round));
        const auto s = sched::simulate(jobs, p, {.switch_cost = cost});
        // The CPU slices tile [start, end).
        Time t = s.start;
        for (const auto& sl : s.cpu) {
          ASSERT_EQ(sl.start, t);
          ASSERT_LT(sl.start, sl.end);
          t = sl.end;
        }
        ASSERT_EQ(t, s.end);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
          const auto& r = s.jobs[i];
          // The states tile [arrival, finish); IO waits are the IO bursts, in order.
          Time at = jobs[i].arrival;
          Time running = 0;
          Time ready = 0;
          std::vector<Time> io;
          for (const auto& iv : r.states) {
            ASSERT_EQ(iv.start, at);
            ASSERT_LT(iv.start, iv.end);
            at = iv.end;
            if (iv.state == State::running) running += iv.end - iv.start;
            if (iv.state == State::ready) ready += iv.end - iv.start;
            if (iv.state == State::blocked) io.push_back(iv.end - iv.start);
          }
          ASSERT_EQ(at, r.finish);
          EXPECT_EQ(running, r.cpu);
          EXPECT_EQ(ready, r.waiting());
          std::vector<Time> want_io;
          for (std::size_t b = 1; b < jobs[i].bursts.size(); b += 2)
            want_io.push_back(jobs[i].bursts[b]);
          EXPECT_EQ(io, want_io);
          // Every running interval is covered by run slices of this job.
          for (const auto& iv : r.states) {
            if (iv.state != State::running) continue;
            Time covered = 0;
            for (const auto& sl : s.cpu) {
              if (sl.kind == Slice::Kind::run && sl.job == static_cast<int>(i)) {
                covered +=
                    std::max<Time>(0, std::min(sl.end, iv.end) - std::max(sl.start, iv.start));
              }
            }
            EXPECT_EQ(covered, iv.end - iv.start);
          }
        }
        if (cost == 0 && p.kind != sched::PolicyKind::uniprogramming) {
          for (const auto& sl : s.cpu) {
            if (sl.kind != Slice::Kind::idle) continue;
            for (const auto& r : s.jobs) {
              for (const auto& iv : r.states) {
                EXPECT_FALSE(iv.state == State::ready && iv.start < sl.end && sl.start < iv.end)
                    << r.name << " ready while the CPU idles at " << sl.start;
              }
            }
          }
        }
        // The input order does not matter (ties go by arrival, then name).
        const auto r2 = sched::simulate(reversed, p, {.switch_cost = cost});
        EXPECT_EQ(sched::gantt_line(s), sched::gantt_line(r2));
        EXPECT_EQ(s.total_waiting(), r2.total_waiting());
      }
    }
  }
}

// ---------------------------------------------------------------- text and SVG

TEST(S37Render, TableAndStateChart) {
  const auto s = sched::simulate({{"A", 0, {2, 5, 1}}, {"B", 0, {2, 5, 1}}}, Policy::fcfs());
  const auto table = sched::job_table(s);
  EXPECT_NE(table.find("turnaround"), std::string::npos) << table;
  EXPECT_NE(table.find("average"), std::string::npos) << table;
  EXPECT_NE(table.find("1.00"), std::string::npos) << table;  // average waiting (0 + 2) / 2
  EXPECT_EQ(sched::state_chart(s),
            "A   |##~~~~~#  |\n"
            "B   |..##~~~~~#|\n"
            "cpu |####---#-#|\n");
  EXPECT_EQ(sched::state_chart(s, 5), "");  // longer than 5 units: no chart
  const auto text = sched::describe(s);
  EXPECT_NE(text.find("== FCFS =="), std::string::npos) << text;
  EXPECT_NE(text.find("CPU busy 6 of 10 units (60.00%)"), std::string::npos) << text;
  const auto summary = sched::summary_table({s});
  EXPECT_NE(summary.find("avg waiting"), std::string::npos) << summary;
}

// A small XML well-formedness check: one root element, balanced tags, quoted attributes,
// known entities only. Returns "" when well-formed, else what is wrong.
std::string xml_problem(const std::string& x, std::string& root, std::size_t& elements) {
  std::vector<std::string> open;
  std::size_t i = 0;
  if (x.rfind("<?xml", 0) == 0) i = x.find("?>") + 2;
  bool had_root = false;
  while (i < x.size()) {
    if (x[i] == '&') {
      const auto semi = x.find(';', i);
      if (semi == std::string::npos) return "unterminated entity";
      const auto ent = x.substr(i, semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&apos;") {
        return "unknown entity " + ent;
      }
      i = semi + 1;
      continue;
    }
    if (x[i] == '>') return "stray '>'";
    if (x[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(x[i])))
        return "text outside the root";
      ++i;
      continue;
    }
    const auto close = x.find('>', i);
    if (close == std::string::npos) return "unterminated tag";
    std::string tag = x.substr(i + 1, close - i - 1);
    i = close + 1;
    if (tag.empty()) return "empty tag";
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1))
        return "mismatched </" + tag.substr(1) + ">";
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    if (self_closing) tag.pop_back();
    const auto name_end = tag.find_first_of(" \n\t");
    const std::string name = tag.substr(0, name_end);
    if (name.empty() || tag.find('<') != std::string::npos) return "bad tag <" + tag + ">";
    // Attributes: name="value" pairs; values have no raw '<', '&' only as entities.
    if (name_end != std::string::npos) {
      std::size_t k = name_end;
      while (k < tag.size()) {
        while (k < tag.size() && std::isspace(static_cast<unsigned char>(tag[k]))) ++k;
        if (k == tag.size()) break;
        const auto eq = tag.find('=', k);
        if (eq == std::string::npos || eq + 1 >= tag.size() || tag[eq + 1] != '"') {
          return "unquoted attribute in <" + name + ">";
        }
        const auto end_quote = tag.find('"', eq + 2);
        if (end_quote == std::string::npos) return "unterminated attribute in <" + name + ">";
        k = end_quote + 1;
      }
    }
    ++elements;
    if (open.empty()) {
      if (had_root) return "two root elements";
      had_root = true;
      root = name;
    }
    if (!self_closing) open.push_back(name);
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  return had_root ? "" : "no root element";
}

TEST(S37Render, SvgIsWellFormed) {
  const std::vector<Job> jobs{
      {"editor", 0, {1, 4, 1, 4, 1}}, {"compile", 0, {12}}, {"a<b & \"c\"", 2, {2, 6, 2}}};
  for (const Time cost : {Time{0}, Time{1}}) {
    const auto s = sched::simulate(jobs, Policy::mlfq({2, 4}, 10), {.switch_cost = cost});
    const auto svg = sched::to_svg(s);
    std::string root;
    std::size_t elements = 0;
    EXPECT_EQ(xml_problem(svg, root, elements), "") << svg;
    EXPECT_EQ(root, "svg");
    EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
    EXPECT_NE(svg.find("viewBox=\"0 0 "), std::string::npos);
    EXPECT_GT(elements, s.cpu.size());  // at least one rect per CPU slice
    // Names are escaped.
    EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot;"), std::string::npos);
    EXPECT_EQ(svg.find("a<b"), std::string::npos);
    EXPECT_NE(svg.find("blocked (IO)"), std::string::npos);
    EXPECT_EQ(svg.find("context switch to") != std::string::npos, cost > 0);
  }
  std::string root;
  std::size_t elements = 0;
  EXPECT_NE(xml_problem("<svg><g></svg></g>", root, elements), "");  // the checker checks
}

// ---------------------------------------------------------------- bad input

std::string error_of(const std::vector<Job>& jobs, const Policy& p = Policy::fcfs(),
                     const sched::Options& o = {}) {
  try {
    (void)sched::simulate(jobs, p, o);
  } catch (const triad::ValueError& e) {
    return e.what();
  }
  return "(no ValueError)";
}

TEST(S37Errors, BadJobs) {
  EXPECT_EQ(error_of({}), "the job list is empty: nothing to schedule");
  EXPECT_EQ(error_of({{"", 0, {1}}}), "job #0 has an empty name");
  EXPECT_EQ(error_of({{"A", 0, {1}}, {"A", 1, {2}}}), "duplicate job name 'A'");
  EXPECT_EQ(error_of({{"A", -1, {1}}}), "job 'A': arrival time must be >= 0, got -1");
  EXPECT_EQ(error_of({{"A", 0, {}}}), "job 'A' has no bursts (it needs at least one CPU burst)");
  EXPECT_EQ(error_of({{"A", 0, {3, 2}}}),
            "job 'A': bursts alternate CPU, IO, CPU, ... and must end with a CPU burst, got an "
            "even count (2)");
  EXPECT_EQ(error_of({{"A", 0, {0}}}), "job 'A': burst 0 (CPU) must be positive, got 0");
  EXPECT_EQ(error_of({{"A", 0, {1, -2, 1}}}), "job 'A': burst 1 (IO) must be positive, got -2");
  EXPECT_EQ(error_of({{"A", 0, {1'000'000'000'000, 1, 1}}}),
            "job 'A': the bursts of all jobs add up to more than 10^12");
  EXPECT_EQ(error_of({{"A", 2'000'000'000'000, {1}}}),
            "job 'A': arrival time 2000000000000 is above 10^12");
  EXPECT_THROW(sched::validate({{"A", 0, {}}}), triad::ValueError);
  EXPECT_NO_THROW(sched::validate({{"A", 0, {1, 1, 1}}}));
}

TEST(S37Errors, BadPolicies) {
  const std::vector<Job> ok{{"A", 0, {1}}};
  EXPECT_EQ(error_of(ok, Policy::round_robin(0)), "round robin quantum must be positive, got 0");
  EXPECT_EQ(error_of(ok, Policy::round_robin(-3)), "round robin quantum must be positive, got -3");
  EXPECT_EQ(error_of(ok, Policy::mlfq({})),
            "MLFQ needs at least one level (one quantum per level)");
  EXPECT_EQ(error_of(ok, Policy::mlfq({2, 0})), "MLFQ level 1 quantum must be positive, got 0");
  EXPECT_EQ(error_of(ok, Policy::mlfq({2}, -1)),
            "MLFQ boost period must be >= 0 (0 = never), got -1");
  EXPECT_EQ(error_of(ok, Policy{sched::PolicyKind::fcfs, {3}, 0}), "FCFS takes no quantum, got 1");
  EXPECT_EQ(error_of(ok, Policy{sched::PolicyKind::round_robin, {1, 2}, 0}),
            "round robin takes exactly one quantum, got 2");
  EXPECT_EQ(error_of(ok, Policy{sched::PolicyKind::sjf, {}, 5}),
            "SJF has no priority boost (boost period 5)");
  EXPECT_EQ(error_of(ok, Policy::fcfs(), {.switch_cost = -1}),
            "context switch cost must be >= 0, got -1");
  // Inputs that would need too many events are refused instead of running for ages.
  EXPECT_EQ(error_of({{"A", 0, {2'000'000}}}, Policy::round_robin(1)),
            "RR q=1: 2000000 units of CPU time make up to 2000000 quantum expiries, above the "
            "simulator's limit of 10^6; use a larger quantum");
  EXPECT_EQ(error_of({{"A", 0, {3'000'000}}}, Policy::mlfq({1'000'000}, 2)),
            "MLFQ q=1000000 boost=2: up to 1500000 priority boosts, above the simulator's limit "
            "of 10^6; use a longer boost period");
  EXPECT_NO_THROW((void)sched::simulate({{"A", 0, {1'000'000}}}, Policy::round_robin(1'000)));
  // All of them are triad::Errors, catchable as the library's base class.
  EXPECT_THROW((void)sched::simulate(ok, Policy::round_robin(0)), triad::Error);
}

// ---------------------------------------------------------------- the scenario

TEST(S37Scenario, RunsEveryPolicyAndChecksTheKnownAnswers) {
  ASSERT_NE(tour::find_scenario("S37"), nullptr);
  const auto r =
      tour::run_scenario(*tour::find_scenario("S37"), {.fast = true, .time_scale = 0.05});
  EXPECT_TRUE(r.passed()) << r.output;
  EXPECT_EQ(r.failed, 0U);
  EXPECT_GE(r.checks, 10U);
  for (const char* line :
       {"0 [P1] 24 [P2] 27 [P3] 30", "== MLFQ q=2/4/8 boost=20 ==", "== Uniprogramming ==",
        "[ok] FCFS: P2 and P3 wait for P1; average waiting 51/3 = 17",
        "[ok] SRTF on P1(0,8) P2(1,4) P3(2,9) P4(3,5): P2 preempts P1; average waiting 6.5",
        "[ok] RR q=4 on P1=24, P2=3, P3=3: average waiting 17/3 = 5.67",
        "[ok] one well-formed SVG per policy was written", "triad-s37", "avg waiting"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  }
}

}  // namespace
