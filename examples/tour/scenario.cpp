#include "tour/scenario.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

namespace tour {
namespace {

std::vector<Scenario>& registry() {
  static std::vector<Scenario> r;
  return r;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::mutex& say_mutex() {
  static std::mutex m;
  return m;
}

using SteadyClock = std::chrono::steady_clock;

// Mirrors everything written to it into a second stream (the tour's terminal) as it comes,
// and remembers when it was last written to (for the progress line).
class TeeBuf : public std::streambuf {
 public:
  TeeBuf(std::streambuf* a, std::streambuf* b) : a_(a), b_(b) { touch(); }

  [[nodiscard]] SteadyClock::time_point last_write() const {
    return SteadyClock::time_point(SteadyClock::duration(last_write_.load(std::memory_order_relaxed)));
  }

 protected:
  int overflow(int c) override {
    if (c == EOF) return !EOF;
    touch();
    const int ra = a_->sputc(static_cast<char>(c));
    const int rb = b_ ? b_->sputc(static_cast<char>(c)) : c;
    return (ra == EOF || rb == EOF) ? EOF : c;
  }
  int sync() override {
    const int ra = a_->pubsync();
    const int rb = b_ ? b_->pubsync() : 0;
    return (ra == 0 && rb == 0) ? 0 : -1;
  }

 private:
  void touch() {
    last_write_.store(SteadyClock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }

  std::streambuf* a_;
  std::streambuf* b_;
  std::atomic<SteadyClock::rep> last_write_{0};
};

// While a scenario runs, prints "... still running" to the terminal (never into the captured
// output) whenever the scenario has been silent for `after`, so a long scenario never looks
// hung. Lines are written under the same mutex as say(), so they never split a line.
class ProgressTicker {
 public:
  ProgressTicker(const TeeBuf& tee, std::ostream* echo, SteadyClock::time_point start,
                 std::chrono::milliseconds after)
      : tee_(tee), echo_(echo), start_(start), after_(after) {
    if (echo_ != nullptr && after_ > std::chrono::milliseconds::zero())
      thread_ = std::thread([this] { loop(); });
  }
  ProgressTicker(const ProgressTicker&) = delete;
  ProgressTicker& operator=(const ProgressTicker&) = delete;
  ~ProgressTicker() {
    {
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop();

  const TeeBuf& tee_;
  std::ostream* echo_;
  SteadyClock::time_point start_;
  std::chrono::milliseconds after_;
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int register_scenario(const Scenario& s) {
  auto& r = registry();
  r.push_back(s);
  std::sort(r.begin(), r.end(), [](const Scenario& a, const Scenario& b) { return a.id < b.id; });
  return static_cast<int>(r.size());
}

const std::vector<Scenario>& scenarios() { return registry(); }

const Scenario* find_scenario(std::string_view id) {
  for (const auto& s : registry())
    if (iequal(s.id, id)) return &s;
  return nullptr;
}

Context::Context(const Scenario& s, const Options& o, std::ostream& out)
    : scenario_(s), options_(o), out_(out), start_(std::chrono::steady_clock::now()) {}

void Context::say(std::string_view line) {
  std::lock_guard<std::mutex> g(say_mutex());
  // Indent every line of a multi-line message under the scenario heading.
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = line.find('\n', begin);
    out_ << "    " << line.substr(begin, end == std::string_view::npos ? end : end - begin) << '\n';
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  out_.flush();
}

std::string Context::stamp() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%6.2f s]", elapsed().count());
  return buf;
}

std::chrono::nanoseconds Context::scaled(std::chrono::nanoseconds d) const {
  if (d <= std::chrono::nanoseconds::zero()) return d;
  const auto s = std::chrono::nanoseconds(
      static_cast<std::chrono::nanoseconds::rep>(static_cast<double>(d.count()) * options_.time_scale));
  return std::max<std::chrono::nanoseconds>(s, std::chrono::milliseconds(1));
}

void Context::check(bool ok, std::string_view what) {
  std::lock_guard<std::mutex> g(say_mutex());
  ++checks_;
  if (ok) {
    out_ << "  [ok] " << what << '\n';
  } else {
    ++failed_;
    out_ << "  [FAILED] " << what << '\n';
  }
  out_.flush();
}

std::string format_seconds(std::chrono::duration<double> d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", d.count());
  return buf;
}

std::chrono::duration<double> Context::elapsed() const {
  return std::chrono::steady_clock::now() - start_;
}

void ProgressTicker::loop() {
  std::unique_lock<std::mutex> lk(m_);
  SteadyClock::time_point last_tick{};
  while (!cv_.wait_for(lk, after_ / 4, [this] { return stop_; })) {
    const auto now = SteadyClock::now();
    if (now - std::max(tee_.last_write(), last_tick) < after_) continue;
    last_tick = now;
    const std::chrono::duration<double> running = now - start_;
    char buf[64];
    std::snprintf(buf, sizeof buf, "    ... still running, %.1f s\n", running.count());
    std::lock_guard<std::mutex> g(say_mutex());
    // Straight to the terminal, not through the tee: the captured output stays deterministic.
    *echo_ << buf << std::flush;
  }
}

Result run_scenario(const Scenario& s, const Options& o, std::ostream* echo) {
  std::ostringstream captured;
  TeeBuf tee(captured.rdbuf(), echo ? echo->rdbuf() : nullptr);
  std::ostream out(&tee);
  Context ctx(s, o, out);
  try {
    ProgressTicker ticker(tee, echo, SteadyClock::now(), o.progress_after);
    s.run(ctx);
  } catch (const std::exception& e) {
    ctx.check(false, std::string("no exception escapes the scenario (got: ") + e.what() + ")");
  } catch (...) {
    ctx.check(false, "no exception escapes the scenario (got a non-standard exception)");
  }
  out.flush();
  Result r;
  r.checks = ctx.checks();
  r.failed = ctx.failed_checks();
  r.elapsed = ctx.elapsed();
  r.output = captured.str();
  return r;
}

}  // namespace tour
