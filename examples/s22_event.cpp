// S22 (seeds 001, 002): Event. A server boots while a client waits for it; a red light holds
// ten cars until it turns green.
//
// Python (seed 001, event实现):
//   event = Event()
//   def server_task(): print("正在启动...."); time.sleep(5); print("启动....成功"); event.set()
//   def client_task(): event.wait(); print("连接成功!")
// Python (seed 002, 红绿灯):
//   def light(): print('红灯亮...'); time.sleep(5); e.set(); print('绿灯亮...')
//   def car(name): print('正在等红灯...'); e.wait(); print(f'{name} 正在加速飘逸...')
//   Thread(target=light).start(); for i in range(10): Thread(target=car, args=(f'汽车{i}号',)).start()
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/thread.hpp"

namespace {
using namespace std::chrono_literals;
}  // namespace

TOUR_SCENARIO(S22, "001, 002", "event / Event事件", "Event: wait until it is set",
              "A client waits for a booting server and ten cars wait for a red light: nobody "
              "passes wait() before set(), and set() releases every waiter at once.") {
  const auto limit = ctx.scaled(60s);  // a wait that a bug would leave hanging fails instead
  {
    triad::Event event;
    std::atomic<bool> set_called{false};
    bool early = false;
    bool connected = false;
    triad::Thread server([&] {
      ctx.say(ctx.stamp() + " 正在启动....");
      std::this_thread::sleep_for(ctx.scaled(5s));  // ok-sleep: the seed's 5 s boot
      ctx.say(ctx.stamp() + " 启动....成功");
      set_called = true;
      event.set();
    });
    triad::Thread client([&] {
      connected = event.wait(limit);
      early = !set_called;
      ctx.say(ctx.stamp() + " 连接成功!");
    });
    server.start();
    client.start();
    server.join();
    client.join();
    ctx.check(connected && !early, "the client connected only after the server called set()");
  }
  {
    triad::Event e;
    std::atomic<bool> set_called{false};
    std::atomic<int> early{0};
    std::atomic<int> passed{0};
    ctx.check(!e.is_set() && !e.wait(0s), "before set(), is_set() is false and wait(0) returns false");
    triad::Thread light([&] {
      ctx.say(ctx.stamp() + " 红灯亮...");
      std::this_thread::sleep_for(ctx.scaled(5s));  // ok-sleep: the seed's 5 s red light
      set_called = true;
      e.set();
      ctx.say(ctx.stamp() + " 绿灯亮...");
    });
    auto car = [&](std::string name) {
      ctx.say(ctx.stamp() + " " + name + " 正在等红灯...");
      if (!e.wait(limit)) return;
      if (!set_called) ++early;
      ++passed;
      ctx.say(ctx.stamp() + " " + name + " 正在加速飘逸...");
    };
    light.start();
    std::vector<std::unique_ptr<triad::Thread>> cars;
    for (int i = 0; i < 10; ++i) {
      cars.push_back(std::make_unique<triad::Thread>(car, "汽车" + std::to_string(i) + "号"));
      cars.back()->start();
    }
    light.join();
    for (auto& c : cars) c->join();
    ctx.check(early.load() == 0, "no car passed wait() before the light called set()");
    ctx.check(passed.load() == 10, "all ten cars went once the light turned green");
  }
}
