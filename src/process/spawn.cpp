// Start methods, contexts and the spawn start method (re-execution of /proc/self/exe).
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>

#include "state.hpp"
#include "triad/core/error.hpp"
#include "triad/process/context.hpp"
#include "triad/process/process.hpp"

extern char** environ;  // NOLINT

namespace triad::process {
namespace {

const Context kFork{StartMethod::fork};
const Context kSpawn{StartMethod::spawn};
std::atomic<const Context*> g_default{nullptr};

const Context* lookup(std::string_view method) {
  if (method == "fork") return &kFork;
  if (method == "spawn") return &kSpawn;
  throw ValueError("cannot find context for '" + std::string(method) + "'");
}

// What the parent tells a spawned child.
struct SpawnPayload {
  detail::FunctionRef invoker;
  detail::FunctionRef target;
  std::string args;
  std::string name;
  bool daemon = false;
  std::string authkey;
  std::vector<int> identity;
  int parent_pid = 0;
  std::string parent_name;

  template <class A>
  void serialize(A& ar) {
    ar(invoker.module, invoker.offset, target.module, target.offset, args, name, daemon, authkey,
       identity, parent_pid, parent_name);
  }
};

struct FindModule {
  std::uintptr_t address = 0;   // in: address to find (function_ref)
  const std::string* name = nullptr;  // in: module to find (resolve)
  std::uint64_t offset = 0;
  bool found = false;
  std::string module;
  std::uintptr_t base = 0;
};

bool in_exec_segment(const dl_phdr_info* info, std::uintptr_t addr) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    const std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    if (addr >= lo && addr < lo + ph.p_memsz) return true;
  }
  return false;
}

int find_by_address(dl_phdr_info* info, std::size_t, void* data) {
  auto* f = static_cast<FindModule*>(data);
  if (!in_exec_segment(info, f->address)) return 0;
  f->found = true;
  f->module = info->dlpi_name ? info->dlpi_name : "";
  f->base = info->dlpi_addr;
  return 1;
}

int find_by_name(dl_phdr_info* info, std::size_t, void* data) {
  auto* f = static_cast<FindModule*>(data);
  const std::string name = info->dlpi_name ? info->dlpi_name : "";
  if (name != *f->name) return 0;
  const std::uintptr_t addr = info->dlpi_addr + f->offset;
  if (!in_exec_segment(info, addr)) return 0;
  f->found = true;
  f->address = addr;
  return 1;
}

std::vector<std::string> read_cmdline() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::string cur;
  for (char c : all) {
    if (c == '\0') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) args.push_back(cur);
  return args;
}

