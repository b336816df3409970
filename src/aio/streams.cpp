// Streams (include/triad/aio/streams.hpp): reader buffers, the socket transport on IoWaits,
// servers. Everything here runs on the loop thread.
#include "triad/aio/streams.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "triad/aio/sleep.hpp"
#include "triad/net/socket.hpp"

namespace triad::aio {

IncompleteReadError::IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
    : EOFError(std::to_string(partial.size()) + " bytes read on a total of " +
               (expected ? std::to_string(*expected) : std::string("undefined")) +
               " expected bytes"),
      partial_(std::move(partial)),
      expected_(expected) {}

namespace detail {

// ---- Signal: tasks waiting for a condition, all resumed by notify_all() ------------------

class Signal;

class SignalAwaiter : public Suspension {
 public:
  explicit SignalAwaiter(Signal& s) noexcept : sig_(s) {}
  SignalAwaiter(const SignalAwaiter&) = delete;
  SignalAwaiter& operator=(const SignalAwaiter&) = delete;
  ~SignalAwaiter() { unlink(); }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h);
  void await_resume() { task->check_cancel(cancelled); }

  void resume() noexcept {
    unlink();
    task->waiting_on_ = nullptr;
    task->loop_->schedule(task);
  }
  void unlink() noexcept;

  SignalAwaiter* prev = nullptr;
  SignalAwaiter* next = nullptr;
  bool linked = false;

 private:
  static bool cancel_thunk(Suspension& s) noexcept {
    auto& self = static_cast<SignalAwaiter&>(s);
    if (!self.linked) return false;
    self.cancelled = true;
    self.resume();
    return true;
  }
  Signal& sig_;
};

class Signal {
 public:
  void add(SignalAwaiter& a) noexcept {
    a.prev = tail_;
    a.next = nullptr;
    if (tail_) tail_->next = &a; else head_ = &a;
    tail_ = &a;
    a.linked = true;
  }
  void remove(SignalAwaiter& a) noexcept {
    if (a.prev) a.prev->next = a.next; else head_ = a.next;
    if (a.next) a.next->prev = a.prev; else tail_ = a.prev;
    a.prev = a.next = nullptr;
    a.linked = false;
  }
  void notify_all() noexcept {
    while (head_ != nullptr) head_->resume();
  }
  [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }

 private:
  SignalAwaiter* head_ = nullptr;
  SignalAwaiter* tail_ = nullptr;
};

void SignalAwaiter::await_suspend(std::coroutine_handle<> h) {
  PromiseBase& t = current_task_or_throw();
  on_cancel = &cancel_thunk;
  t.suspend(h, this);
  sig_.add(*this);
}
void SignalAwaiter::unlink() noexcept {
  if (linked) sig_.remove(*this);
}

// ---- ReaderState ----------------------------------------------------------------------------

class ReaderState {
 public:
  explicit ReaderState(std::size_t lim) : limit(lim) {
    if (lim == 0) throw ValueError("Limit cannot be <= 0");
  }
  void ref() noexcept { ++refs; }
  void unref() noexcept {
    if (--refs == 0) delete this;
  }
  [[nodiscard]] std::size_t size() const noexcept { return buf.size() - pos; }
  [[nodiscard]] std::string_view view() const noexcept {
    return std::string_view(buf).substr(pos);
  }
  std::string take(std::size_t n) {
    std::string out(view().substr(0, n));
    consume(n);
    return out;
  }
  void consume(std::size_t n) noexcept;
  void feed(std::string_view data);
  void feed_eof() noexcept {
    eof = true;
    data.notify_all();
  }
  void maybe_resume_transport() noexcept;

  std::uint32_t refs = 0;
  std::size_t limit;
  std::string buf;
  std::size_t pos = 0;
  bool eof = false;
  bool waiting = false;
  std::exception_ptr exc;
  Signal data;
  Transport* transport = nullptr;  // while the connection is open
};

// Waits for the reader to be fed (Python: StreamReader._wait_for_data).
class DataAwaiter : public SignalAwaiter {
 public:
  DataAwaiter(ReaderState& r, const char* func) : SignalAwaiter(r.data), r_(r) {
    if (r.waiting) {
      throw RuntimeError(std::string(func) +
                         "() called while another coroutine is already waiting for incoming data");
    }
    r.waiting = true;
    r.maybe_resume_transport();
  }
  ~DataAwaiter() { r_.waiting = false; }
  void await_resume() {
    SignalAwaiter::await_resume();
    if (r_.exc) std::rethrow_exception(r_.exc);
  }

