// Manager wire protocol: request/reply envelopes and multiprocessing's HMAC challenge.
#include "triad/process/detail/manager_protocol.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chrono>
#include <string_view>
#include <tuple>

#include "triad/process/connection.hpp"

namespace triad::process::detail {
namespace {

constexpr std::string_view kChallenge = "#CHALLENGE#";
constexpr std::string_view kWelcome = "#WELCOME#";
constexpr std::string_view kFailure = "#FAILURE#";
constexpr std::string_view kDigest = "{sha256}";
constexpr std::size_t kMessageLength = 40;  // random bytes per challenge (as Python)
constexpr std::size_t kMaxHandshake = 256;  // no handshake message is longer

std::string hmac_sha256(const std::string& key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  static const unsigned char empty = 0;
  const auto* k = key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
  if (::HMAC(EVP_sha256(), k, static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &n) ==
      nullptr)
    throw AuthenticationError("HMAC computation failed");
  return std::string(reinterpret_cast<const char*>(out), n);
}

bool same_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
  std::string s(n, '\0');
  if (::RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(n)) != 1)
    throw AuthenticationError("could not get random bytes for the challenge");
  return s;
}

}  // namespace

std::int64_t timeout_to_wire(Timeout t) noexcept {
  if (t.is_forever()) return kWireForever;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.duration()).count();
  if (ns <= 0) return 0;
  return ns >= kWireForever ? kWireForever - 1 : static_cast<std::int64_t>(ns);
}

Timeout timeout_from_wire(std::int64_t ns) noexcept {
  if (ns == kWireForever) return Timeout();
  return Timeout(std::chrono::nanoseconds(ns < 0 ? 0 : ns));
}

std::string encode_request(const Request& r) {
  std::string out;
  encode(out, std::tuple<std::uint32_t, std::uint16_t, std::vector<std::string>>(r.object, r.op, r.args));
  return out;
}

Request decode_request(const char* data, std::size_t size) {
  auto t = decode<std::tuple<std::uint32_t, std::uint16_t, std::vector<std::string>>>(data, size);
  Request r;
  r.object = std::get<0>(t);
  r.op = std::get<1>(t);
  r.args = std::move(std::get<2>(t));
  return r;
}

std::string encode_reply(const Reply& r) {
  std::string out;
  encode(out, std::tuple<std::uint8_t, std::string, std::string, std::vector<std::string>>(
                  r.status, r.error_type, r.message, r.values));
  return out;
}

Reply decode_reply(const char* data, std::size_t size) {
  auto t = decode<std::tuple<std::uint8_t, std::string, std::string, std::vector<std::string>>>(data, size);
  Reply r;
  r.status = std::get<0>(t);
  r.error_type = std::move(std::get<1>(t));
  r.message = std::move(std::get<2>(t));
  r.values = std::move(std::get<3>(t));
  return r;
}

void deliver_challenge(Connection& c, const std::string& authkey) {
  std::string message(kDigest);
  message += random_bytes(kMessageLength);
  c.send_bytes(std::string(kChallenge) + message);
  std::string response;
  try {
    response = c.recv_bytes(kMaxHandshake);
  } catch (const OSError& e) {
    if (std::string_view(e.what()) == "bad message length")
      throw AuthenticationError("digest received was wrong (message too long)");
    throw;
  }
  const std::string expected = std::string(kDigest) + hmac_sha256(authkey, message);
  if (!same_bytes(response, expected)) {
    try {
      c.send_bytes(kFailure);
    } catch (const triad::Error&) {  // the peer may be gone already; the verdict stands
    }
    throw AuthenticationError("digest received was wrong");
  }
  c.send_bytes(kWelcome);
}

void answer_challenge(Connection& c, const std::string& authkey) {
  std::string message;
  try {
    message = c.recv_bytes(kMaxHandshake);
  } catch (const OSError& e) {
    if (std::string_view(e.what()) == "bad message length")
      throw AuthenticationError("protocol error: challenge too long");
    throw;
  }
  const std::string_view m(message);
  if (m.substr(0, kChallenge.size()) != kChallenge)
    throw AuthenticationError("protocol error: expected a challenge");
  const std::string_view body = m.substr(kChallenge.size());
  if (body.substr(0, kDigest.size()) != kDigest)
    throw AuthenticationError("protocol error: unsupported digest (only {sha256} is spoken)");
  c.send_bytes(std::string(kDigest) + hmac_sha256(authkey, body));
  std::string verdict;
  try {
    verdict = c.recv_bytes(kMaxHandshake);
  } catch (const OSError& e) {
    if (std::string_view(e.what()) == "bad message length")
      throw AuthenticationError("digest sent was rejected");
    throw;
  }
  if (verdict != kWelcome) throw AuthenticationError("digest sent was rejected");
}

}  // namespace triad::process::detail
