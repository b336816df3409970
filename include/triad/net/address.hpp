// Socket addresses: Python's (host, port) tuples and AF_UNIX path strings, as one small type.
//
// Python                                  triad::net
// ("127.0.0.1", 8080)                     Address("127.0.0.1", 8080)   or {"127.0.0.1", 8080}
// ("::1", 8080, 0, 0)  (AF_INET6)         Address("::1", 8080)          (flowinfo/scope ignored)
// ("", 0)  /  ("localhost", 0)            Address("", 0)  /  Address("localhost", 0)
// "/tmp/sock"  (AF_UNIX)                  Address(UnixPath{"/tmp/sock"})
// "\0abstract" (Linux abstract namespace) Address(UnixPath{std::string("\0name", 5)})
//
//   triad::net::Address a{"127.0.0.1", 8080};
//   if (a.is_inet()) std::cout << a.host() << ':' << a.port();   // "127.0.0.1:8080"
//   std::cout << a.to_string();                                    // "('127.0.0.1', 8080)"
//
// An Address is a plain value (copyable, comparable); it is parsed and resolved only when a
// socket uses it, against that socket's family: numeric hosts, "" (any address; for bind) and
// "localhost" directly, other names through getaddrinfo(3) (which blocks the calling OS thread,
// also in a green thread: use triad::green's thread-pool resolver there).
// Thread safety: distinct objects safe, shared const objects safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace triad::net {

// An AF_UNIX address (a filesystem path, or "\0..." for Linux's abstract namespace).
struct UnixPath {
  std::string path;
  friend bool operator==(const UnixPath&, const UnixPath&) = default;
};

// (host, port) for AF_INET / AF_INET6.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

class Address {
 public:
  // ("", 0).
  Address() = default;
  // (host, port). Throws triad::ValueError("port must be 0-65535.") otherwise (Python raises
  // OverflowError with that text).
  Address(std::string host, int port);               // NOLINT(google-explicit-constructor)
  Address(const char* host, int port);               // NOLINT(google-explicit-constructor)
  Address(UnixPath path) : v_(std::move(path)) {}    // NOLINT(google-explicit-constructor)
  Address(HostPort hp) : v_(std::move(hp)) {}        // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool is_inet() const noexcept { return v_.index() == 0; }
  [[nodiscard]] bool is_unix() const noexcept { return v_.index() == 1; }
  // The host and port (meaningful when is_inet()).
  [[nodiscard]] const std::string& host() const noexcept;
  [[nodiscard]] std::uint16_t port() const noexcept;
  // The AF_UNIX path (meaningful when is_unix()).
  [[nodiscard]] const std::string& path() const noexcept;
  // The underlying variant.
  [[nodiscard]] const std::variant<HostPort, UnixPath>& value() const noexcept { return v_; }

  // Python's repr: "('127.0.0.1', 8080)" or "'/tmp/sock'".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const Address&, const Address&) = default;

 private:
  std::variant<HostPort, UnixPath> v_;
};

}  // namespace triad::net
