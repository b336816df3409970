// Process: a child OS process running a target function.
//
// Python: multiprocessing.Process, current_process(), parent_process(), active_children(),
// cpu_count().
//
//   void work(int n) { std::printf("child %d says %d\n", getpid(), n); }
//
//   triad::process::Process p(work, 42);        // or any callable with the fork method
//   p.start();
//   p.join();
//   assert(p.exitcode() == 0);
//
// Or subclass and override run():
//
//   struct Worker : triad::process::Process { void run() override { ... } };
//
// The state machine is Python's: created -> started -> (running) -> ended (exitcode set once
// it has been reaped by join/is_alive/exitcode/active_children) -> closed (close()).
//
// Python                             triad
// Process(target=f, args=(1, 2))     Process(f, 1, 2)
// Process(name='w', daemon=True)     Process(ProcessOptions().with_name("w").with_daemon(true), f)
// p.daemon = True                    p.set_daemon(true)   (only before start)
// p.exitcode is None                 !p.exitcode()        (std::optional<int>)
// p.pid                              p.pid()              (std::optional<pid_t>; empty before start)
// p.sentinel                         p.sentinel()         (a pidfd: readable once the child ended)
// sys.exit(3) inside the child       triad::process::sys_exit(3)
//
// The child: an exception escaping the target is printed by the child on stderr as
//   Process Process-1:
//   Traceback (most recent call last):
//     <the target of Process-1 (pid 4242)>
//   std::runtime_error: what() text
// and the exit code becomes 1 (Python prints its traceback the same way). When the target
// returns, the child ends its own children like a Python program ends (daemon children are
// terminated, the others joined), flushes stdio and leaves with _exit(0): the parent's atexit
// handlers and static destructors do not run in a child.
//
// Reaping: every child is reaped through a pidfd — by join(), is_alive(), exitcode(),
// active_children(), or at the parent's normal exit, which (as in Python) terminates daemon
// children and joins the others. Daemon children also die when the parent is killed
// (PR_SET_PDEATHSIG, beyond Python). A Process destroyed while its child still runs does not
// block: the child stays registered and is reaped later by active_children() or at exit.
//
// Thread safety: distinct Process objects are independent. One Process may be joined,
// polled (is_alive, exitcode) and signalled from several threads at once; start, close and
// the setters must not race with other calls on the same object.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "triad/core/timeout.hpp"
#include "triad/process/context.hpp"
#include "triad/process/detail/serialize.hpp"

namespace triad::process {

class Process;

namespace detail {

struct ChildRecord;

// A type-erased target for the fork method (move-only, unlike std::function).
struct ForkTarget {
  virtual ~ForkTarget() = default;
  virtual void call() = 0;
};
template <class F, class Tuple>
struct ForkTargetImpl final : ForkTarget {
  ForkTargetImpl(F f, Tuple args) : f_(std::move(f)), args_(std::move(args)) {}
  void call() override { std::apply(f_, std::move(args_)); }
  F f_;
  Tuple args_;
};

// Where a function lives, independent of where the loader put its module: the module's name
// as the dynamic loader knows it ("" for the program) and the offset from its load address.
struct FunctionRef {
  std::string module;
  std::uint64_t offset = 0;
};
FunctionRef function_ref(const void* address);

// What a spawned child needs to run its target: an invoker (instantiated below for the
// target's signature), the target, and the encoded arguments.
using SpawnInvoker = void (*)(const void* target, const char* args, std::size_t size);
struct SpawnRecipe {
  const void* invoker = nullptr;
  const void* target = nullptr;
  std::string args;
};

template <class Fp, class... A>
void spawn_invoke(const void* target, const char* data, std::size_t size) {
  auto args = decode<std::tuple<A...>>(data, size);
  std::apply(reinterpret_cast<Fp>(const_cast<void*>(target)), std::move(args));
}

template <class F>
concept FunctionLike = requires(F f) {
  { +f };
  requires std::is_pointer_v<decltype(+f)>;
  requires std::is_function_v<std::remove_pointer_t<decltype(+f)>>;
};

template <class F, class... A>
std::optional<SpawnRecipe> make_spawn_recipe(F& f, const A&... args) {
  if constexpr (FunctionLike<F> && (is_sendable_v<std::decay_t<A>> && ...)) {
    using Fp = decltype(+f);
    SpawnRecipe r;
    r.invoker = reinterpret_cast<const void*>(&spawn_invoke<Fp, std::decay_t<A>...>);
    r.target = reinterpret_cast<const void*>(+f);
    encode(r.args, std::tuple<std::decay_t<A>...>(args...));
    return r;
  } else {
    return std::nullopt;
  }
}

}  // namespace detail

// Raised by sys_exit() to end a process's target with an exit code (Python: SystemExit).
// Deliberately not a std::exception, so `catch (const std::exception&)` does not swallow it.
struct SystemExit {
  int code = 0;
};
// Ends the calling process's target with this exit code (Python: sys.exit(code)); in the main
// process it calls std::exit(code).
[[noreturn]] void sys_exit(int code = 0);

// Options of a Process, all optional (Python's keyword arguments).
// Chain the setters: Process(ProcessOptions().with_name("w").with_daemon(true), f).
// (Designated initializers work too, but g++ 12 warns about the omitted fields.)
struct ProcessOptions {
  std::string name;                    // default "Process-N" (N counts per parent, from 1)
  std::optional<bool> daemon;          // default: the creating process's daemon flag
  const Context* context = nullptr;    // default: get_context()

