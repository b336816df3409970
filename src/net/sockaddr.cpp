#include "sockaddr.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "triad/core/error.hpp"
#include "triad/net/errors.hpp"

namespace triad::net::detail {
namespace {

const char* family_name(int family) {
  switch (family) {
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_UNIX: return "AF_UNIX";
    default: return "this family";
  }
}

// getaddrinfo for one family; the first result.
bool lookup(const std::string& host, int family, SockAddr& out, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = family;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    if (rc == EAI_SYSTEM) raise_os_error(errno);
    throw gaierror(rc);
  }
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family != family) continue;
    std::memcpy(&out.storage, ai->ai_addr, ai->ai_addrlen);
    out.len = ai->ai_addrlen;
    ::freeaddrinfo(res);
    if (family == AF_INET) reinterpret_cast<sockaddr_in*>(&out.storage)->sin_port = htons(port);  // NOLINT
    else reinterpret_cast<sockaddr_in6*>(&out.storage)->sin6_port = htons(port);  // NOLINT
    return true;
  }
  ::freeaddrinfo(res);
  throw gaierror(EAI_ADDRFAMILY);
}

SockAddr inet4(const std::string& host, std::uint16_t port) {
  SockAddr s;
  auto* in = reinterpret_cast<sockaddr_in*>(&s.storage);  // NOLINT
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  s.len = sizeof(sockaddr_in);
  if (host.empty()) {
    in->sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (host == "<broadcast>") {
    in->sin_addr.s_addr = htonl(INADDR_BROADCAST);
  } else if (host == "localhost") {
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else if (::inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1) {
    in6_addr probe{};
    if (::inet_pton(AF_INET6, host.c_str(), &probe) == 1) throw gaierror(EAI_ADDRFAMILY);
    lookup(host, AF_INET, s, port);
  }
  return s;
}

SockAddr inet6(const std::string& host, std::uint16_t port) {
  SockAddr s;
  auto* in = reinterpret_cast<sockaddr_in6*>(&s.storage);  // NOLINT
  in->sin6_family = AF_INET6;
  in->sin6_port = htons(port);
  s.len = sizeof(sockaddr_in6);
  if (host.empty()) {
    in->sin6_addr = in6addr_any;
  } else if (host == "localhost") {
    in->sin6_addr = in6addr_loopback;
  } else if (::inet_pton(AF_INET6, host.c_str(), &in->sin6_addr) != 1) {
    lookup(host, AF_INET6, s, port);  // names, and "fe80::1%eth0" scoped literals
  }
  return s;
}

}  // namespace

SockAddr to_sockaddr(int family, const Address& a, const char* what) {
  if (family == AF_UNIX) {
    if (!a.is_unix())
      throw ValueError(std::string(what) +
                       ": AF_UNIX address must be a UnixPath (Python: str or bytes), not "
                       "(host, port) " + a.to_string());
    const std::string& p = a.path();
    SockAddr s;
    auto* un = reinterpret_cast<sockaddr_un*>(&s.storage);  // NOLINT
    un->sun_family = AF_UNIX;
    if (p.size() >= sizeof(un->sun_path) + (!p.empty() && p[0] == '\0' ? 1 : 0))
      throw OSError(ENAMETOOLONG, "AF_UNIX path too long (" + std::to_string(p.size()) +
                                      " bytes; at most " +
                                      std::to_string(sizeof(un->sun_path) - 1) + ")");
    std::memcpy(un->sun_path, p.data(), p.size());
    s.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size() +
                                   (p.empty() || p[0] != '\0' ? 1 : 0));
    return s;
  }
  if (family != AF_INET && family != AF_INET6)
    throw ValueError(std::string(what) + ": unsupported address family " + std::to_string(family));
  if (!a.is_inet())
    throw ValueError(std::string(what) + ": " + family_name(family) +
                     " address must be (host, port) (Python: tuple), not the path " +
                     a.to_string());
  return family == AF_INET ? inet4(a.host(), a.port()) : inet6(a.host(), a.port());
}

std::vector<std::pair<int, SockAddr>> resolve_all(const Address& a, int family, int type) {
  std::vector<std::pair<int, SockAddr>> out;
  if (a.is_unix()) {
    out.emplace_back(AF_UNIX, to_sockaddr(AF_UNIX, a, "create_connection()"));
    return out;
  }
  const std::string& host = a.host();
  // Numeric and localhost: no resolver round trip.
  in_addr v4{};
  in6_addr v6{};
  if (host == "localhost" || host.empty() || ::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    if (family != AF_INET6) out.emplace_back(AF_INET, inet4(host, a.port()));
    if (host == "localhost" && family != AF_INET) out.emplace_back(AF_INET6, inet6(host, a.port()));
    if (!out.empty()) return out;
  }
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    out.emplace_back(AF_INET6, inet6(host, a.port()));
    return out;
  }
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = type;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(a.port());
  const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    if (rc == EAI_SYSTEM) raise_os_error(errno);
    throw gaierror(rc);
  }
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    SockAddr s;
    std::memcpy(&s.storage, ai->ai_addr, ai->ai_addrlen);
    s.len = ai->ai_addrlen;
    out.emplace_back(ai->ai_family, s);
  }
  ::freeaddrinfo(res);
  return out;
}

Address from_sockaddr(const sockaddr* sa, socklen_t len) {
  char buf[INET6_ADDRSTRLEN];
  switch (sa->sa_family) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(sa);  // NOLINT
      ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
      return Address(std::string(buf), ntohs(in->sin_port));
    }
    case AF_INET6: {
      const auto* in = reinterpret_cast<const sockaddr_in6*>(sa);  // NOLINT
      ::inet_ntop(AF_INET6, &in->sin6_addr, buf, sizeof buf);
      return Address(std::string(buf), ntohs(in->sin6_port));
    }
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(sa);  // NOLINT
      const auto off = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path));
      if (len <= off) return Address(UnixPath{});
      std::size_t n = len - off;
      if (un->sun_path[0] != '\0') n = ::strnlen(un->sun_path, n);  // drop the terminator
      return Address(UnixPath{std::string(un->sun_path, n)});
    }
    default:
      return Address();
  }
}

}  // namespace triad::net::detail