 private:
  ReaderState& r_;
};

// ---- Transport --------------------------------------------------------------------------------

class Transport {
 public:
  Transport(EventLoop& loop, net::socket sock, std::size_t limit)
      : loop_(&loop), sock_(std::move(sock)), fd_(sock_.fileno()), reader_(new ReaderState(limit)) {
    reader_->ref();
    reader_->transport = this;
    rd_.fd = fd_;
    rd_.events = net::Events::readable;
    rd_.complete = &on_readable;
    rd_.user = this;
    wr_.fd = fd_;
    wr_.events = net::Events::writable;
    wr_.complete = &on_writable;
    wr_.user = this;
    refs_ = 1;  // the "open" reference, dropped by finalize()
  }
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  ~Transport() { reader_->unref(); }

  void ref() noexcept { ++refs_; }
  void unref() noexcept {
    if (--refs_ == 0) delete this;
  }
  // A writer handle went away: the last one closes the connection (after flushing).
  void writer_released() noexcept {
    if (--writers_ == 0 && !closing_) close();
    unref();
  }
  void writer_acquired() noexcept {
    ++writers_;
    ref();
  }

  ReaderState* reader() noexcept { return reader_; }
  void start_reading() noexcept { read_ready(); }

  void pause_reading() noexcept {
    reading_paused_ = true;
    if (read_armed_ && loop_->reactor().disarm(rd_)) read_armed_ = false;
  }
  void resume_reading() noexcept {
    if (!reading_paused_ || closing_) return;
    reading_paused_ = false;
    read_ready();
  }

  void write(std::string_view data);
  void write_eof();
  void close() noexcept;
  void set_limits(std::optional<std::size_t> high, std::optional<std::size_t> low);

  [[nodiscard]] std::size_t buffered() const noexcept { return wbuf_.size() - wpos_; }
  [[nodiscard]] bool closing() const noexcept { return closing_; }
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  [[nodiscard]] bool paused_writing() const noexcept { return paused_writing_; }
  [[nodiscard]] const std::exception_ptr& lost() const noexcept { return conn_lost_; }
  [[nodiscard]] int fd() const noexcept { return closed_ ? -1 : fd_; }
  net::socket& sock() noexcept { return sock_; }

  Signal drain_sig;
  Signal closed_sig;

 private:
  static void on_readable(net::IoWait& w) noexcept {
    auto* t = static_cast<Transport*>(w.user);
    t->read_armed_ = false;
    t->read_ready();
  }
  static void on_writable(net::IoWait& w) noexcept {
    auto* t = static_cast<Transport*>(w.user);
    t->write_armed_ = false;
    t->flush();
  }
  void read_ready() noexcept;
  void flush() noexcept;
  void arm_write() noexcept;
  void lose(int err) noexcept;
  void finalize() noexcept;
  void after_drained() noexcept;

