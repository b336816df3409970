// S35 (seed 004, 七、asyncio): two coroutines sleeping 3 s and 2 s run concurrently on one OS
// thread, so the whole run takes ~3 s, not 5 s. Two forms:
//   S35  — the seed's: loop = get_event_loop(); loop.run_until_complete(wait([task(), task2()]));
//          loop.close()
//   S35b — the modern one: asyncio.run(main()) with create_task/gather inside main.
//
// Python (seed 004):
//   async def task():                       async def task2():
//       print('开始了')                          print('开始了')
//       print(current_thread().name)            print(current_thread().name)
//       await asyncio.sleep(3)                  await asyncio.sleep(2)
//       print('结束了')                          print('结束了')
//   loop = asyncio.get_event_loop()
//   ctime = time.time()
//   loop.run_until_complete(asyncio.wait([task(), task2()]))
//   loop.close()
//   print(time.time() - ctime)
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/aio.hpp"
#include "triad/threading/thread.hpp"

namespace {

namespace aio = triad::aio;

// One of the seed's coroutines: prints, sleeps `seconds` (scaled), prints again. Records the
// OS thread it ran on.
aio::Task<void> seed_task(tour::Context& ctx, const char* name, std::chrono::seconds seconds,
                          std::vector<std::thread::id>& threads) {
  ctx.say(ctx.stamp() + " " + name + " 开始了 (started) on " + triad::current_thread().name());
  threads.push_back(std::this_thread::get_id());
  co_await aio::sleep(ctx.scaled(seconds));
  ctx.say(ctx.stamp() + " " + name + " 结束了 (finished) after " + std::to_string(seconds.count()) +
          " s (scaled)");
  threads.push_back(std::this_thread::get_id());
}

void check_timing(tour::Context& ctx, std::chrono::duration<double> took,
                  const std::vector<std::thread::id>& threads) {
  const auto three = ctx.scaled(std::chrono::seconds(3));
  const auto five = ctx.scaled(std::chrono::seconds(5));
  ctx.say("total: " + tour::format_seconds(took) + " (sequential would be " +
          tour::format_seconds(five) + ")");
  ctx.check(took >= three * 0.95, "the run lasts at least the longest sleep (3 s scaled)");
  // Generous margin on a loaded 2-core VM: anything clearly below the sequential 5 s.
  ctx.check(took < three + (five - three) * 0.75, "the sleeps overlapped: ~3 s, not 5 s");
  bool one_thread = threads.size() == 4;
  for (const auto& id : threads) one_thread = one_thread && id == std::this_thread::get_id();
  ctx.check(one_thread, "both coroutines ran on the calling OS thread");
}

}  // namespace

TOUR_SCENARIO(S35, "004", "七、asyncio", "asyncio: run_until_complete(wait([...]))",
              "Two coroutines sleeping 3 s and 2 s share one OS thread through an event loop: "
              "the seed's get_event_loop / run_until_complete(wait(...)) / close form takes ~3 s.") {
  std::vector<std::thread::id> threads;
  aio::EventLoop& loop = aio::get_event_loop();
  const auto start = std::chrono::steady_clock::now();
  std::vector<aio::Task<void>> t;
  t.push_back(seed_task(ctx, "task ", std::chrono::seconds(3), threads));
  t.push_back(seed_task(ctx, "task2", std::chrono::seconds(2), threads));
  auto result = loop.run_until_complete(aio::wait(std::move(t)));
  loop.close();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  ctx.check(result.done.size() == 2 && result.pending.empty(), "wait() returns both tasks done");
  check_timing(ctx, took, threads);
}

TOUR_SCENARIO(S35b, "004", "七、asyncio (asyncio.run)", "asyncio: the modern run(main) form",
              "The same two coroutines under asyncio.run(main()), main creating both tasks and "
              "gathering them: ~3 s on one OS thread.") {
  std::vector<std::thread::id> threads;
  const auto start = std::chrono::steady_clock::now();
  aio::run([&]() -> aio::Task<void> {
    auto a = aio::create_task(seed_task(ctx, "task ", std::chrono::seconds(3), threads));
    auto b = aio::create_task(seed_task(ctx, "task2", std::chrono::seconds(2), threads));
    co_await aio::gather(a, b);
  });
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  check_timing(ctx, took, threads);
}
