// S37 (seed 002): process scheduling. The seed describes the policies in prose, without code:
//
//   进程调度: 当代操作系统使用的是:时间片轮转法 + 分级反馈队列
//   1、先来先服务调度: a, b程序, 若a程序先来, 先占用CPU
//      缺点:程序a先使用,程序b必须等待程序a使用CPU结束后才能使用
//   2、短作业优先调度: a, b程序,谁的用时短,先优先调度使用cpu
//      缺点:若程序a使用时间最长,有N个程序使用时间短,必须等待所有用时短的程序结束后才能使用
//   3、时间片轮转法 CPU执行的时间1秒中,加载N个程序。要将1秒钟等分N个时间片
//   4、分级反馈队列 将执行优先分为多层级别
//   (and, around it: the CPU is taken away at IO and when a program runs too long, which costs
//   a switch; the three states ready / running / blocked; keep the CPU busy.)
//
// The port is a simulator (examples/s37_scheduling/, docs/scheduling.md): it replays each
// policy on the textbook job sets, prints the timelines and the averages, checks the known
// answers, shows each drawback the seed names, and writes one SVG Gantt chart per policy to
// $TMPDIR/triad-s37/ (std::filesystem::temp_directory_path(), usually /tmp/triad-s37/).
// No sleeps: the simulation is pure computation, so --fast changes nothing.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "s37_scheduling/render.hpp"
#include "s37_scheduling/scheduler.hpp"
#include "tour/scenario.hpp"

namespace {

using sched::Job;
using sched::Policy;
using sched::Schedule;

void print(tour::Context& ctx, const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) ctx.say(line);
}

// Writes the file atomically (a temporary, then rename) so that concurrent runs of the tour
// never leave a half-written chart. Returns false on failure.
bool write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!(f << text) || !f.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return !ec;
}

std::string file_name(const std::string& policy) {
  std::string out;
  for (char c : policy) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += keep ? static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) : '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out + ".svg";
}

// The mixed workload: an interactive editor (short CPU bursts between IO), a CPU-bound
// compile, an IO-heavy backup and a short report that arrives later. Priorities (for the
// priority policy; smaller is more urgent): editor 1, backup 2, report 3, compile 4.
std::vector<Job> mixed_jobs() {
  return {{"editor", 0, {1, 4, 1, 4, 1}, 1},
          {"compile", 0, {12}, 4},
          {"backup", 2, {2, 6, 2}, 2},
          {"report", 5, {4}, 3}};
}

std::vector<Policy> every_policy() {
  return {Policy::fcfs(),          Policy::sjf(),          Policy::srtf(),
          Policy::priority(),      Policy::round_robin(4), Policy::mlfq({2, 4, 8}, 20),
          Policy::uniprogramming()};
}

// Invariants every schedule must satisfy, whatever the policy.
bool consistent(const Schedule& s, const std::vector<Job>& jobs) {
  sched::Time cpu = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto& r = s.jobs[i];
    if (r.finish <= r.arrival || r.waiting() < 0 || r.response() < 0) return false;
    cpu += r.cpu;
  }
  return s.busy() == cpu && !s.cpu.empty() && s.cpu.front().start == s.start &&
         s.cpu.back().end == s.end;
}

}  // namespace