  EventLoop* loop_;
  net::socket sock_;
  int fd_;
  ReaderState* reader_;
  net::IoWait rd_;
  net::IoWait wr_;
  std::string wbuf_;
  std::size_t wpos_ = 0;
  std::size_t high_ = 64 * 1024;
  std::size_t low_ = 16 * 1024;
  std::uint32_t refs_ = 0;
  std::uint32_t writers_ = 0;
  std::exception_ptr conn_lost_;
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool reading_paused_ = false;
  bool paused_writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool eof_requested_ = false;
  bool eof_sent_ = false;
};

void ReaderState::consume(std::size_t n) noexcept {
  pos += n;
  if (pos == buf.size()) {
    buf.clear();
    pos = 0;
  } else if (pos > 4096 && pos * 2 > buf.size()) {
    buf.erase(0, pos);
    pos = 0;
  }
  maybe_resume_transport();
}

void ReaderState::feed(std::string_view d) {
  if (d.empty()) return;
  buf.append(d);
  data.notify_all();
  if (transport != nullptr && size() > 2 * limit) transport->pause_reading();
}

void ReaderState::maybe_resume_transport() noexcept {
  if (transport != nullptr && size() <= limit) transport->resume_reading();
}

void Transport::read_ready() noexcept {
  ReaderState& r = *reader_;
  for (;;) {
    if (closing_ || reading_paused_ || r.eof) return;
    // recv into a per-thread scratch buffer and append what came (resizing the reader's
    // std::string first would zero 64 KiB per read).
    constexpr std::size_t kChunk = 64 * 1024;
    static thread_local char scratch[kChunk];
    const ssize_t n = ::recv(fd_, scratch, kChunk, 0);
    if (n > 0) {
      try {
        r.buf.append(scratch, static_cast<std::size_t>(n));
      } catch (...) {
        lose(ENOMEM);
        return;
      }
      r.data.notify_all();
      if (r.size() > 2 * r.limit) {
        reading_paused_ = true;
        return;
      }
      if (static_cast<std::size_t>(n) == kChunk) continue;  // maybe more right now
    } else {
      if (n == 0) {
        r.feed_eof();  // Python: eof_received -> feed_eof; the writer side stays usable
        return;
      }
      const int err = errno;
      if (err == EINTR) continue;
      if (err != EAGAIN && err != EWOULDBLOCK) {
        lose(err);
        return;
      }
    }
    // A short read drained the socket: any new data is a new edge, remembered by the reactor.
    try {
      if (loop_->reactor().arm(rd_)) {
        read_armed_ = true;
        return;
      }
    } catch (...) {
      lose(EBADF);
      return;
    }
  }
}

void Transport::write(std::string_view data) {
  if (eof_requested_) throw RuntimeError("Cannot call write() after write_eof()");
  if (data.empty()) return;
  if (conn_lost_ || closed_) return;  // Python: dropped after the connection is lost
  if (buffered() == 0) {
    for (;;) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        if (data.empty()) return;
        break;  // short write: the socket buffer is full
      }
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) break;
      lose(err);
      return;
    }
  }
  if (wpos_ > 0 && wpos_ == wbuf_.size()) {
    wbuf_.clear();
    wpos_ = 0;
  }
  wbuf_.append(data);
  if (buffered() > high_) paused_writing_ = true;
  arm_write();
}

void Transport::arm_write() noexcept {
  if (write_armed_ || closed_) return;
  try {
    if (loop_->reactor().arm(wr_)) {
      write_armed_ = true;
      return;
    }
  } catch (...) {
    lose(EBADF);
    return;
  }
  // Already writable: flush from the loop, not inside write() (re-entrancy).
  ref();
  try {
    loop_->schedule_callback([this] {
      flush();
      unref();
    });
  } catch (...) {
    unref();
  }
}

void Transport::flush() noexcept {
  if (closed_) return;
  while (buffered() > 0) {
    const ssize_t n = ::send(fd_, wbuf_.data() + wpos_, buffered(), MSG_NOSIGNAL);
    if (n >= 0) {
      wpos_ += static_cast<std::size_t>(n);
      continue;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      if (paused_writing_ && buffered() <= low_) {
        paused_writing_ = false;
        drain_sig.notify_all();
      }
      arm_write();
      return;
    }
    lose(err);
    return;
  }
  wbuf_.clear();
  wpos_ = 0;
  after_drained();
}

void Transport::after_drained() noexcept {
  if (paused_writing_) {
    paused_writing_ = false;
    drain_sig.notify_all();
  }
  if (eof_requested_ && !eof_sent_) {
    eof_sent_ = true;
    ::shutdown(fd_, SHUT_WR);
  }
  if (closing_) finalize();
}

void Transport::write_eof() {
  if (closing_ || eof_requested_) return;
  eof_requested_ = true;
  if (buffered() == 0) after_drained();
}

