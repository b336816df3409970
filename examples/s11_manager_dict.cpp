// S11 (seed 001, 进程间通讯 / Manager): a child process modifies a Manager dict and the parent
// sees the change.
//
// Python (seed 001):
//   def task(dic):
//       print("子进程xxxxx")
//       dic["name"] = "xx"
//   if __name__ == '__main__':
//       m = Manager()
//       dic = m.dict({})
//       p = Process(target=task, args=(dic,))
//       p.start()
//       time.sleep(3)     # let the child run
//       print(dic)
//
// The seed sleeps 3 s and hopes the child ran; the port joins the child instead (the
// observable result is the same, without the guess). The seed's commented-out list variant
// (li = m.list([100]); li[0] = 1) runs too. As the seed's heading warns (需要自己处理资源竞争),
// a Manager dict is not a lock: each call is atomic, a read-modify-write is not.
#include <unistd.h>

#include <string>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/process/manager.hpp"
#include "triad/process/process.hpp"

namespace tp = triad::process;

namespace {

// The child cannot print through ctx (a forked child's output would bypass the tour's
// capture), so it hands its line to the parent through one more managed object.
void task(const tp::ListProxy<std::string>& out, const tp::DictProxy<std::string, std::string>& dic,
          const tp::ListProxy<int>& li) {
  out.append("子进程xxxxx (the child, pid " + std::to_string(::getpid()) + ")");
  li[0] = 1;
  dic["name"] = "xx";
}

std::string show(const tp::DictProxy<std::string, std::string>& dic) {
  std::string out = "{";
  for (const auto& [k, v] : dic.items()) {
    if (out.size() > 1) out += ", ";
    out += "'" + k + "': '" + v + "'";
  }
  return out + "}";
}

}  // namespace

TOUR_SCENARIO(S11, "001", "进程间通讯 / Manager:字典或列表", "A Manager dict modified by a child process",
              "The child writes dic[\"name\"] through a proxy; the parent sees the change.") {
  tp::Manager m;
  auto dic = m.dict<std::string, std::string>();
  auto li = m.list<int>({100});
  ctx.say("manager listening at " + m.address());
  ctx.say("before: " + show(dic) + ", li[0] = " + std::to_string(static_cast<int>(li[0])));
  auto out = m.list<std::string>();
  tp::Process p([out, dic, li] { task(out, dic, li); });
  p.start();
  p.join();
  for (const auto& line : out.tolist()) ctx.say(line);
  ctx.check(p.exitcode() == 0, "the child ran to completion");
  ctx.say("after:  " + show(dic) + ", li[0] = " + std::to_string(static_cast<int>(li[0])));
  ctx.check(dic.get("name") == std::string("xx"), "the parent sees the child's dic[\"name\"] = \"xx\"");
  ctx.check(dic.len() == 1, "the dict holds exactly that one item");
  ctx.check(li.at(0) == 1, "the parent sees the child's li[0] = 1");
  m.shutdown();
  ctx.say("manager shut down");
}