bool read_exact(int fd, char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

std::string_view Context::get_start_method() const noexcept {
  return method_ == StartMethod::fork ? "fork" : "spawn";
}

const Context& get_context(std::string_view method) {
  if (method.empty()) {
    const Context* d = g_default.load(std::memory_order_acquire);
    return d ? *d : kFork;
  }
  return *lookup(method);
}

void set_start_method(std::string_view method, bool force) {
  const Context* c = lookup(method);
  const Context* expected = nullptr;
  if (force) {
    g_default.store(c, std::memory_order_release);
    return;
  }
  if (!g_default.compare_exchange_strong(expected, c, std::memory_order_acq_rel))
    throw RuntimeError("context has already been set");
}

std::string_view get_start_method() { return get_context().get_start_method(); }

std::vector<std::string> get_all_start_methods() { return {"fork", "spawn"}; }

namespace detail {

FunctionRef function_ref(const void* address) {
  FindModule f;
  f.address = reinterpret_cast<std::uintptr_t>(address);
  ::dl_iterate_phdr(find_by_address, &f);
  if (!f.found) throw ValueError("the target is not a function of this program or its libraries");
  return FunctionRef{f.module, f.address - f.base};
}

const void* resolve_function(const FunctionRef& ref) {
  FindModule f;
  f.name = &ref.module;
  f.offset = ref.offset;
  ::dl_iterate_phdr(find_by_name, &f);
  return f.found ? reinterpret_cast<const void*>(f.address) : nullptr;
}

}  // namespace detail

void Process::start_spawn() {
  if (!spawn_)
    throw ValueError(
        "the 'spawn' start method re-creates the target in a new program, so the target must be "
        "a function pointer or a captureless lambda and every argument must be serializable "
        "with cereal; a Process subclass, a capturing lambda or a std::function can only be "
        "started with the 'fork' start method");
  SpawnPayload pl;
  pl.invoker = detail::function_ref(spawn_->invoker);
  pl.target = detail::function_ref(spawn_->target);
  pl.args = spawn_->args;
  pl.name = name_;
  pl.daemon = daemon_;
  pl.authkey = authkey_;
  pl.identity = identity_;
  pl.parent_pid = ::getpid();
  pl.parent_name = current_process().name();
  std::string wire(8, '\0');
  detail::encode(wire, pl);
  const std::uint64_t len = wire.size() - 8;
  std::memcpy(wire.data(), &len, 8);

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw RuntimeError(std::string("socketpair failed: ") + std::strerror(errno));

  // Everything the child needs is prepared before fork: after fork it only calls
  // async-signal-safe functions.
  std::vector<std::string> args = read_cmdline();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  const std::string prefix = std::string(detail::kSpawnEnv) + "=";
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, prefix.c_str(), prefix.size()) != 0) env_store.emplace_back(*e);
  env_store.push_back(prefix + std::to_string(sv[1]));
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  auto rec = std::make_shared<detail::ChildRecord>();
  rec->daemon = daemon_;
  rec->owner = this;
  const pid_t parent_pid = ::getpid();
  const bool daemonic = daemon_;
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    throw RuntimeError(std::string("fork failed: ") + std::strerror(err));
  }
  if (pid == 0) {
    if (daemonic) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent_pid) ::_exit(1);
    }
    ::fcntl(sv[1], F_SETFD, 0);
    ::execve("/proc/self/exe", argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(sv[1]);
  rec->pid = pid;
  rec->pidfd = detail::pidfd_open(pid);
  if (rec->pidfd < 0) {
    const int err = errno;
    ::close(sv[0]);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw RuntimeError(std::string("pidfd_open failed: ") + std::strerror(err));
  }
  child_ = rec;
  detail::register_child(rec);
  try {
    detail::write_all(sv[0], wire.data(), wire.size());
  } catch (const RuntimeError&) {
    // The child died before reading: its exit code tells the story.
  }
  ::close(sv[0]);
}

void bootstrap() {
  const char* fd_text = std::getenv(detail::kSpawnEnv);
  if (fd_text == nullptr) return;
  const int fd = std::atoi(fd_text);
  ::unsetenv(detail::kSpawnEnv);
  std::uint64_t len = 0;
  std::string wire;
  if (!read_exact(fd, reinterpret_cast<char*>(&len), 8)) ::_exit(1);
  wire.resize(len);
  if (!read_exact(fd, wire.data(), len)) ::_exit(1);
  ::close(fd);
  auto pl = detail::decode<SpawnPayload>(wire.data(), wire.size());
  const void* invoker = detail::resolve_function(pl.invoker);
  const void* target = detail::resolve_function(pl.target);
  if (!invoker || !target) {
    std::fprintf(stderr, "triad::process: a spawned child cannot find its target in %s\n",
                 pl.target.module.empty() ? "the program" : pl.target.module.c_str());
    ::_exit(1);
  }
  auto& st = detail::state();
  st.parent = ParentProcess{pl.parent_name, pl.parent_pid};
  st.identity = pl.identity;
  st.counter = 0;
  static Process* self = nullptr;
  self = new Process(ProcessOptions{pl.name, pl.daemon, &get_context("spawn")});
  self->set_authkey(pl.authkey);
  st.current = self;
  st.identity = pl.identity;
  st.counter = 0;
  auto run = reinterpret_cast<detail::SpawnInvoker>(const_cast<void*>(invoker));
  detail::run_child(*self, [&] { run(target, pl.args.data(), pl.args.size()); });
}

}  // namespace triad::process