  ProcessOptions with_name(std::string n) const {
    ProcessOptions o = *this;
    o.name = std::move(n);
    return o;
  }
  ProcessOptions with_daemon(bool d) const {
    ProcessOptions o = *this;
    o.daemon = d;
    return o;
  }
  ProcessOptions with_context(const Context& c) const {
    ProcessOptions o = *this;
    o.context = &c;
    return o;
  }
};

class Process {
 public:
  // A process whose run() is overridden by a subclass (or does nothing).
  Process() : Process(ProcessOptions{}) {}
  explicit Process(ProcessOptions options);

  // A process that calls target(args...) in the child. Arguments are copied (moved) into the
  // Process now, as Python binds args at construction.
  template <class F, class... A>
    requires(!std::is_same_v<std::decay_t<F>, ProcessOptions> && std::is_invocable_v<std::decay_t<F>&, std::decay_t<A>&...>)
  explicit Process(F&& target, A&&... args)
      : Process(ProcessOptions{}, std::forward<F>(target), std::forward<A>(args)...) {}

  template <class F, class... A>
    requires std::is_invocable_v<std::decay_t<F>&, std::decay_t<A>&...>
  Process(ProcessOptions options, F&& target, A&&... args) : Process(std::move(options)) {
    std::decay_t<F> f(std::forward<F>(target));
    spawn_ = detail::make_spawn_recipe(f, args...);
    using Tuple = std::tuple<std::decay_t<A>...>;
    target_ = std::make_unique<detail::ForkTargetImpl<std::decay_t<F>, Tuple>>(
        std::move(f), Tuple(std::forward<A>(args)...));
  }

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  virtual ~Process();

  // What the child runs: the target given at construction. Override it in a subclass.
  virtual void run();

  // Starts the child. Does not wait for it to run.
  // Throws RuntimeError("cannot start a process twice"), RuntimeError("daemonic processes are
  // not allowed to have children") from inside a daemon, ValueError when the spawn method is
  // asked for a target it cannot re-create (see context.hpp), ValueError("process object is
  // closed"), and OSError-like RuntimeError when fork fails.
  void start();

  // Waits for the child to end and reaps it.
  // Blocks: yes, until the child ends or the timeout expires (poll(2) on the pidfd; a green
  // thread yields only if the green layer makes poll cooperative). Thread safety: yes.
  // Throws RuntimeError("can only join a started process") before start,
  // RuntimeError("can only join a child process") on current_process(), ValueError if closed.
  // Timeout: absent = forever; returns whether the child has ended (Python returns None;
  // check exitcode()).
  bool join(Timeout timeout = {});

  // Whether the child runs (false before start and after it ended; reaps it if it ended).
  [[nodiscard]] bool is_alive();

  // The child's exit code: empty while it runs or before start; its exit status when it
  // exited; minus the signal number when a signal killed it (-15 after terminate()).
  [[nodiscard]] std::optional<int> exitcode();

  // The child's pid (empty before start); getpid() for current_process(). Python: pid/ident.
  [[nodiscard]] std::optional<pid_t> pid() const;
  [[nodiscard]] std::optional<pid_t> ident() const { return pid(); }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  [[nodiscard]] bool daemon() const noexcept { return daemon_; }
  // Throws RuntimeError("process has already started") after start().
  void set_daemon(bool daemonic);

  // The authentication key (32 random bytes in the main process, inherited by children).
  [[nodiscard]] const std::string& authkey() const noexcept { return authkey_; }
  void set_authkey(std::string key) { authkey_ = std::move(key); }

  // SIGTERM / SIGKILL to the child (through its pidfd: never a recycled pid). No-op if the
  // child has ended. Throws ValueError if closed.
  void terminate();
  void kill();

  // A file descriptor that becomes readable when the child ends (its pidfd). Owned by the
  // Process. Throws ValueError("process not started") before start.
  [[nodiscard]] int sentinel() const;

  // Releases the pidfd. Throws ValueError("Cannot close a process while it is still running.
  // You should first call join() or terminate().") if the child runs. Idempotent.
  void close();

  // The start method this process uses.
  [[nodiscard]] const Context& context() const noexcept { return *context_; }

 private:
  friend struct ProcessAccess;
  void check_closed() const;
  void start_fork();
  void start_spawn();

  std::string name_;
  bool daemon_ = false;
  bool closed_ = false;
  std::string authkey_;
  std::vector<int> identity_;
  const Context* context_;
  std::unique_ptr<detail::ForkTarget> target_;
  std::optional<detail::SpawnRecipe> spawn_;
  std::shared_ptr<detail::ChildRecord> child_;
};

// The calling process's Process object: the object whose target runs (in a child), or the
// main process object (name "MainProcess") in the original program.
[[nodiscard]] Process& current_process();

// The parent of the calling process (empty in the main process). Python: parent_process().
struct ParentProcess {
  std::string name;
  pid_t pid = 0;
  // Whether the parent still runs.
  [[nodiscard]] bool is_alive() const;
};
[[nodiscard]] std::optional<ParentProcess> parent_process();

// The started, not yet reaped children of the calling process whose Process objects still
// exist. Reaps every child that has ended (also those whose Process object was destroyed).
// The pointers are valid until their objects are destroyed (by the caller's own code).
[[nodiscard]] std::vector<Process*> active_children();

// The number of CPUs online (Python: os.cpu_count / multiprocessing.cpu_count). At least 1.
[[nodiscard]] int cpu_count() noexcept;

}  // namespace triad::process
