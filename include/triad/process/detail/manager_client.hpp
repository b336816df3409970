// The client half of a Manager: what a proxy holds, and the one call every proxy makes.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "triad/process/detail/manager_protocol.hpp"

namespace triad::process::detail {

// Where a managed object lives. Shared (immutable) by every copy of a proxy.
struct ManagerRef {
  std::string address;
  std::string authkey;
  std::uint32_t id = 0;
  ManagedKind kind{};
};

// Sends one request on a pooled, authenticated connection to ref.address and returns the
// reply's values. Thread-safe: concurrent calls use distinct connections (a blocking call
// holds its connection; others open or reuse another). Connections are per process: a forked
// child starts with none of its parent's. Rethrows an error raised in the server as its triad
// type (KeyError, IndexError, AttributeError, ValueError, RuntimeError, Full, Empty) or
// RemoteError; a server that went away raises EOFError (mid-call) or OSError (connect).
std::vector<std::string> manager_call(const ManagerRef& ref, Op op, std::vector<std::string> args = {});

// Closes the idle pooled connections to address (after its server shut down).
void manager_forget(const std::string& address) noexcept;

template <class T>
T value_of(const std::string& s) {
  return decode<T>(s.data(), s.size());
}

// Python's repr() for a key in a KeyError message: 'text' for strings, digits for numbers.
template <class T>
std::string repr(const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return "'" + std::string(std::string_view(v)) + "'";
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "True" : "False";
  } else if constexpr (std::is_arithmetic_v<T>) {
    std::ostringstream os;
    os << +v;
    return os.str();
  } else {
    return "<key>";
  }
}

}  // namespace triad::process::detail
