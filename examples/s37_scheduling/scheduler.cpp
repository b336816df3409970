// The event loop behind sched::simulate (see scheduler.hpp for the rules it implements).
#include "s37_scheduling/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <string>
#include <utility>

#include "triad/core/error.hpp"

namespace sched {
namespace {

constexpr Time kMaxTotal = 1'000'000'000'000;  // 10^12: far from overflow
constexpr Time kNever = std::numeric_limits<Time>::max();
// Quantum expiries and boosts are events; inputs that could need more are refused, so that a
// simulation always ends quickly and its timeline stays small.
constexpr double kMaxEvents = 1'000'000;

std::string quote(const std::string& name) {
  return "'" + name + "'";
}

bool has_quanta(PolicyKind k) {
  return k == PolicyKind::round_robin || k == PolicyKind::mlfq;
}

enum class Phase { not_arrived, ready, running, blocked, done };

struct Run {
  std::size_t burst = 0;  // index into Job::bursts (even: a CPU burst; odd: an IO wait)
  Time remaining = 0;     // of the current CPU burst
  Phase phase = Phase::not_arrived;
  Time since = 0;         // start of the current state interval
  std::uint64_t seq = 0;  // order of joining the ready queue
  std::size_t level = 0;  // MLFQ level
  Time used = 0;          // of the current quantum
  Time io_until = 0;
  bool ran = false;
};

class Simulator {
 public:
  Simulator(const std::vector<Job>& jobs, const Policy& policy, const Options& options)
      : jobs_(jobs), policy_(policy), cost_(options.switch_cost), runs_(jobs.size()) {
    order_.resize(jobs.size());
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
      return std::pair(jobs[a].arrival, jobs[a].name) < std::pair(jobs[b].arrival, jobs[b].name);
    });
    out_.policy = policy.name();
    out_.switch_cost = cost_;
    for (const Job& j : jobs) {
      JobResult r;
      r.name = j.name;
      r.arrival = j.arrival;
      r.priority = j.priority;
      for (std::size_t i = 0; i < j.bursts.size(); ++i) (i % 2 == 0 ? r.cpu : r.io) += j.bursts[i];
      out_.jobs.push_back(std::move(r));
    }
    for (std::size_t i = 0; i < jobs.size(); ++i) runs_[i].remaining = jobs[i].bursts.front();
  }

  Schedule run() {
    Time t = jobs_[order_.front()].arrival;
    out_.start = t;
    std::size_t done = 0;
    while (true) {
      const int requeue = end_of_slice(t, done);
      if (done == jobs_.size()) break;
      boost(t);
      admit(t);
      if (requeue >= 0) enter_ready(idx(requeue), t);
      preempt(t);
      dispatch(t);
      t = advance(t);
    }
    out_.end = t;
    return std::move(out_);
  }

 private:
  static std::size_t idx(int j) { return static_cast<std::size_t>(j); }

  // The current quantum of job j, or kNever for policies without one.
  Time quantum(std::size_t j) const {
    if (policy_.kind == PolicyKind::round_robin) return policy_.quanta.front();
    if (policy_.kind == PolicyKind::mlfq) return policy_.quanta[runs_[j].level];
    return kNever;
  }

  void set_phase(std::size_t j, Phase p, Time t) {
    Run& r = runs_[j];
    if (r.phase == Phase::ready || r.phase == Phase::running || r.phase == Phase::blocked) {
      const State s = r.phase == Phase::ready     ? State::ready
                      : r.phase == Phase::running ? State::running
                                                  : State::blocked;
      auto& states = out_.jobs[j].states;
      if (t > r.since) {
        if (!states.empty() && states.back().state == s && states.back().end == r.since) {
          states.back().end = t;
        } else {
          states.push_back({r.since, t, s});
        }
      }
    }
    r.phase = p;
    r.since = t;
  }

  void enter_ready(std::size_t j, Time t) {
    set_phase(j, Phase::ready, t);
    runs_[j].seq = next_seq_++;
  }

