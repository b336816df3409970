#include "triad/net/address.hpp"

#include "triad/core/error.hpp"

namespace triad::net {
namespace {

std::uint16_t checked_port(int port) {
  if (port < 0 || port > 65535) throw ValueError("port must be 0-65535.");
  return static_cast<std::uint16_t>(port);
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\0') out += "\\x00";
    else if (c == '\'' || c == '\\') (out += '\\') += c;
    else out += c;
  }
  return out + "'";
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
  if (is_unix()) return quoted(path());
  return "(" + quoted(host()) + ", " + std::to_string(port()) + ")";
}

}  // namespace triad::net
