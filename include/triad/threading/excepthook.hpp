// The hook that reports exceptions escaping a Thread's run()/callable or a Timer's callback.
//
// Python: threading.excepthook, threading.ExceptHookArgs, threading.__excepthook__
//
//   triad::set_excepthook([](const triad::ExceptHookArgs& a) {
//     log("thread " + a.thread_name + " died: " + a.exc_type);
//   });
//   triad::set_excepthook({});   // back to the default
//
// Which thread runs the hook: the thread the exception escaped from — the dying Thread's own
// thread, or the shared timer thread for a Timer callback — right after run()/the callback
// returned by throwing. The thread ends normally afterwards; nothing else is affected.
//
// The default hook (default_excepthook, Python's __excepthook__) writes, with one write to
// stderr:
//   Exception in thread NAME:
//   TYPE: WHAT
// where TYPE is the demangled dynamic type (e.g. triad::ValueError) and ": WHAT" is omitted
// for exceptions not derived from std::exception (or with an empty what()).
//
// A hook that throws is itself reported, never terminates the program: triad writes
// "Exception in threading.excepthook:" and the hook's exception to stderr, then reports the
// original exception with the default hook (Python loses the original here; triad does not).
//
// Thread safety: set_excepthook/excepthook may be called from any thread at any time; a
// report in progress keeps using the hook it started with.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>

#include "triad/threading/thread.hpp"

namespace triad {

// Python: threading.ExceptHookArgs (exc_type, exc_value, exc_traceback, thread).
struct ExceptHookArgs {
  std::exception_ptr exc_value;               // never null; std::rethrow_exception() to inspect
  std::string exc_type;                       // demangled dynamic type, e.g. "triad::ValueError"
  std::string thread_name;                    // the Thread's or the Timer's name
  std::optional<std::uint64_t> thread_ident;  // ident of the OS thread it escaped from
  std::optional<ThreadHandle> thread;         // the Thread; empty for a Timer callback
};

using ExceptHook = std::function<void(const ExceptHookArgs&)>;

// Python: threading.excepthook = hook. An empty function restores default_excepthook.
void set_excepthook(ExceptHook hook);
// Python: threading.excepthook. The hook currently installed (never empty).
[[nodiscard]] ExceptHook excepthook();
// Python: threading.__excepthook__: the default report to stderr described above.
void default_excepthook(const ExceptHookArgs& args);

}  // namespace triad