TOUR_SCENARIO(S37, "002", "进程调度", "Process scheduling: FCFS, SJF, round robin, MLFQ",
              "A simulator replays the seed's scheduling policies on textbook job sets: each "
              "policy's timeline, per-job waiting, turnaround and response time, the averages, "
              "and an SVG Gantt chart per policy.") {
  // 1. 先来先服务 vs 短作业优先: a long program first makes the short ones wait (the convoy).
  ctx.say("1. 先来先服务 / 短作业优先 — P1=24, P2=3, P3=3, all arriving at t=0:");
  const std::vector<Job> convoy{{"P1", 0, {24}}, {"P2", 0, {3}}, {"P3", 0, {3}}};
  const auto fcfs = sched::simulate(convoy, Policy::fcfs());
  const auto sjf = sched::simulate(convoy, Policy::sjf());
  print(ctx, sched::describe(fcfs));
  print(ctx, sched::describe(sjf));
  ctx.check(fcfs.total_waiting() == 51, "FCFS: P2 and P3 wait for P1; average waiting 51/3 = 17");
  ctx.check(sjf.total_waiting() == 9, "SJF runs the short jobs first; average waiting 9/3 = 3");

  // The textbook answers of the other policies.
  ctx.say("Textbook job sets (Silberschatz, Operating System Concepts):");
  const auto sjf4 = sched::simulate(
      {{"P1", 0, {6}}, {"P2", 0, {8}}, {"P3", 0, {7}}, {"P4", 0, {3}}}, Policy::sjf());
  const auto srtf = sched::simulate(
      {{"P1", 0, {8}}, {"P2", 1, {4}}, {"P3", 2, {9}}, {"P4", 3, {5}}}, Policy::srtf());
  const auto rr = sched::simulate(convoy, Policy::round_robin(4));
  const auto prio = sched::simulate({{"P1", 0, {10}, 3},
                                     {"P2", 0, {1}, 1},
                                     {"P3", 0, {2}, 4},
                                     {"P4", 0, {1}, 5},
                                     {"P5", 0, {5}, 2}},
                                    Policy::priority());
  for (const auto* s : {&sjf4, &srtf, &rr, &prio}) {
    ctx.say(s->policy + ": " + sched::gantt_line(*s) + "   average waiting " +
            sched::fixed2(s->average_waiting()));
  }
  ctx.check(sjf4.total_waiting() == 28, "SJF on P1=6, P2=8, P3=7, P4=3: average waiting 7");
  ctx.check(srtf.total_waiting() == 26 &&
                sched::gantt_line(srtf) == "0 [P1] 1 [P2] 5 [P4] 10 [P1] 17 [P3] 26",
            "SRTF on P1(0,8) P2(1,4) P3(2,9) P4(3,5): P2 preempts P1; average waiting 6.5");
  ctx.check(rr.total_waiting() == 17 && sched::gantt_line(rr) == "0 [P1] 4 [P2] 7 [P3] 10 [P1] 30",
            "RR q=4 on P1=24, P2=3, P3=3: average waiting 17/3 = 5.67");
  ctx.check(prio.total_waiting() == 41, "priority on the five-job example: average waiting 8.2");

  // 短作业优先's drawback: a long job waits for every short one that keeps arriving.
  ctx.say("2. 短作业优先的缺点 — a long job L and short jobs arriving every 2 units:");
  std::vector<Job> stream{{"S0", 0, {3}}, {"L", 1, {10}}};
  for (int i = 1; i <= 5; ++i) stream.push_back({"S" + std::to_string(i), 2 * i, {3}});
  const auto stream_fcfs = sched::simulate(stream, Policy::fcfs());
  const auto stream_sjf = sched::simulate(stream, Policy::sjf());
  const auto& long_fcfs = stream_fcfs.jobs[1];
  const auto& long_sjf = stream_sjf.jobs[1];
  ctx.say("FCFS: " + sched::gantt_line(stream_fcfs) + "   L waits " +
          std::to_string(long_fcfs.waiting()));
  ctx.say("SJF:  " + sched::gantt_line(stream_sjf) + "   L waits " +
          std::to_string(long_sjf.waiting()));
  ctx.check(long_sjf.waiting() == 17 && long_fcfs.waiting() == 2 &&
                stream_sjf.average_waiting() < stream_fcfs.average_waiting(),
            "SJF lowers the average but L waits for all five short jobs (17 units, not 2)");

  // 3. Every policy on a workload with IO: the CPU switches away at IO (阻塞态), the three
  // states, and the uniprogramming baseline (单道) that keeps the CPU through IO.
  ctx.say("3. Every policy on jobs with IO — name@arrival bursts (CPU, IO, CPU, ...) priority:");
  ctx.say("   editor@0 1,4,1,4,1 p1; compile@0 12 p4; backup@2 2,6,2 p2; report@5 4 p3");
  ctx.say("   per job: '#' running (运行态), '.' ready (就绪态), '~' blocked in IO (阻塞态)");
  const auto jobs = mixed_jobs();
  std::vector<Schedule> all;
  bool all_consistent = true;
  for (const Policy& p : every_policy()) {
    all.push_back(sched::simulate(jobs, p));
    print(ctx, sched::describe(all.back()));
    print(ctx, sched::state_chart(all.back()));
    all_consistent = all_consistent && consistent(all.back(), jobs);
  }
  print(ctx, sched::summary_table(all));
  const Schedule& fcfs_io = all[0];
  const Schedule& srtf_io = all[2];
  const Schedule& mlfq_io = all[5];
  const Schedule& uni_io = all[6];
  ctx.check(all_consistent, "every policy finishes every job and runs exactly the CPU time asked");
  ctx.check(
      uni_io.utilization() < fcfs_io.utilization() && uni_io.end > fcfs_io.end,
      "multiprogramming (switching at IO) keeps the CPU busier and finishes sooner than 单道");
  ctx.check(mlfq_io.average_response() < fcfs_io.average_response(),
            "MLFQ answers the interactive jobs sooner than FCFS (average response)");
  ctx.check(srtf_io.average_waiting() <= all[1].average_waiting(),
            "SRTF waits no longer on average than SJF here");
  ctx.check(sched::gantt_line(mlfq_io) ==
                "0 [compile] 2 [editor] 3 [backup] 5 [report] 7 [editor] 8 [compile] 11 "
                "[backup] 13 [editor] 14 [report] 16 [compile] 23",
            "MLFQ q=2/4/8 boost=20: the hand-checked timeline");

  // 4. 时间片轮转法's cost: each switch takes time, so a tiny quantum lowers throughput.
  ctx.say("4. Time slices with a context switch of 1 unit (程序的执行率降低):");
  std::vector<Schedule> slices;
  for (sched::Time q : {1, 4, 16})
    slices.push_back(sched::simulate(jobs, Policy::round_robin(q), {.switch_cost = 1}));
  print(ctx, sched::summary_table(slices));
  ctx.check(slices[0].context_switches > slices[1].context_switches &&
                slices[0].utilization() < slices[1].utilization() && slices[0].end > slices[1].end,
            "RR q=1 switches more than q=4, so the CPU does less useful work and finishes later");

  // 5. The SVG charts.
  std::error_code ec;
  const auto dir = std::filesystem::temp_directory_path(ec) / "triad-s37";
  std::filesystem::create_directories(dir, ec);
  std::size_t written = 0;
  bool well_formed = true;
  for (const Schedule& s : all) {
    const std::string svg = sched::to_svg(s);
    well_formed = well_formed && svg.rfind("<?xml", 0) == 0 &&
                  svg.find("<svg") != std::string::npos && svg.size() > 13 &&
                  svg.compare(svg.size() - 7, 7, "</svg>\n") == 0;
    if (write_file(dir / file_name(s.policy), svg)) ++written;
  }
  ctx.say("5. SVG Gantt charts of section 3: " + std::to_string(written) + " files in " +
          dir.string() + "/ (e.g. " + file_name(mlfq_io.policy) + ")");
  ctx.check(written == all.size() && well_formed, "one well-formed SVG per policy was written");
}
