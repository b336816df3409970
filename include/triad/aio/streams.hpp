// Streams: async TCP (and Unix) connections (Python: asyncio.open_connection, start_server,
// StreamReader, StreamWriter).
// Python: asyncio.open_connection, start_server, StreamReader, StreamWriter, Server.
//
// Python                                          triad::aio
// r, w = await asyncio.open_connection(h, p)      auto [r, w] = co_await open_connection("127.0.0.1", 8888);
// srv = await asyncio.start_server(cb, h, p)      Server srv = co_await start_server(cb, "127.0.0.1", 8888);
//   async def cb(reader, writer): ...              Task<void> cb(StreamReader r, StreamWriter w) { ... }
// await srv.serve_forever() / srv.close()         co_await srv.serve_forever(); srv.close();
// await srv.wait_closed(); srv.sockets            co_await srv.wait_closed(); srv.sockets()
// data = await r.read(n) / readline()             std::string data = co_await r.read(n); readline()
// await r.readexactly(n) / readuntil(b'sep')      co_await r.readexactly(n); readuntil("sep")
// r.at_eof() / r.feed_data / r.feed_eof           the same
// w.write(data); await w.drain()                  w.write(data); co_await w.drain();
// w.close(); await w.wait_closed()                w.close(); co_await w.wait_closed();
// w.write_eof() / can_write_eof() / is_closing()  the same
// w.get_extra_info('peername')                    w.peername() / w.sockname()
// w.transport.set_write_buffer_limits(high, low)  w.set_write_buffer_limits(high, low)
//
//   triad::aio::Task<void> handle(triad::aio::StreamReader r, triad::aio::StreamWriter w) {
//     while (true) {
//       std::string line = co_await r.readline();
//       if (line.empty()) break;                        // EOF
//       w.write(line);
//       co_await w.drain();                             // back-pressure
//     }
//     w.close();
//     co_await w.wait_closed();
//   }
//   auto srv = co_await triad::aio::start_server(handle, "127.0.0.1", 8888);
//
// Reading (Python's protocol): the transport reads eagerly when the socket is readable and
// feeds the reader's buffer; it stops reading while the buffer holds more than 2 × limit
// (default 64 KiB) and resumes when the reader drains it below limit. Errors:
//   read(n)         n < 0: until EOF; n == 0: ""; else up to n bytes, "" at EOF.
//   readexactly(n)  IncompleteReadError(partial, n) at EOF first: "<k> bytes read on a total of
//                   <n> expected bytes"; ValueError for n < 0.
//   readuntil(sep)  IncompleteReadError(partial, none) at EOF first; LimitOverrunError when the
//                   separator is not within `limit` bytes ("Separator is not found, and chunk
//                   exceed the limit" / "Separator is found, but chunk is longer than limit");
//                   ValueError("Separator should be at least one-byte string").
//   readline()      readuntil("\n"), returning the partial line at EOF; a LimitOverrunError
//                   becomes ValueError (Python).
// Two tasks reading at once: RuntimeError("read() called while another coroutine is already
// waiting for incoming data"). A connection error (reset) is raised by the next read.
//
// Writing: write() never blocks: it sends what the socket takes at once and buffers the rest,
// which the loop flushes in the background. drain() waits while the buffer is above the high
// water mark (default 64 KiB) until it is back at the low one (16 KiB). After the connection
// is lost, writes are dropped and drain() raises ConnectionResetError("Connection lost").
// close() stops reading, flushes the buffer, then closes the socket; wait_closed() waits for it.
//
// Blocks? every co_await suspends only the calling task · loop thread only · cancellation:
// CancelledError at any await (the data already buffered stays in the reader) · no timeouts
// of their own: wrap calls in wait_for/timeout. Handles (StreamReader/StreamWriter/Server) are
// reference-counted and loop-thread-only; the socket is closed when close() is called or the
// last handle goes (after flushing what was written).
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "triad/aio/event_loop.hpp"
#include "triad/net/address.hpp"
#include "triad/net/errors.hpp"
#include "triad/net/socket.hpp"

namespace triad::aio {

// Python: asyncio.IncompleteReadError (an EOFError): EOF before the expected bytes.
class IncompleteReadError : public EOFError {
 public:
  IncompleteReadError(std::string partial, std::optional<std::size_t> expected);
  // The bytes read before EOF (Python: .partial).
  [[nodiscard]] const std::string& partial() const noexcept { return partial_; }
  // The total expected (Python: .expected; nullopt = None).
  [[nodiscard]] std::optional<std::size_t> expected() const noexcept { return expected_; }

 private:
  std::string partial_;
  std::optional<std::size_t> expected_;
};

// Python: asyncio.LimitOverrunError: the separator was not found within the limit.
class LimitOverrunError : public Error {
 public:
  LimitOverrunError(const std::string& message, std::size_t consumed)
      : Error(message), consumed_(consumed) {}
  // How many bytes to consume (Python: .consumed).
  [[nodiscard]] std::size_t consumed() const noexcept { return consumed_; }

 private:
  std::size_t consumed_;
};

// Python: asyncio.streams._DEFAULT_LIMIT.
inline constexpr std::size_t kDefaultStreamLimit = 64 * 1024;

struct StreamPair;
namespace detail {
class ReaderState;
class Transport;
class ServerState;
StreamPair make_stream_pair(Transport* t);
}  // namespace detail

class StreamReader {
 public:
  // A reader with no transport (fed with feed_data/feed_eof; Python: StreamReader(limit)).
  // Must be created on the loop's thread while the loop exists.
  explicit StreamReader(std::size_t limit = kDefaultStreamLimit);
  StreamReader(const StreamReader& o) noexcept;
  StreamReader(StreamReader&& o) noexcept;
  StreamReader& operator=(StreamReader o) noexcept;
  ~StreamReader();