  // The running job's burst ended or its quantum expired at t. Returns the job to requeue
  // (quantum expired) or -1.
  int end_of_slice(Time t, std::size_t& done) {
    if (cur_ < 0) return -1;
    const std::size_t j = idx(cur_);
    Run& r = runs_[j];
    if (switching_) {
      if (switch_end_ != t) return -1;
      switching_ = false;
      set_phase(j, Phase::running, t);
      fresh_ = true;
      return -1;
    }
    if (r.remaining == 0) {
      cur_ = -1;
      r.used = 0;
      if (r.burst + 1 == jobs_[j].bursts.size()) {
        set_phase(j, Phase::done, t);
        out_.jobs[j].finish = t;
        ++done;
        if (held_ == static_cast<int>(j)) held_ = -1;
      } else {
        r.io_until = t + jobs_[j].bursts[r.burst + 1];
        r.burst += 2;
        r.remaining = jobs_[j].bursts[r.burst];
        set_phase(j, Phase::blocked, t);
      }
      return -1;
    }
    if (r.used == quantum(j)) {
      cur_ = -1;
      r.used = 0;
      if (policy_.kind == PolicyKind::mlfq)
        r.level = std::min(r.level + 1, policy_.quanta.size() - 1);
      return static_cast<int>(j);
    }
    return -1;
  }

  // Every unfinished job moves to the top level with a fresh quantum; the ready ones keep the
  // order in which MLFQ would have picked them (higher levels first, then queue order).
  void boost(Time t) {
    const Time p = policy_.boost_period;
    if (policy_.kind != PolicyKind::mlfq || p <= 0 || t % p != 0) return;
    std::vector<std::size_t> ready;
    for (std::size_t j = 0; j < runs_.size(); ++j) {
      if (runs_[j].phase == Phase::ready && static_cast<int>(j) != cur_) ready.push_back(j);
    }
    std::sort(ready.begin(), ready.end(), [&](std::size_t a, std::size_t b) {
      return std::pair(runs_[a].level, runs_[a].seq) < std::pair(runs_[b].level, runs_[b].seq);
    });
    for (std::size_t j : ready) runs_[j].seq = next_seq_++;
    for (Run& r : runs_) {
      if (r.phase == Phase::done || r.phase == Phase::not_arrived) continue;
      r.level = 0;
      r.used = 0;
    }
  }

  void admit(Time t) {
    for (std::size_t j : order_) {
      Run& r = runs_[j];
      if (r.phase == Phase::not_arrived && jobs_[j].arrival == t) {
        r.level = 0;
        enter_ready(j, t);
      } else if (r.phase == Phase::blocked && r.io_until == t) {
        // Boosts are not simulated while nothing is ready or running (see advance()); a job
        // blocked across a boost instant gets it here. (A boost at `since` was applied.)
        const Time p = policy_.boost_period;
        if (policy_.kind == PolicyKind::mlfq && p > 0 && t / p > r.since / p) r.level = 0;
        enter_ready(j, t);
      }
    }
  }

  // Is ready job a strictly better than the running job c (preemptive policies only)?
  bool preempts(std::size_t a, std::size_t c) const {
    switch (policy_.kind) {
      case PolicyKind::srtf:
        return runs_[a].remaining < runs_[c].remaining;
      case PolicyKind::priority_preemptive:
        return jobs_[a].priority < jobs_[c].priority;
      case PolicyKind::mlfq:
        return runs_[a].level < runs_[c].level;
      default:
        return false;
    }
  }

  // The best ready job (not the one being switched in), or -1.
  int pick() const {
    int best = -1;
    auto key = [&](std::size_t j) -> std::pair<Time, std::uint64_t> {
      const Run& r = runs_[j];
      switch (policy_.kind) {
        case PolicyKind::sjf:
        case PolicyKind::srtf:
          return {r.remaining, r.seq};
        case PolicyKind::priority:
        case PolicyKind::priority_preemptive:
          return {jobs_[j].priority, r.seq};
        case PolicyKind::mlfq:
          return {static_cast<Time>(r.level), r.seq};
        default:
          return {0, r.seq};
      }
    };
    for (std::size_t j = 0; j < runs_.size(); ++j) {
      if (runs_[j].phase != Phase::ready || static_cast<int>(j) == cur_) continue;
      if (best < 0 || key(j) < key(idx(best))) best = static_cast<int>(j);
    }
    return best;
  }

