// Connection and Pipe: message channels between processes.
//
// Python: multiprocessing.Pipe / multiprocessing.connection.Connection.
//
//   auto [parent_end, child_end] = triad::process::Pipe();
//   triad::process::Process p([&] { child_end.send(std::string("hello")); });
//   p.start();
//   std::string s = parent_end.recv<std::string>();   // "hello"
//   p.join();
//
// A Connection carries framed messages over a Unix stream socket: a 4-byte length (8 more
// bytes for messages of 2 GiB and up), then the bytes. send(obj)/recv<T>() encode values
// with cereal (standard types out of the box, user types with a `serialize` member; see
// detail/serialize.hpp); send_bytes/recv_bytes move raw bytes. Each message costs one
// system call to send and usually one to receive (received bytes are buffered).
//
// Python                          triad
// conn.send(obj) / conn.recv()    conn.send(obj) / conn.recv<T>()  (the receiver names the type)
// conn.poll() / poll(None)        conn.poll() (= don't wait) / conn.poll(triad::forever)
// OSError                         triad::process::OSError (a triad::Error)
//
// Errors: recv on a connection whose peer closed (between messages) raises EOFError; a peer
// that closes in the middle of a message raises OSError("got end of file during message"); a
// message that does not decode as T raises ValueError("corrupted message: ..."). Nothing is
// allocated before the bytes arrive, so a corrupted length cannot exhaust memory.
//
// Thread safety: one thread may send while another receives; two concurrent senders (or
// receivers) on the same Connection must synchronise (Python's Connection is the same).
// Connections are movable (they own a file descriptor), not copyable. After fork both
// processes hold both ends: close the end a process does not use, or EOF never arrives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/process/detail/serialize.hpp"

namespace triad::process {

// An operating-system level failure (Python: OSError), with errno when there is one.
class OSError : public triad::Error {
 public:
  explicit OSError(const std::string& what, int err = 0) : Error(what), errno_(err) {}
  [[nodiscard]] int error_number() const noexcept { return errno_; }

 private:
  int errno_;
};

class Connection {
 public:
  Connection() noexcept = default;  // a closed connection
  // Adopts fd (a stream socket or pipe end).
  Connection(int fd, bool readable, bool writable) noexcept
      : fd_(fd), readable_(readable), writable_(writable) {}
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Sends obj as one message.
  // Blocks: while the peer's socket buffer is full. Thread safety: see the header comment.
  // Throws OSError("handle is closed"), OSError("connection is read-only"), OSError on a
  // broken connection (the peer closed it: errno EPIPE).
  template <class T>
  void send(const T& obj) {
    std::string& buf = scratch();
    buf.assign(4, '\0');
    detail::encode(buf, obj);
    send_framed(buf);
  }

  // Receives one message and decodes it as T.
  // Blocks: until a whole message arrived. Throws EOFError when the peer closed between
  // messages, OSError("got end of file during message"), ValueError for a message that is
  // not a valid T, OSError("handle is closed"/"connection is write-only").
  template <class T>
  T recv() {
    std::string_view bytes = recv_view();
    return detail::decode<T>(bytes.data(), bytes.size());
  }

  // Sends bytes (Python: send_bytes(buf, offset, size)). Throws ValueError for an offset or
  // size outside buf; otherwise as send().
  void send_bytes(std::string_view buf, std::size_t offset = 0,
                  std::optional<std::size_t> size = std::nullopt);

  // Receives one message's bytes. With maxlength, a longer message raises
  // OSError("bad message length") and the connection is closed (as in Python).
  // Otherwise as recv().
  std::string recv_bytes(std::optional<std::size_t> maxlength = std::nullopt);

  // Whether a message (or EOF) can be received without blocking.
  // Blocks: up to the timeout. Default: zero (Python's poll() does not wait); pass
  // triad::forever to wait without limit. Throws OSError if closed or write-only.
  bool poll(Timeout timeout = std::chrono::nanoseconds(0));

  // Closes the descriptor; idempotent.
  void close() noexcept;

  [[nodiscard]] bool closed() const noexcept { return fd_ < 0; }
  [[nodiscard]] bool readable() const noexcept { return readable_; }
  [[nodiscard]] bool writable() const noexcept { return writable_; }
  // The descriptor (Python: fileno()). Throws OSError("handle is closed").
  [[nodiscard]] int fileno() const;

 private:
  static std::string& scratch();
  void check_readable() const;
  void check_writable() const;
  // buf holds 4 placeholder bytes then the payload; writes the header and sends it.
  void send_framed(std::string& buf);
  // The next message's bytes, valid until the next receive.
  std::string_view recv_view(std::optional<std::size_t> maxlength = std::nullopt);
  // Reads at least `want` buffered bytes; returns false on EOF before any byte.
  bool fill(std::size_t want);

  int fd_ = -1;
  bool readable_ = false;
  bool writable_ = false;
  std::string rbuf_;        // received, not yet consumed bytes live in [rpos_, rend_)
  std::size_t rpos_ = 0;
  std::size_t rend_ = 0;
  std::string big_;         // a message too large for rbuf_
};

// A connected pair (Python: Pipe(duplex=True)). With duplex=false the first end can only
// receive and the second only send. Throws OSError when out of descriptors.
std::pair<Connection, Connection> Pipe(bool duplex = true);

}  // namespace triad::process
