// S35c (seeds 000, 003 and 004: S04's upper-case echo server, written with asyncio streams):
// one OS thread runs an event loop whose coroutines serve hundreds of concurrent clients; a
// client that resets its connection ends only its own conversation. The green version is S04.
//
// Python (asyncio form of seed 003's server):
//   async def communicate(reader, writer):
//       while True:
//           try:
//               data = await reader.read(1024)
//               if not data: break
//               writer.write(data.upper()); await writer.drain()
//           except ConnectionResetError: break
//       writer.close(); await writer.wait_closed()
//   async def main():
//       server = await asyncio.start_server(communicate, '127.0.0.1', 8080)
//       async with server: await server.serve_forever()
//   asyncio.run(main())
//
// triad: 500 client threads (50 in --fast mode) with blocking sockets, each sending three
// messages; one more client resets its connection. The server stops at the end.
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/aio.hpp"
#include "triad/net/socket.hpp"

namespace {

namespace aio = triad::aio;

struct EchoStats {
  std::atomic<int> conversations{0};
  std::atomic<int> open{0};
  std::atomic<int> max_open{0};
  std::atomic<int> resets{0};
  std::atomic<bool> one_thread{true};
  std::thread::id server_thread;
};

aio::Task<void> communicate(EchoStats& st, aio::StreamReader reader, aio::StreamWriter writer) {
  st.conversations.fetch_add(1);
  const int now = st.open.fetch_add(1) + 1;
  int seen = st.max_open.load();
  while (now > seen && !st.max_open.compare_exchange_weak(seen, now)) {
  }
  for (;;) {
    if (std::this_thread::get_id() != st.server_thread) st.one_thread = false;
    std::string data;
    try {
      data = co_await reader.read(1024);
    } catch (const triad::net::ConnectionResetError&) {
      st.resets.fetch_add(1);
      break;
    }
    if (data.empty()) break;
    for (char& c : data) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    writer.write(data);
    try {
      co_await writer.drain();
    } catch (const triad::net::ConnectionResetError&) {
      st.resets.fetch_add(1);
      break;
    }
  }
  st.open.fetch_sub(1);
  writer.close();
  co_await writer.wait_closed();
}

}  // namespace

TOUR_SCENARIO(S35c, "000, 003, 004", "asyncio 单线程并发 (echo)", "Async echo server on one thread",
              "S04's upper-case echo server as asyncio streams: one event loop, one coroutine per "
              "connection, hundreds of clients at once; a client that resets is handled cleanly.") {
  const int clients = ctx.fast() ? 50 : 500;
  EchoStats st;
  std::latch ready(1);
  int port = 0;
  aio::EventLoop* loop = nullptr;
  aio::Server* server = nullptr;

  std::thread server_thread([&] {
    st.server_thread = std::this_thread::get_id();
    aio::run([&]() -> aio::Task<void> {
      auto handler = [&st](aio::StreamReader r, aio::StreamWriter w) {
        return communicate(st, std::move(r), std::move(w));
      };
      aio::Server srv = co_await aio::start_server(handler, "127.0.0.1", 0, aio::kDefaultStreamLimit, 1024);
      port = srv.port();
      loop = &aio::get_running_loop();
      server = &srv;
      ready.count_down();
      co_await srv.serve_forever();   // until close() below
      co_await srv.wait_closed();     // and every conversation has ended
    });
  });
  ready.wait();
  ctx.say("server listening on 127.0.0.1:" + std::to_string(port) + " (one OS thread)");

  // All clients connect first, then talk: the server holds every connection at once.
  std::atomic<int> ok{0};
  std::latch connected(clients);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(clients));
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto s = triad::net::create_connection({"127.0.0.1", port}, triad::seconds(30));
        connected.count_down();
        connected.wait();
        bool good = true;
        for (int n = 0; n < 3; ++n) {
          const std::string msg = "client-" + std::to_string(i) + " say hello " + std::to_string(n);
          s.sendall(msg);
          std::string got;
          while (got.size() < msg.size()) {
            std::string part = s.recv(1024);
            if (part.empty()) break;
            got += part;
          }
          std::string want = msg;
          std::transform(want.begin(), want.end(), want.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
          good = good && got == want;
        }
        if (good) ok.fetch_add(1);
      } catch (...) {
        connected.count_down();
      }
    });
  }
  for (auto& t : threads) t.join();
  ctx.say(std::to_string(ok.load()) + " of " + std::to_string(clients) +
          " clients got their three upper-cased replies; at most " + std::to_string(st.max_open.load()) +
          " connections were open at once");

  // A rude client: sends, then resets the connection (SO_LINGER 0) without reading.
  {
    auto s = triad::net::create_connection({"127.0.0.1", port}, triad::seconds(30));
    s.sendall("hello then reset");
    std::string got = s.recv(1024);  // the server answers before we reset
    struct linger lg{1, 0};
    s.setsockopt(SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    s.close();
    ctx.say("rude client: got '" + got + "' and reset its connection");
  }

  loop->call_soon_threadsafe([&] { server->close(); });
  server_thread.join();
  ctx.check(ok.load() == clients, "every client was served (upper-case echo)");
  ctx.check(st.max_open.load() == clients, "all the clients were connected at the same time");
  ctx.check(st.conversations.load() == clients + 1, "the rude client was accepted too");
  ctx.check(st.one_thread.load(), "every conversation ran on the loop's single OS thread");
  ctx.say("the server stopped after every conversation ended (" + std::to_string(st.resets.load()) +
          " ended by a reset)");
}
