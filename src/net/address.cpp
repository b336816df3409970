#include "triad/net/address.hpp"

#include "triad/core/error.hpp"

namespace triad::net {
namespace {

std::uint16_t checked_port(int port) {
  if (port < 0 || port > 65535) throw ValueError("port must be 0-65535.");
  return static_cast<std::uint16_t>(port);
}

void append_quoted(std::string& out, const std::string& s) {
  out.push_back('\'');
  for (const char c : s) {
    if (c == '\0') {
      out.append("\\x00");
    } else {
      if (c == '\'' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
  }
  out.push_back('\'');
}

const std::string kEmpty;

}  // namespace

Address::Address(std::string host, int port) : v_(HostPort{std::move(host), checked_port(port)}) {}
Address::Address(const char* host, int port) : Address(std::string(host ? host : ""), port) {}

const std::string& Address::host() const noexcept {
  const auto* hp = std::get_if<HostPort>(&v_);
  return hp ? hp->host : kEmpty;
}
std::uint16_t Address::port() const noexcept {
  const auto* hp = std::get_if<HostPort>(&v_);
  return hp ? hp->port : 0;
}
const std::string& Address::path() const noexcept {
  const auto* up = std::get_if<UnixPath>(&v_);
  return up ? up->path : kEmpty;
}

std::string Address::to_string() const {
  std::string out;
  out.reserve(host().size() + path().size() + 16);
  if (is_unix()) {
    append_quoted(out, path());
    return out;
  }
  out.push_back('(');
  append_quoted(out, host());
  out.append(", ");
  out.append(std::to_string(port()));
  out.push_back(')');
  return out;
}

}  // namespace triad::net