  void preempt(Time t) {
    if (cur_ < 0 || switching_) return;
    const int best = pick();
    if (best < 0 || !preempts(idx(best), idx(cur_))) return;
    const std::size_t c = idx(cur_);
    cur_ = -1;
    enter_ready(c, t);
  }

  void dispatch(Time t) {
    if (cur_ >= 0) return;
    int j = -1;
    if (held_ >= 0) {
      if (runs_[idx(held_)].phase == Phase::ready) j = held_;  // else: the CPU idles, held
    } else {
      j = pick();
    }
    if (j < 0) return;
    cur_ = j;
    if (policy_.kind == PolicyKind::uniprogramming) held_ = j;
    if (last_ >= 0 && last_ != j) {
      ++out_.context_switches;
      if (cost_ > 0) {
        switching_ = true;
        switch_end_ = t + cost_;
        last_ = j;
        return;
      }
    }
    last_ = j;
    set_phase(idx(j), Phase::running, t);
    fresh_ = true;
  }

  void add_slice(Slice::Kind kind, int job, Time from, Time to) {
    if (!out_.cpu.empty()) {
      Slice& last = out_.cpu.back();
      // One slice per dispatch (a run), per switch, per idle stretch, although events (an
      // arrival, an IO completion) may fall inside it. Two switches to one job are never
      // adjacent: the second would find that job's context already loaded.
      const bool same_run =
          kind == Slice::Kind::run && !fresh_ && last.kind == kind && last.job == job;
      const bool same_other = kind != Slice::Kind::run && last.kind == kind && last.job == job;
      if (last.end == from && (same_run || same_other)) {
        last.end = to;
        return;
      }
    }
    out_.cpu.push_back({from, to, kind, job});
    if (kind == Slice::Kind::run) fresh_ = false;
  }

  // Moves time to the next event and accounts for the CPU in between. Returns the new time.
  Time advance(Time t) {
    Time next = kNever;
    if (cur_ >= 0) {
      const Run& r = runs_[idx(cur_)];
      next = switching_ ? switch_end_ : t + std::min(r.remaining, quantum(idx(cur_)) - r.used);
    }
    for (std::size_t j = 0; j < runs_.size(); ++j) {
      const Run& r = runs_[j];
      if (r.phase == Phase::not_arrived) next = std::min(next, jobs_[j].arrival);
      if (r.phase == Phase::blocked) next = std::min(next, r.io_until);
    }
    // A boost only matters while a job is ready or on the CPU: with the CPU idle and nothing
    // ready, the next boost is skipped (admit() applies missed boosts to blocked jobs), so a
    // long idle stretch costs no events.
    if (policy_.kind == PolicyKind::mlfq && policy_.boost_period > 0 &&
        (cur_ >= 0 || pick() >= 0)) {
      next = std::min(next, (t / policy_.boost_period + 1) * policy_.boost_period);
    }
    // next > t: every pending event lies in the future (a dispatch starts a positive slice).
    if (cur_ < 0) {
      add_slice(Slice::Kind::idle, -1, t, next);
    } else if (switching_) {
      add_slice(Slice::Kind::context_switch, cur_, t, next);
    } else {
      Run& r = runs_[idx(cur_)];
      const std::size_t c = idx(cur_);
      if (!r.ran) {
        r.ran = true;
        out_.jobs[c].first_run = t;
      }
      r.remaining -= next - t;
      r.used += next - t;
      add_slice(Slice::Kind::run, cur_, t, next);
    }
    return next;
  }