void Transport::set_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) {
  const std::size_t h = high ? *high : (low ? 4 * *low : 64 * 1024);
  const std::size_t l = low ? *low : h / 4;
  if (l > h) {
    throw ValueError("high (" + std::to_string(h) + ") must be >= low (" + std::to_string(l) +
                     ") must be >= 0");
  }
  high_ = h;
  low_ = l;
  if (buffered() > high_) {
    paused_writing_ = true;
  } else if (paused_writing_ && buffered() <= low_) {
    paused_writing_ = false;
    drain_sig.notify_all();
  }
}

void Transport::lose(int err) noexcept {
  if (conn_lost_) return;
  try {
    net::raise_os_error(err);
  } catch (...) {
    conn_lost_ = std::current_exception();
  }
  if (reader_->transport == this && !reader_->eof) {
    reader_->exc = conn_lost_;
    reader_->data.notify_all();
  }
  wbuf_.clear();
  wpos_ = 0;
  closing_ = true;
  finalize();
}

void Transport::close() noexcept {
  if (closing_) return;
  closing_ = true;
  if (read_armed_ && loop_->reactor().disarm(rd_)) read_armed_ = false;
  if (buffered() == 0) {
    finalize();
  }  // else finalize() runs once flushed (after_drained)
}

void Transport::finalize() noexcept {
  if (closed_) return;
  closed_ = true;
  ref();  // keep *this while the callbacks below run
  loop_->reactor().close_fd(fd_);  // completes our armed IoWaits now (they see closed_)
  read_armed_ = write_armed_ = false;
  sock_.close();
  if (reader_->transport == this) {
    reader_->transport = nullptr;
    if (!reader_->eof) reader_->feed_eof();  // Python: connection_lost -> feed_eof
  }
  if (paused_writing_) paused_writing_ = false;
  drain_sig.notify_all();
  closed_sig.notify_all();
  --refs_;  // the open reference (the guard taken above still holds one)
  unref();
}

// ---- Server ---------------------------------------------------------------------------------

class ServerState {
 public:
  ServerState(EventLoop& loop, net::socket sock, ClientConnected cb, std::size_t limit)
      : loop_(&loop), sock_(std::move(sock)), fd_(sock_.fileno()), cb_(std::move(cb)), limit_(limit) {
    acc_.fd = fd_;
    acc_.events = net::Events::readable;
    acc_.complete = &on_acceptable;
    acc_.user = this;
    refs_ = 1;  // the serving reference
    serving_ = true;
  }
  void ref() noexcept { ++refs_; }
  void unref() noexcept {
    if (--refs_ == 0) delete this;
  }
  void start() noexcept { accept_ready(); }
  void close() noexcept {
    if (!serving_) return;
    serving_ = false;
    loop_->reactor().close_fd(fd_);
    try {
      sockets_ = {sock_.getsockname()};
    } catch (...) {
    }
    sock_.close();
    closed_sig.notify_all();
    unref();
  }
  [[nodiscard]] bool serving() const noexcept { return serving_; }
  [[nodiscard]] std::size_t active() const noexcept { return active_; }
  std::vector<net::Address> sockets() const {
    if (serving_) return {sock_.getsockname()};
    return {};
  }
  [[nodiscard]] int port() const { return serving_ ? sock_.getsockname().port() : last_port_; }
  void remember_port() {
    last_port_ = sock_.getsockname().port();
  }

  Signal closed_sig;

 private:
  static void on_acceptable(net::IoWait& w) noexcept { static_cast<ServerState*>(w.user)->accept_ready(); }
  void accept_ready() noexcept;
  void connection(int fd) noexcept;

  EventLoop* loop_;
  net::socket sock_;
  int fd_;
  ClientConnected cb_;
  std::size_t limit_;
  net::IoWait acc_;
  std::vector<net::Address> sockets_;
  std::uint32_t refs_ = 0;
  std::size_t active_ = 0;
  int last_port_ = 0;
  bool serving_ = false;
};

void ServerState::accept_ready() noexcept {
  for (;;) {
    if (!serving_) return;
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      connection(fd);
      continue;
    }
    const int err = errno;
    if (err == EINTR || err == ECONNABORTED) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      try {
        if (loop_->reactor().arm(acc_)) return;
      } catch (...) {
        return;
      }
      continue;
    }
    // EMFILE and friends: report and try again at the next readiness (Python logs it).
    try {
      net::raise_os_error(err);
    } catch (...) {
      loop_->call_exception_handler({"socket.accept() out of system resource", std::current_exception()});
    }
    try {
      loop_->call_later(std::chrono::seconds(1), [this] { accept_ready(); });
    } catch (...) {
    }
    return;
  }
}

