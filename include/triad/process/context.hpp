// Start methods and contexts: how a child process comes to life.
//
// Python: multiprocessing.get_context / set_start_method / get_start_method.
//
//   fork   (default, as on Linux up to Python 3.13) — the child is a copy of the parent at the
//          moment of start(): any callable works as a target, capturing lambdas included.
//          Only the thread that called start() exists in the child (see docs/process.md,
//          "fork and threads").
//   spawn  — the child re-executes the program (/proc/self/exe with the same argv). main()
//          must call triad::process::bootstrap() first: in a spawned child that call runs the
//          target and never returns. The target must be a function pointer or captureless
//          lambda, and its arguments must be serializable with cereal.
//
//   triad::process::set_start_method("spawn");          // once, early in main
//   auto& ctx = triad::process::get_context("fork");     // or a context per object
//   triad::process::Process p(ProcessOptions().with_context(ctx), work, 42);
//
// Thread safety: all functions are thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace triad::process {

enum class StartMethod { fork, spawn };

// A start method as an object; pass it to Process (ProcessOptions::context) or to a pool.
class Context {
 public:
  explicit constexpr Context(StartMethod m) noexcept : method_(m) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  [[nodiscard]] constexpr StartMethod start_method() const noexcept { return method_; }
  // "fork" or "spawn".
  [[nodiscard]] std::string_view get_start_method() const noexcept;

 private:
  StartMethod method_;
};

// The context of a start method ("fork", "spawn"); an empty name means the default one.
// Throws ValueError("cannot find context for 'x'") for an unknown name.
[[nodiscard]] const Context& get_context(std::string_view method = {});

// Sets the default start method. Throws RuntimeError("context has already been set") when
// it was set before and force is false; ValueError for an unknown name.
void set_start_method(std::string_view method, bool force = false);

// The default start method's name ("fork" unless set_start_method chose another).
[[nodiscard]] std::string_view get_start_method();

// {"fork", "spawn"}.
[[nodiscard]] std::vector<std::string> get_all_start_methods();

// The C++ form of `if __name__ == '__main__':`. Call it first thing in main(). In a process
// started with the spawn method it runs the process's target and exits (never returns); in
// every other process it returns at once. Without it, a spawned child would run main() again:
// triad detects that and ends the child with exit code 1 and a message saying to add it.
void bootstrap();

}  // namespace triad::process
