#include "tour/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <iostream>
#include <mutex>
#include <sstream>

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

// Mirrors everything written to it into a second stream (the tour's terminal) as it comes.
class TeeBuf : public std::streambuf {
 public:
  TeeBuf(std::streambuf* a, std::streambuf* b) : a_(a), b_(b) {}

 protected:
  int overflow(int c) override {
    if (c == EOF) return !EOF;
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
  std::streambuf* a_;
  std::streambuf* b_;
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
  out_ << line << '\n';
  out_.flush();
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

std::chrono::duration<double> Context::elapsed() const {
  return std::chrono::steady_clock::now() - start_;
}

Result run_scenario(const Scenario& s, const Options& o, std::ostream* echo) {
  std::ostringstream captured;
  TeeBuf tee(captured.rdbuf(), echo ? echo->rdbuf() : nullptr);
  std::ostream out(&tee);
  Context ctx(s, o, out);
  try {
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