  // See the header comment for each.
  Task<std::string> read(std::ptrdiff_t n = -1);
  Task<std::string> readline();
  Task<std::string> readexactly(std::ptrdiff_t n);
  Task<std::string> readuntil(std::string_view separator = "\n");
  // Python: at_eof(): EOF was fed and the buffer is empty.
  [[nodiscard]] bool at_eof() const noexcept;
  // Python: feed_data / feed_eof / exception / set_exception.
  void feed_data(std::string_view data);
  void feed_eof();
  [[nodiscard]] std::exception_ptr exception() const noexcept;
  void set_exception(std::exception_ptr e);
  // Bytes buffered and not yet read.
  [[nodiscard]] std::size_t buffered() const noexcept;

 private:
  friend StreamPair detail::make_stream_pair(detail::Transport* t);
  explicit StreamReader(detail::ReaderState* s) noexcept;
  detail::ReaderState* s_ = nullptr;
};

class StreamWriter {
 public:
  StreamWriter(const StreamWriter& o) noexcept;
  StreamWriter(StreamWriter&& o) noexcept;
  StreamWriter& operator=(StreamWriter o) noexcept;
  ~StreamWriter();

  // Python: write(data) / writelines. Never blocks (see the header comment). Throws
  // RuntimeError("Cannot call write() after write_eof()").
  void write(std::string_view data);
  void writelines(const std::vector<std::string>& lines);
  // Python: drain(): waits for the buffer to fall to the low water mark if it is above the
  // high one. Throws ConnectionResetError("Connection lost"), the reader's exception.
  Task<void> drain();
  // Python: write_eof() (shutdown(SHUT_WR) once the buffer is flushed) / can_write_eof().
  void write_eof();
  [[nodiscard]] bool can_write_eof() const noexcept { return true; }
  // Python: close() / is_closing() / wait_closed().
  void close() noexcept;
  [[nodiscard]] bool is_closing() const noexcept;
  Task<void> wait_closed();
  // Python: transport.set_write_buffer_limits(high=None, low=None) (nullopt = defaults:
  // 64 KiB, high / 4) and get_write_buffer_size(). ValueError if low > high.
  void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                               std::optional<std::size_t> low = std::nullopt);
  [[nodiscard]] std::size_t get_write_buffer_size() const noexcept;
  // Python: get_extra_info('peername') / ('sockname'). Throws OSError once closed.
  [[nodiscard]] net::Address peername() const;
  [[nodiscard]] net::Address sockname() const;
  // The socket's fd (-1 once closed).
  [[nodiscard]] int fileno() const noexcept;

 private:
  friend StreamPair detail::make_stream_pair(detail::Transport* t);
  explicit StreamWriter(detail::Transport* t) noexcept;
  detail::Transport* t_ = nullptr;
};

struct StreamPair {
  StreamReader reader;
  StreamWriter writer;
};

// Python: asyncio.open_connection(host, port, limit=...): connects (DNS names are resolved
// with a blocking getaddrinfo on the loop thread; pass numeric addresses in hot paths).
// Throws ConnectionRefusedError and the other OSErrors of connect, gaierror, ValueError.
Task<StreamPair> open_connection(std::string host, int port, std::size_t limit = kDefaultStreamLimit);
// Python: asyncio.open_unix_connection(path).
Task<StreamPair> open_unix_connection(std::string path, std::size_t limit = kDefaultStreamLimit);

// The client-connected callback: called with each new connection; the returned Task is
// scheduled as a task (Python wraps a coroutine callback in a task).
using ClientConnected = std::function<Task<void>(StreamReader, StreamWriter)>;

class Server;
Task<Server> start_listening(net::socket sock, ClientConnected cb, std::size_t limit);

// Python: asyncio.Server (what start_server returns). A handle; loop thread only.
class Server {
 public:
  Server(const Server& o) noexcept;
  Server(Server&& o) noexcept;
  Server& operator=(Server o) noexcept;
  ~Server();

  // Python: close(): stops listening (existing connections stay open).
  void close() noexcept;
  // Python: wait_closed(): waits until closed and every connection handler task is done.
  Task<void> wait_closed();
  // Python: serve_forever(): waits until the server is closed (or the task is cancelled:
  // then closes it, as Python does).
  Task<void> serve_forever();
  // Python: is_serving() / sockets (their addresses here).
  [[nodiscard]] bool is_serving() const noexcept;
  [[nodiscard]] std::vector<net::Address> sockets() const;
  // The listening port (sockets()[0].port()) — convenience for port 0.
  [[nodiscard]] int port() const;

 private:
  friend Task<Server> start_listening(net::socket sock, ClientConnected cb, std::size_t limit);
  explicit Server(detail::ServerState* s) noexcept;
  detail::ServerState* s_ = nullptr;
};

// Python: asyncio.start_server(client_connected_cb, host, port, limit=..., backlog=100,
// reuse_port=...): listening already when it returns (start_serving=True).
Task<Server> start_server(ClientConnected cb, std::string host, int port,
                          std::size_t limit = kDefaultStreamLimit, int backlog = 100,
                          bool reuse_port = false);
// Serves on an already listening socket (Python: start_server(sock=...)).
Task<Server> start_listening(net::socket sock, ClientConnected cb,
                             std::size_t limit = kDefaultStreamLimit);
// Python: asyncio.start_unix_server(cb, path).
Task<Server> start_unix_server(ClientConnected cb, std::string path,
                               std::size_t limit = kDefaultStreamLimit, int backlog = 100);

}  // namespace triad::aio