void ServerState::connection(int fd) noexcept {
  try {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // Python sets it too
    auto* t = new Transport(*loop_, net::socket::adopt(fd), limit_);
    StreamPair p = make_stream_pair(t);
    StreamWriter w = p.writer;
    t->start_reading();
    TaskHandle<void> h = loop_->create_task(cb_(std::move(p.reader), std::move(p.writer)));
    ++active_;
    ref();
    h.add_done_callback([this, w](TaskHandle<void>& done) mutable {
      --active_;
      if (!done.cancelled()) {
        if (auto e = done.exception()) {
          loop_->call_exception_handler({"Unhandled exception in client_connected_cb", e});
          w.close();
        }
      }
      closed_sig.notify_all();
      unref();
    });
  } catch (...) {
    loop_->call_exception_handler({"Error setting up a connection", std::current_exception()});
  }
}

}  // namespace detail

// ---- StreamReader ------------------------------------------------------------------------------

StreamReader::StreamReader(std::size_t limit) : s_(new detail::ReaderState(limit)) { s_->ref(); }
StreamReader::StreamReader(detail::ReaderState* s) noexcept : s_(s) { s_->ref(); }
StreamReader::StreamReader(const StreamReader& o) noexcept : s_(o.s_) {
  if (s_) s_->ref();
}
StreamReader::StreamReader(StreamReader&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
StreamReader& StreamReader::operator=(StreamReader o) noexcept {
  std::swap(s_, o.s_);
  return *this;
}
StreamReader::~StreamReader() {
  if (s_) s_->unref();
}

bool StreamReader::at_eof() const noexcept { return s_->eof && s_->size() == 0; }
void StreamReader::feed_data(std::string_view data) {
  if (s_->eof) throw RuntimeError("feed_data after feed_eof");
  s_->feed(data);
}
void StreamReader::feed_eof() { s_->feed_eof(); }
std::exception_ptr StreamReader::exception() const noexcept { return s_->exc; }
void StreamReader::set_exception(std::exception_ptr e) {
  s_->exc = std::move(e);
  s_->data.notify_all();
}
std::size_t StreamReader::buffered() const noexcept { return s_->size(); }

Task<std::string> StreamReader::read(std::ptrdiff_t n) {
  StreamReader keep = *this;
  detail::ReaderState& r = *keep.s_;
  if (r.exc) std::rethrow_exception(r.exc);
  if (n == 0) co_return std::string();
  if (n < 0) {
    while (!r.eof) {
      detail::DataAwaiter w(r, "read");
      co_await w;
    }
    co_return r.take(r.size());
  }
  if (r.size() == 0 && !r.eof) {
    detail::DataAwaiter w(r, "read");
    co_await w;
  }
  co_return r.take(std::min(r.size(), static_cast<std::size_t>(n)));
}

Task<std::string> StreamReader::readexactly(std::ptrdiff_t n) {
  StreamReader keep = *this;
  detail::ReaderState& r = *keep.s_;
  if (n < 0) throw ValueError("readexactly size can not be less than zero");
  if (r.exc) std::rethrow_exception(r.exc);
  const auto want = static_cast<std::size_t>(n);
  if (want == 0) co_return std::string();
  while (r.size() < want) {
    if (r.eof) throw IncompleteReadError(r.take(r.size()), want);
    detail::DataAwaiter w(r, "readexactly");
    co_await w;
  }
  co_return r.take(want);
}

Task<std::string> StreamReader::readuntil(std::string_view separator) {
  StreamReader keep = *this;
  detail::ReaderState& r = *keep.s_;
  const std::string sep(separator);  // the view may not outlive the first suspension
  if (sep.empty()) throw ValueError("Separator should be at least one-byte string");
  if (r.exc) std::rethrow_exception(r.exc);
  std::size_t offset = 0;
  std::size_t isep = 0;
  for (;;) {
    const std::size_t buflen = r.size();
    if (buflen - offset >= sep.size()) {
      isep = r.view().find(sep, offset);
      if (isep != std::string_view::npos) break;
      offset = buflen + 1 - sep.size();
      if (offset > r.limit) {
        throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
      }
    }
    if (r.eof) throw IncompleteReadError(r.take(r.size()), std::nullopt);
    detail::DataAwaiter w(r, "readuntil");
    co_await w;
  }
  if (isep > r.limit) {
    throw LimitOverrunError("Separator is found, but chunk is longer than limit", isep);
  }
  co_return r.take(isep + sep.size());
}

Task<std::string> StreamReader::readline() {
  StreamReader keep = *this;
  detail::ReaderState& r = *keep.s_;
  try {
    co_return co_await keep.readuntil("\n");
  } catch (const IncompleteReadError& e) {
    co_return e.partial();
  } catch (const LimitOverrunError& e) {
    if (r.view().substr(e.consumed()).starts_with("\n")) {
      r.consume(e.consumed() + 1);
    } else {
      r.consume(r.size());
    }
    throw ValueError(e.what());
  }
}

// ---- StreamWriter ------------------------------------------------------------------------------

StreamWriter::StreamWriter(detail::Transport* t) noexcept : t_(t) { t_->writer_acquired(); }
StreamWriter::StreamWriter(const StreamWriter& o) noexcept : t_(o.t_) {
  if (t_) t_->writer_acquired();
}
StreamWriter::StreamWriter(StreamWriter&& o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
StreamWriter& StreamWriter::operator=(StreamWriter o) noexcept {
  std::swap(t_, o.t_);
  return *this;
}
StreamWriter::~StreamWriter() {
  if (t_) t_->writer_released();
}

void StreamWriter::write(std::string_view data) { t_->write(data); }
void StreamWriter::writelines(const std::vector<std::string>& lines) {
  for (const auto& l : lines) t_->write(l);
}
void StreamWriter::write_eof() { t_->write_eof(); }
void StreamWriter::close() noexcept { t_->close(); }
bool StreamWriter::is_closing() const noexcept { return t_->closing(); }
void StreamWriter::set_write_buffer_limits(std::optional<std::size_t> high,
                                           std::optional<std::size_t> low) {
  t_->set_limits(high, low);
}
std::size_t StreamWriter::get_write_buffer_size() const noexcept { return t_->buffered(); }
net::Address StreamWriter::peername() const { return t_->sock().getpeername(); }
net::Address StreamWriter::sockname() const { return t_->sock().getsockname(); }
int StreamWriter::fileno() const noexcept { return t_->fd(); }

Task<void> StreamWriter::drain() {
  StreamWriter keep = *this;
  detail::Transport& t = *keep.t_;
  if (auto e = t.reader()->exc) std::rethrow_exception(e);
  if (t.closing()) co_await aio::sleep(std::chrono::seconds(0));  // Python: yield once
  if (t.lost()) throw net::ConnectionResetError(ECONNRESET, "Connection lost");
  while (t.paused_writing() && !t.closed()) {
    detail::SignalAwaiter w(t.drain_sig);
    co_await w;
  }
  if (t.lost()) throw net::ConnectionResetError(ECONNRESET, "Connection lost");
}

Task<void> StreamWriter::wait_closed() {
  StreamWriter keep = *this;
  detail::Transport& t = *keep.t_;
  while (!t.closed()) {
    detail::SignalAwaiter w(t.closed_sig);
    co_await w;
  }
}

// ---- connections -------------------------------------------------------------------------------

namespace {

Task<StreamPair> connect_socket(net::socket sock, net::Address addr, std::size_t limit) {
  EventLoop& loop = get_running_loop();
  sock.setblocking(false);
  const int err = sock.connect_ex(addr);
  if (err != 0 && err != EINPROGRESS) net::raise_os_error(err);
  const int fd = sock.fileno();
  if (err == EINPROGRESS) {
    // Wait for writability with a one-shot IoWait; the signal is resumed by its callback.
    struct Wait {
      net::IoWait io;
      detail::Signal sig;
      bool done = false;
    } wait;
    wait.io.fd = fd;
    wait.io.events = net::Events::writable;
    wait.io.user = &wait;
    wait.io.complete = [](net::IoWait& w) noexcept {
      auto* self = static_cast<Wait*>(w.user);
      self->done = true;
      self->sig.notify_all();
    };
    if (loop.reactor().arm(wait.io)) {
      try {
        detail::SignalAwaiter a(wait.sig);
        co_await a;
      } catch (...) {
        loop.reactor().disarm(wait.io);
        loop.reactor().close_fd(fd);
        throw;
      }
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
    if (soerr != 0) {
      loop.reactor().close_fd(fd);
      net::raise_os_error(soerr);
    }
  }
  if (sock.family() != AF_UNIX) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  auto* t = new detail::Transport(loop, std::move(sock), limit);
  StreamPair p = detail::make_stream_pair(t);
  t->start_reading();
  co_return p;
}

int family_of(const std::string& host) {
  return host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
}

}  // namespace

StreamPair detail::make_stream_pair(Transport* t) {
  return StreamPair{StreamReader(t->reader()), StreamWriter(t)};
}

Task<StreamPair> open_connection(std::string host, int port, std::size_t limit) {
  net::Address addr(host, port);
  return connect_socket(net::socket(family_of(host), SOCK_STREAM), std::move(addr), limit);
}

Task<StreamPair> open_unix_connection(std::string path, std::size_t limit) {
  return connect_socket(net::socket(AF_UNIX, SOCK_STREAM), net::Address(net::UnixPath{std::move(path)}),
                        limit);
}

// ---- Server -------------------------------------------------------------------------------------

Server::Server(detail::ServerState* s) noexcept : s_(s) { s_->ref(); }
Server::Server(const Server& o) noexcept : s_(o.s_) {
  if (s_) s_->ref();
}
Server::Server(Server&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
Server& Server::operator=(Server o) noexcept {
  std::swap(s_, o.s_);
  return *this;
}
Server::~Server() {
  if (s_) s_->unref();
}
void Server::close() noexcept { s_->close(); }
bool Server::is_serving() const noexcept { return s_->serving(); }
std::vector<net::Address> Server::sockets() const { return s_->sockets(); }
int Server::port() const { return s_->port(); }

Task<void> Server::wait_closed() {
  Server keep = *this;
  detail::ServerState& s = *keep.s_;
  while (s.serving() || s.active() > 0) {
    detail::SignalAwaiter w(s.closed_sig);
    co_await w;
  }
}

Task<void> Server::serve_forever() {
  Server keep = *this;
  detail::ServerState& s = *keep.s_;
  try {
    while (s.serving()) {
      detail::SignalAwaiter w(s.closed_sig);
      co_await w;
    }
  } catch (const CancelledError&) {
    s.close();  // Python: serve_forever() closes the server when cancelled
    throw;
  }
}

Task<Server> start_listening(net::socket sock, ClientConnected cb, std::size_t limit) {
  EventLoop& loop = get_running_loop();
  if (limit == 0) throw ValueError("Limit cannot be <= 0");
  sock.setblocking(false);
  auto* st = new detail::ServerState(loop, std::move(sock), std::move(cb), limit);
  Server srv(st);
  st->unref();  // Server holds one, serving holds one
  st->ref();
  st->remember_port();
  st->start();
  co_return srv;
}

Task<Server> start_server(ClientConnected cb, std::string host, int port, std::size_t limit,
                          int backlog, bool reuse_port) {
  net::ServerOptions opts;
  opts.family = family_of(host);
  opts.backlog = backlog;
  opts.reuse_port = reuse_port;
  return start_listening(net::create_server(net::Address(host, port), opts), std::move(cb), limit);
}

Task<Server> start_unix_server(ClientConnected cb, std::string path, std::size_t limit, int backlog) {
  net::ServerOptions opts;
  opts.family = AF_UNIX;
  opts.backlog = backlog;
  return start_listening(net::create_server(net::Address(net::UnixPath{std::move(path)}), opts),
                         std::move(cb), limit);
}

}  // namespace triad::aio
