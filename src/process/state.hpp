// Process-wide state of the process layer (private to src/process).
#pragma once

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "triad/process/process.hpp"

namespace triad::process::detail {

// One started child, shared by its Process object and the registry of live children.
struct ChildRecord {
  ChildRecord() = default;
  ChildRecord(const ChildRecord&) = delete;
  ChildRecord& operator=(const ChildRecord&) = delete;
  ~ChildRecord();

  pid_t pid = 0;
  int pidfd = -1;
  bool daemon = false;
  Process* owner = nullptr;  // guarded by the registry mutex

  std::mutex mutex;                // guards exitcode and the waitid call
  std::optional<int> exitcode;

  // Reaps the child if it has ended (never blocks); returns its exit code if known.
  std::optional<int> try_reap();
};

struct State {
  // The registry of started, unreaped children.
  std::mutex registry_mutex;
  std::vector<std::shared_ptr<ChildRecord>> children;

  Process* current = nullptr;           // this process's Process object
  std::vector<int> identity;            // current's identity ({} in the main process)
  std::atomic<int> counter{0};          // children created so far (names Process-N)
  std::optional<ParentProcess> parent;  // empty in the main process
  bool making_main = false;
  bool atexit_registered = false;
};

State& state();

// Runs body as the process's target in a child: prints an escaping exception as Python does,
// ends the child's own children, flushes stdio and _exits with the exit code.
[[noreturn]] void run_child(Process& self, const std::function<void()>& body);

// Registers a started child (and the at-exit handler on first use).
void register_child(const std::shared_ptr<ChildRecord>& rec);
// Drops reaped children from the registry.
void reap_finished();

// The environment variable that tells a re-executed program it is a spawned child.
inline constexpr const char* kSpawnEnv = "TRIAD_PROCESS_SPAWN_FD";

// Ends the child when a spawned program tries to start processes before bootstrap().
void check_not_bootstrapping();

// Resolves a FunctionRef in this process; nullptr if it names no executable code.
const void* resolve_function(const FunctionRef& ref);

void write_all(int fd, const char* data, std::size_t size);

// Debian 12's <sys/pidfd.h> lacks extern "C"; call the syscalls directly.
inline int pidfd_open(pid_t pid) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
inline int pidfd_send_signal(int pidfd, int sig) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

}  // namespace triad::process::detail
