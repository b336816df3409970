// S36 (seed 004, 七、io模型): the IO models of the seed's interview list — blocking, non-blocking,
// multiplexing (select, poll, epoll), asynchronous (io_uring) and signal-driven — each as a small
// echo server (examples/s36_io_models/, one file per model), and the same client check run
// against every one of them.
//
// The seed only names the models (and files signal-driven IO under "theory"); it has no code.
// What it does explain is the two stages every read goes through: the data arrives in a
// KERNEL buffer, then is copied into the program's USER buffer. The models differ in who waits
// for the first stage and how the program learns that it can do the second:
//   blocking       the thread sleeps in recv() through both stages      (a thread per client)
//   non-blocking   recv() says EAGAIN at once; ask again, and again     (one thread, spinning)
//   select / poll  sleep until the kernel says "these fds are ready"    (O(all fds) per call)
//   epoll          the same, with the watched set kept in the kernel    (O(ready fds) per call)
//   io_uring       the kernel does both stages and reports completion   (batched, no readiness)
//   signal-driven  the kernel queues a signal naming the ready fd       (one syscall per event)
//
// The client check (io_models::run_client_check): several clients connected at once, each
// sending messages of 1 B, 7 B, 1000 B, 65539 B, a large one (far above the socket buffers)
// and 100 B, one at a time, in odd-sized chunks, reading the echo in small pieces while it
// writes; every byte compared. Half the clients then half-close and must get the server's EOF,
// the others just close. Then a client resets its connection mid-echo, and the next client must
// still be served. Finally stop() must return.
#include <exception>
#include <sstream>
#include <string>

#include "s36_io_models/io_models.hpp"
#include "tour/scenario.hpp"

namespace {

std::string mib(std::uint64_t bytes) {
  std::ostringstream s;
  s.precision(bytes >= (1U << 20) * 10 ? 0 : 1);
  s << std::fixed << static_cast<double>(bytes) / (1 << 20) << " MiB";
  return s.str();
}

}  // namespace

TOUR_SCENARIO(S36, "004", "七、io模型", "IO models: one echo server per model",
              "Blocking, non-blocking, select, poll, epoll, io_uring and signal-driven echo servers all "
              "pass the same client check.") {
  io_models::ClientCheckOptions opts;
  opts.clients = ctx.fast() ? 4 : 8;
  opts.big = ctx.fast() ? std::size_t{512} << 10 : std::size_t{2} << 20;
  ctx.say("every model: " + std::to_string(opts.clients) + " clients at once, messages of 1 B, 7 B, 1000 B, 65539 B, " +
          mib(opts.big) + ", 100 B each; half-close or close; then a reset client");
  for (const std::string_view model : io_models::model_names()) {
    const std::string tag = "[" + std::string(model) + "]";
    auto server = io_models::make_server(model);
    io_models::ClientCheckReport r;
    bool stopped = false;
    try {
      const int port = server->start();
      const auto t0 = ctx.elapsed();
      r = io_models::run_client_check(port, opts);
      const auto took = ctx.elapsed() - t0;
      server->stop();
      stopped = !server->running();
      ctx.say(tag + " " + std::to_string(r.messages) + " messages answered, " + mib(r.bytes) + " echoed intact in " +
              tour::format_seconds(took) + "; " + std::to_string(r.half_close_eof) + " half-closes got EOF, " +
              std::to_string(r.plain_closes) + " plain closes; " + std::to_string(server->accepted()) +
              " connections accepted, " + std::to_string(server->partial_writes()) + " waits for a full socket" +
              (r.reset_survived ? "; survived a reset" : ""));
      if (!r.error.empty()) ctx.say(tag + " problem: " + r.error);
    } catch (const std::exception& e) {
      r.error = e.what();
      ctx.say(tag + " could not run: " + r.error);
    }
    ctx.say(tag + " cost: " + std::string(server->cost()));
    ctx.check(r.passed() && stopped,
              std::string(model) + ": every client got its bytes back, half-close got EOF, a reset client did not "
                                   "stop the server, stop() joined");
  }
}
