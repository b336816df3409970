// S10 (seeds 001, 002, 互斥锁 / 抢票): ten processes buy tickets from a JSON file, without and
// with a cross-process Lock.
//
// Python (seed 001):
//   def search(name): dic = json.load(open('db.txt')); print('%s 查看 剩余票数:%s' % (name, dic['count']))
//   def buy(name):
//       dic = json.load(open('db.txt')); time.sleep(random.randint(1, 3))   # network delay
//       if dic['count'] > 0: dic['count'] -= 1; time.sleep(...); json.dump(dic, open('db.txt', 'w')); print('%s 购票成功' % name)
//   def task(lock, name): search(name); with lock: buy(name)
//   for i in range(10): Process(target=task, args=(mutex, '客户%s' % i)).start()
//
// Without the lock, whether tickets are oversold depends on timing. To show it every time
// the unlocked run makes every buyer read the file before any of them writes (a Barrier
// stands in for the seed's random delay); with the Lock exactly the available tickets sell.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"
#include "triad/process/synchronize.hpp"

namespace tp = triad::process;

namespace {

int read_count(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto colon = text.find(':');
  return colon == std::string::npos ? -1 : std::stoi(text.substr(colon + 1));
}

void write_count(const std::string& path, int n) {
  std::ofstream(path, std::ios::trunc) << "{\"count\": " << n << "}";
}

// Runs ten buyers; returns how many bought a ticket.
int run_buyers(tour::Context& ctx, const std::string& db, bool with_lock, int tickets) {
  write_count(db, tickets);
  tp::Lock mutex;
  tp::Barrier all_read(10);
  tp::Queue<std::string> log;
  const auto delay = ctx.scaled(std::chrono::milliseconds(200));
  auto task = [&](const std::string& name) {
    log.put(name + " 查看 剩余票数:" + std::to_string(read_count(db)));
    auto buy = [&] {
      int count = read_count(db);
      if (!with_lock) all_read.wait();  // everybody has read the old count
      std::this_thread::sleep_for(delay);  // the seed's network delay
      if (count > 0) {
        --count;
        write_count(db, count);
        log.put(name + " 购票成功!");
      }
    };
    if (with_lock) {
      std::lock_guard<tp::Lock> g(mutex);
      buy();
    } else {
      buy();
    }
  };
  std::vector<std::unique_ptr<tp::Process>> ps;
  for (int i = 0; i < 10; ++i) {
    ps.push_back(std::make_unique<tp::Process>(task, "客户" + std::to_string(i)));
    ps.back()->start();
  }
  for (auto& p : ps) p->join();
  int sold = 0;
  while (!log.empty()) {
    const auto line = log.get();
    ctx.say("  " + line);
    if (line.find("购票成功") != std::string::npos) ++sold;
  }
  return sold;
}

}  // namespace

TOUR_SCENARIO(S10, "001, 002", "互斥锁 / 抢票", "Ticket buying with and without a cross-process Lock",
              "Without a Lock ten buyers oversell the tickets; with it exactly the available ones sell.") {
  const int tickets = 2;
  const std::string db = "/tmp/triad_s10_db_" + std::to_string(::getpid()) + ".json";
  ctx.say("without a lock (" + std::to_string(tickets) + " tickets):");
  const int oversold = run_buyers(ctx, db, false, tickets);
  ctx.say("without a lock: " + std::to_string(oversold) + " buyers got a ticket");
  ctx.check(oversold > tickets, "without the lock the tickets are oversold");
  ctx.say("with a Lock (" + std::to_string(tickets) + " tickets):");
  const int sold = run_buyers(ctx, db, true, tickets);
  const int left = read_count(db);
  std::remove(db.c_str());
  ctx.say("with a Lock: " + std::to_string(sold) + " buyers got a ticket, " + std::to_string(left) + " left");
  ctx.check(sold == tickets && left == 0, "with the Lock exactly the available tickets are sold");
}