  const std::vector<Job>& jobs_;
  const Policy& policy_;
  Time cost_;
  std::vector<Run> runs_;
  std::vector<std::size_t> order_;  // job indices by (arrival, name)
  Schedule out_;
  std::uint64_t next_seq_ = 0;
  int cur_ = -1;   // the job on the CPU (running or being switched in)
  int last_ = -1;  // the job whose context the CPU holds
  int held_ = -1;  // uniprogramming: the job that owns the CPU until it finishes
  bool switching_ = false;
  Time switch_end_ = 0;
  bool fresh_ = false;  // a dispatch happened since the last run slice was recorded
};

// Throws if quantum expiries or boosts could exceed kMaxEvents.
void check_event_bound(const std::vector<Job>& jobs, const Policy& policy, const Options& options) {
  if (!has_quanta(policy.kind)) return;
  double cpu = 0;
  double bursts = 0;
  for (const Job& j : jobs) {
    for (std::size_t i = 0; i < j.bursts.size(); i += 2) cpu += static_cast<double>(j.bursts[i]);
    bursts += static_cast<double>(j.bursts.size());
  }
  const double qmin =
      static_cast<double>(*std::min_element(policy.quanta.begin(), policy.quanta.end()));
  const double expiries = std::floor(cpu / qmin);
  if (expiries > kMaxEvents) {
    throw triad::ValueError(policy.name() + ": " + std::to_string(static_cast<Time>(cpu)) +
                            " units of CPU time make up to " +
                            std::to_string(static_cast<Time>(expiries)) +
                            " quantum expiries, above the simulator's limit of 10^6; use a "
                            "larger quantum");
  }
  if (policy.boost_period > 0) {
    // Boosts happen only while the CPU is busy or switching (see advance()).
    const double dispatches = expiries + 2 * bursts;
    const double busy = cpu + static_cast<double>(options.switch_cost) * dispatches;
    const double boosts = std::floor(busy / static_cast<double>(policy.boost_period));
    if (boosts > kMaxEvents) {
      throw triad::ValueError(policy.name() + ": up to " +
                              std::to_string(static_cast<Time>(boosts)) +
                              " priority boosts, above the simulator's limit of 10^6; use a "
                              "longer boost period");
    }
  }
}

}  // namespace

std::string Policy::name() const {
  switch (kind) {
    case PolicyKind::fcfs:
      return "FCFS";
    case PolicyKind::sjf:
      return "SJF";
    case PolicyKind::srtf:
      return "SRTF";
    case PolicyKind::priority:
      return "Priority";
    case PolicyKind::priority_preemptive:
      return "Priority (preemptive)";
    case PolicyKind::round_robin:
      return "RR q=" + (quanta.empty() ? std::string("?") : std::to_string(quanta.front()));
    case PolicyKind::mlfq: {
      std::string s = "MLFQ q=";
      for (std::size_t i = 0; i < quanta.size(); ++i) {
        s += (i ? "/" : "") + std::to_string(quanta[i]);
      }
      if (boost_period > 0) s += " boost=" + std::to_string(boost_period);
      return s;
    }
    case PolicyKind::uniprogramming:
      return "Uniprogramming";
  }
  return "?";
}

void Policy::validate() const {
  if (kind == PolicyKind::round_robin && quanta.size() != 1) {
    throw triad::ValueError("round robin takes exactly one quantum, got " +
                            std::to_string(quanta.size()));
  }
  if (kind == PolicyKind::mlfq && quanta.empty()) {
    throw triad::ValueError("MLFQ needs at least one level (one quantum per level)");
  }
  if (!has_quanta(kind) && !quanta.empty()) {
    throw triad::ValueError(name() + " takes no quantum, got " + std::to_string(quanta.size()));
  }
  for (std::size_t i = 0; i < quanta.size(); ++i) {
    if (quanta[i] <= 0) {
      throw triad::ValueError((kind == PolicyKind::mlfq
                                   ? "MLFQ level " + std::to_string(i) + " quantum"
                                   : std::string("round robin quantum")) +
                              " must be positive, got " + std::to_string(quanta[i]));
    }
    if (quanta[i] > kMaxTotal) {
      throw triad::ValueError("quantum " + std::to_string(quanta[i]) + " is above 10^12");
    }
  }
  if (boost_period < 0) {
    throw triad::ValueError("MLFQ boost period must be >= 0 (0 = never), got " +
                            std::to_string(boost_period));
  }
  if (boost_period > 0 && kind != PolicyKind::mlfq) {
    throw triad::ValueError(name() + " has no priority boost (boost period " +
                            std::to_string(boost_period) + ")");
  }
}

