// S29 (seed 003): a crawler. ThreadPoolExecutor(4) fetches 9 URLs; a done-callback "parses"
// each page. The pages come from a tiny HTTP/1.0 server that this example runs on 127.0.0.1
// (no internet), fetched by a tiny HTTP/1.0 client, both on plain POSIX sockets.
//
// Python (seed 003):
//   def get(url):
//       print('%s GET %s' % (current_thread().name, url)); time.sleep(3)
//       response = requests.get(url)
//       return response.text if response.status_code == 200 else '下载失败'
//   def parse(future):
//       time.sleep(1); res = future.result()
//       print('%s 解析结果为%s' % (current_thread().name, len(res)))
//   p = ThreadPoolExecutor(4)
//   for url in urls: p.submit(get, url).add_done_callback(parse)
//   p.shutdown(wait=True); print('主', current_thread().name)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/futures.hpp"
#include "triad/threading/thread.hpp"

namespace {

using namespace std::chrono_literals;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  [[nodiscard]] int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Waits until fd is ready for `events` or the timeout passes; false on timeout.
bool wait_fd(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  while (true) {
    const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) throw_errno("poll");
  }
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("send");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads until `stop` is in the data, EOF, or the timeout; returns what was read.
std::string recv_until(int fd, std::string_view stop, std::chrono::milliseconds timeout) {
  std::string data;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (stop.empty() || data.find(stop) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms || !wait_fd(fd, POLLIN, left)) throw std::runtime_error("HTTP: timed out reading");
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("recv");
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

// A tiny HTTP/1.0 server on 127.0.0.1 (an ephemeral port): GET of a known path answers 200
// with the page, anything else 404. One request per connection, served by one thread in turn
// (pages are small and local). Stops and joins its thread in the destructor.
class LocalWebServer {
 public:
  explicit LocalWebServer(std::map<std::string, std::string> pages) : pages_(std::move(pages)) {
    listen_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (listen_.get() < 0) throw_errno("socket");
    const int one = 1;
    ::setsockopt(listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw_errno("bind");
    if (::listen(listen_.get(), 64) != 0) throw_errno("listen");
    socklen_t len = sizeof addr;
    if (::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw_errno("getsockname");
    port_ = ntohs(addr.sin_port);
    stop_ = Fd(::eventfd(0, EFD_CLOEXEC));
    if (stop_.get() < 0) throw_errno("eventfd");
    thread_.start();
  }
  LocalWebServer(const LocalWebServer&) = delete;
  LocalWebServer& operator=(const LocalWebServer&) = delete;
  ~LocalWebServer() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(stop_.get(), &one, sizeof one);
    thread_.join();
  }

  [[nodiscard]] std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + std::string(path);
  }
  [[nodiscard]] int requests() const { return requests_.load(); }

 private:
  void serve() {
    while (true) {
      pollfd fds[2] = {{listen_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      Fd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (conn.get() < 0) continue;
      try {
        answer(conn.get());
      } catch (const std::exception&) {
        // A client that vanished mid-request: drop the connection, keep serving.
      }
    }
  }

  void answer(int fd) {
    const std::string request = recv_until(fd, "\r\n\r\n", 5000ms);
    ++requests_;
    // "GET /path HTTP/1.0"
    std::string path;
    if (request.starts_with("GET /")) {
      const auto end = request.find(' ', 4);
      if (end != std::string::npos) path = request.substr(5, end - 5);
    }
    const auto page = pages_.find(path);
    const bool found = page != pages_.end();
    const std::string body = found ? page->second : "<html><body>404 Not Found</body></html>";
    std::string response = found ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.0 404 Not Found\r\n";
    response += "Content-Type: text/html; charset=utf-8\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    send_all(fd, response);
  }

  std::map<std::string, std::string> pages_;
  Fd listen_;
  Fd stop_;
  std::uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  triad::Thread thread_{triad::ThreadOptions{.name = "web-server"}, [this] { serve(); }};
};

struct Response {
  int status_code = 0;
  std::string text;
};

// A tiny HTTP/1.0 client: GET http://127.0.0.1:PORT/path (IPv4 literal hosts only).
Response http_get(const std::string& url) {
  const std::string_view prefix = "http://";
  if (!url.starts_with(prefix)) throw std::invalid_argument("http_get: not an http:// URL: " + url);
  const auto host_end = url.find('/', prefix.size());
  const std::string hostport = url.substr(prefix.size(), host_end - prefix.size());
  const std::string path = host_end == std::string::npos ? "/" : url.substr(host_end);
  const auto colon = hostport.find(':');
  const std::string host = hostport.substr(0, colon);
  const int port = colon == std::string::npos ? 80 : std::stoi(hostport.substr(colon + 1));

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    throw std::invalid_argument("http_get: host must be an IPv4 address: " + host);
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw_errno("socket");
  while (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINTR) throw_errno("connect");
  }
  send_all(fd.get(), "GET " + path + " HTTP/1.0\r\nHost: " + hostport + "\r\n\r\n");
  const std::string reply = recv_until(fd.get(), "", 5000ms);  // until EOF

  Response r;
  // "HTTP/1.0 200 OK\r\n...\r\n\r\nbody"
  const auto sp = reply.find(' ');
  const auto header_end = reply.find("\r\n\r\n");
  if (!reply.starts_with("HTTP/1.") || sp == std::string::npos || header_end == std::string::npos)
    throw std::runtime_error("http_get: malformed response from " + url);
  r.status_code = std::stoi(reply.substr(sp + 1, 3));
  r.text = reply.substr(header_end + 4);
  return r;
}

// The seed's nine URLs, served locally: the host name becomes the path.
const std::vector<std::string>& seed_sites() {
  static const std::vector<std::string> sites{
      "www.baidu.com",     "www.sina.com.cn", "www.tmall.com",
      "www.jd.com",        "www.python.org",  "www.openstack.org",
      "www.baidu.com",     "www.baidu.com",   "www.baidu.com",
  };
  return sites;
}

std::string page_for(const std::string& site, std::size_t filler) {
  std::string body = "<html><head><meta charset=\"utf-8\"><title>" + site +
                     "</title></head><body><h1>" + site + "</h1><p>本地页面 (served on 127.0.0.1)</p>";
  for (std::size_t i = 0; i < filler; ++i) body += "<p>paragraph " + std::to_string(i) + "</p>";
  return body + "</body></html>";
}

}  // namespace

TOUR_SCENARIO(S29, "003", "#add_done_callback(fn) 回调函数 (爬虫)",
              "A crawler: a pool fetches, a done-callback parses",
              "ThreadPoolExecutor(4) fetches 9 pages from a local HTTP server; each future's "
              "done-callback parses its page on the worker that finished it.") {
  // The pages: each distinct site gets its own length, so a wrong page shows up as a wrong length.
  std::map<std::string, std::string> pages;
  std::map<std::string, std::size_t> expected_len;
  std::size_t filler = 3;
  for (const auto& site : seed_sites()) {
    if (pages.count(site) != 0) continue;
    pages[site] = page_for(site, filler);
    expected_len[site] = pages[site].size();
    filler += 4;
  }
  LocalWebServer server(pages);
  ctx.say("local web server on " + server.url(""));

  const auto fetch_sleep = ctx.scaled(3s);  // the seed's time.sleep(3) in get()
  const auto parse_sleep = ctx.scaled(1s);  // the seed's time.sleep(1) in parse()

  std::mutex m;
  std::set<std::thread::id> get_threads;
  std::set<std::thread::id> parse_threads;
  std::vector<std::pair<std::string, std::size_t>> parsed;  // (site, length) per callback
  int callbacks_in_caller = 0;  // ran at once inside add_done_callback: the future was done
  bool adding = false;          // main is inside add_done_callback
  const auto main_id = std::this_thread::get_id();
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};

  auto get = [&](const std::string& url) -> std::string {
    ctx.say(ctx.stamp() + " " + triad::current_thread().name() + " GET " + url);
    {
      std::lock_guard<std::mutex> g(m);
      get_threads.insert(std::this_thread::get_id());
    }
    const int now = ++in_flight;
    int seen = max_in_flight.load();
    while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(fetch_sleep);  // ok-sleep: the seed's simulated slow network
    --in_flight;
    const Response response = http_get(url);
    return response.status_code == 200 ? response.text : std::string("下载失败");
  };

  const auto start = std::chrono::steady_clock::now();
  {
    triad::ThreadPoolExecutor p(4);
    for (const auto& site : seed_sites()) {
      const std::string url = server.url(site);
      auto future = p.submit(get, url);
      adding = true;
      future.add_done_callback([&, site](const triad::Future<std::string>& f) {
        std::this_thread::sleep_for(parse_sleep);  // ok-sleep: the seed's slow parser
        const std::string res = f.result();
        ctx.say(ctx.stamp() + " " + triad::current_thread().name() + " 解析结果为" +
                std::to_string(res.size()) + "  (" + site + ")");
        std::lock_guard<std::mutex> g(m);
        if (std::this_thread::get_id() == main_id && adding)
          ++callbacks_in_caller;
        else
          parse_threads.insert(std::this_thread::get_id());
        parsed.emplace_back(site, res.size());
      });
      adding = false;
    }
    p.shutdown(/*wait=*/true);
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  ctx.say(ctx.stamp() + " 主 " + triad::current_thread().name());

  ctx.check(server.requests() == 9, "the local server answered all 9 requests (got " +
                                        std::to_string(server.requests()) + ")");
  ctx.check(parsed.size() == 9, "every future's done-callback ran once (" +
                                    std::to_string(parsed.size()) + " of 9)");
  bool lengths_ok = true;
  for (const auto& [site, len] : parsed) lengths_ok = lengths_ok && len == expected_len[site];
  ctx.check(lengths_ok, "each callback parsed its own page (the length the server sent)");
  bool on_workers = true;
  for (const auto& id : parse_threads) on_workers = on_workers && get_threads.count(id) != 0;
  // A callback runs on the worker that completed its future, or at once in the caller of
  // add_done_callback if the future had already finished (not expected with a 3 s fetch).
  ctx.check(on_workers, "the callbacks ran on the pool's workers (" +
                            std::to_string(callbacks_in_caller) + " in main, for futures already done)");
  ctx.check(get_threads.size() <= 4 && max_in_flight.load() <= 4,
            "at most 4 fetches at once, on at most 4 threads (" +
                std::to_string(get_threads.size()) + " threads, " +
                std::to_string(max_in_flight.load()) + " at once)");
  // Serially: 9 × (3 s + 1 s). Four workers take about 3 rounds of 4 s.
  const double serial = 9 * std::chrono::duration<double>(fetch_sleep + parse_sleep).count();
  ctx.say("took " + tour::format_seconds(took) + "; one thread would need " +
          tour::format_seconds(std::chrono::duration<double>(serial)));
  ctx.check(took.count() < 0.75 * serial, "the pool overlaps the fetches (< 3/4 of the serial time)");
}
