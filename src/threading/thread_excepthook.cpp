// threading.excepthook for triad: the hook, the default report, and the reporting path used
// by Thread and Timer.
#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <utility>

#include "thread_runtime.hpp"
#include "triad/threading/excepthook.hpp"

namespace triad {
namespace detail {
namespace {

std::string demangle(const char* mangled) {
  int status = 0;
  char* out = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return mangled;
  std::string s(out);
  std::free(out);
  return s;
}

// "TYPE: WHAT" (or "TYPE") for an exception.
void describe(const std::exception_ptr& e, std::string& type, std::string* what) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    const std::type_info* ti = abi::__cxa_current_exception_type();
    type = ti ? demangle(ti->name()) : "std::exception";
    if (what) *what = ex.what();
  } catch (...) {
    const std::type_info* ti = abi::__cxa_current_exception_type();
    type = ti ? demangle(ti->name()) : "unknown exception";
  }
}

std::string format_exception(const std::exception_ptr& e) {
  std::string type, what;
  describe(e, type, &what);
  std::string line = type;
  if (!what.empty()) {
    line += ": ";
    line += what;
  }
  line += '\n';
  return line;
}

void write_stderr(const std::string& text) noexcept {
  std::fwrite(text.data(), 1, text.size(), stderr);  // one locked write: never interleaved
  std::fflush(stderr);
}

}  // namespace

void report_exception(std::exception_ptr e, std::string thread_name,
                      std::optional<std::uint64_t> ident,
                      std::optional<ThreadHandle> thread) noexcept {
  try {
    ExceptHookArgs args;
    args.exc_value = std::move(e);
    describe(args.exc_value, args.exc_type, nullptr);
    args.thread_name = std::move(thread_name);
    args.thread_ident = ident;
    args.thread = std::move(thread);
    std::shared_ptr<const ExceptHook> hook;
    {
      auto& rt = runtime();
      std::lock_guard g(rt.hook_lock);
      hook = rt.hook;
    }
    try {
      if (hook) {
        (*hook)(args);
      } else {
        default_excepthook(args);
      }
    } catch (...) {
      // A failing hook is reported, and so is the exception it failed to report.
      try {
        write_stderr("Exception in threading.excepthook:\n" +
                     format_exception(std::current_exception()));
        default_excepthook(args);
      } catch (...) {
        write_stderr("Exception in threading.excepthook: (unprintable)\n");
      }
    }
  } catch (...) {
    write_stderr("Exception in thread (out of memory while reporting it)\n");
  }
}

}  // namespace detail

void set_excepthook(ExceptHook hook) {
  std::shared_ptr<const ExceptHook> h;
  if (hook) h = std::make_shared<const ExceptHook>(std::move(hook));
  auto& rt = detail::runtime();
  {
    std::lock_guard g(rt.hook_lock);
    h.swap(rt.hook);
  }
  // The previous hook is released here, outside the lock.
}

ExceptHook excepthook() {
  std::shared_ptr<const ExceptHook> h;
  {
    auto& rt = detail::runtime();
    std::lock_guard g(rt.hook_lock);
    h = rt.hook;
  }
  if (h) return *h;
  return &default_excepthook;
}

void default_excepthook(const ExceptHookArgs& args) {
  std::string text = "Exception in thread " + args.thread_name + ":\n";
  if (args.exc_value) {
    text += detail::format_exception(args.exc_value);
  } else {
    text += "(no exception)\n";
  }
  detail::write_stderr(text);
}

}  // namespace triad