void validate(const std::vector<Job>& jobs) {
  if (jobs.empty()) throw triad::ValueError("the job list is empty: nothing to schedule");
  std::set<std::string> names;
  Time total = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const Job& j = jobs[i];
    if (j.name.empty()) {
      throw triad::ValueError("job #" + std::to_string(i) + " has an empty name");
    }
    const std::string who = "job " + quote(j.name);
    if (!names.insert(j.name).second)
      throw triad::ValueError("duplicate job name " + quote(j.name));
    if (j.arrival < 0) {
      throw triad::ValueError(who + ": arrival time must be >= 0, got " +
                              std::to_string(j.arrival));
    }
    if (j.bursts.empty())
      throw triad::ValueError(who + " has no bursts (it needs at least one CPU burst)");
    if (j.bursts.size() % 2 == 0) {
      throw triad::ValueError(who +
                              ": bursts alternate CPU, IO, CPU, ... and must end with a CPU "
                              "burst, got an even count (" +
                              std::to_string(j.bursts.size()) + ")");
    }
    if (j.arrival > kMaxTotal) {
      throw triad::ValueError(who + ": arrival time " + std::to_string(j.arrival) +
                              " is above 10^12");
    }
    for (std::size_t b = 0; b < j.bursts.size(); ++b) {
      const Time v = j.bursts[b];
      const std::string what = "burst " + std::to_string(b) + (b % 2 == 0 ? " (CPU)" : " (IO)");
      if (v <= 0) {
        throw triad::ValueError(who + ": " + what + " must be positive, got " + std::to_string(v));
      }
      if (v > kMaxTotal || total > kMaxTotal - v) {
        throw triad::ValueError(who + ": the bursts of all jobs add up to more than 10^12");
      }
      total += v;
    }
  }
}

Schedule simulate(const std::vector<Job>& jobs, const Policy& policy, const Options& options) {
  validate(jobs);
  policy.validate();
  if (options.switch_cost < 0) {
    throw triad::ValueError("context switch cost must be >= 0, got " +
                            std::to_string(options.switch_cost));
  }
  if (options.switch_cost > kMaxTotal) {
    throw triad::ValueError("context switch cost " + std::to_string(options.switch_cost) +
                            " is above 10^12");
  }
  check_event_bound(jobs, policy, options);
  return Simulator(jobs, policy, options).run();
}

Time Schedule::total_waiting() const {
  Time s = 0;
  for (const auto& j : jobs) s += j.waiting();
  return s;
}

Time Schedule::total_turnaround() const {
  Time s = 0;
  for (const auto& j : jobs) s += j.turnaround();
  return s;
}

Time Schedule::total_response() const {
  Time s = 0;
  for (const auto& j : jobs) s += j.response();
  return s;
}

namespace {
double mean(Time total, std::size_t n) {
  return n == 0 ? 0.0 : static_cast<double>(total) / static_cast<double>(n);
}
}  // namespace

double Schedule::average_waiting() const {
  return mean(total_waiting(), jobs.size());
}
double Schedule::average_turnaround() const {
  return mean(total_turnaround(), jobs.size());
}
double Schedule::average_response() const {
  return mean(total_response(), jobs.size());
}

Time Schedule::busy() const {
  Time s = 0;
  for (const auto& sl : cpu) {
    if (sl.kind == Slice::Kind::run) s += sl.end - sl.start;
  }
  return s;
}

double Schedule::utilization() const {
  return end > start ? static_cast<double>(busy()) / static_cast<double>(end - start) : 0.0;
}

int Schedule::find(const std::string& name) const {
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace sched
