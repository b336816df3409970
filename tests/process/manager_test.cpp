// Manager and its proxies. Ports the manager parts of CPython's _test_multiprocessing
// (_TestDict, _TestList, _TestNamespace, _TestValue via a manager, _TestQueue/_TestLock/
// _TestEvent with the manager type, _TestRemoteManager, _TestManagerRestart's shutdown,
// the authkey checks of _TestConnection/_TestListenerClient) plus faults: a killed manager
// process, a peer without the key, and leak checks (no child, fd or socket file left).
#include "triad/process/manager.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "process/leak_check.hpp"
#include "triad/process/connection.hpp"
#include "triad/process/process.hpp"

namespace tp = triad::process;
using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kStress = 50;
#else
constexpr int kStress = 300;
#endif

class ManagerTest : public tp::testing::LeakCheckedTest {};

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Runs f in a forked child; returns its exit code (1 if f threw or a check failed).
template <class F>
int in_child(F f) {
  tp::Process p([f] {
    if (!f()) tp::sys_exit(3);
  });
  p.start();
  p.join();
  return p.exitcode().value_or(-100);
}

TEST_F(ManagerTest, DictLikePython) {
  tp::Manager m;
  auto d = m.dict<std::string, int>({{"a", 1}, {"b", 2}});
  EXPECT_EQ(d.len(), 2u);
  d["c"] = 3;
  d.set("a", 10);  // keeps its place
  EXPECT_EQ(static_cast<int>(d["a"]), 10);
  EXPECT_EQ(d.at("c"), 3);
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(d.values(), (std::vector<int>{10, 2, 3}));
  EXPECT_TRUE(d.contains("b"));
  EXPECT_FALSE(d.contains("z"));
  EXPECT_EQ(d.get("z"), std::nullopt);
  EXPECT_EQ(d.get("z", -1), -1);
  EXPECT_EQ(d.get("b"), 2);
  try {
    (void)d.at("missing");
    ADD_FAILURE() << "no KeyError";
  } catch (const tp::KeyError& e) {
    EXPECT_STREQ(e.what(), "'missing'");
  }
  EXPECT_THROW(d.del("missing"), tp::KeyError);
  EXPECT_THROW(d.pop("missing"), triad::LookupError);  // Python: KeyError is a LookupError
  EXPECT_EQ(d.pop("missing", 7), 7);
  EXPECT_EQ(d.pop("b"), 2);
  EXPECT_EQ(d.setdefault("b", 5), 5);
  EXPECT_EQ(d.setdefault("b", 6), 5);
  d.update({{"x", 24}, {"a", 11}});
  EXPECT_EQ(d.items(), (std::vector<std::pair<std::string, int>>{{"a", 11}, {"c", 3}, {"b", 5}, {"x", 24}}));
  EXPECT_EQ(d.popitem(), (std::pair<std::string, int>{"x", 24}));
  d.del("c");
  EXPECT_EQ(d.len(), 2u);
  d.clear();
  EXPECT_EQ(d.len(), 0u);
  try {
    (void)d.popitem();
    ADD_FAILURE() << "no KeyError";
  } catch (const tp::KeyError& e) {
    EXPECT_STREQ(e.what(), "'popitem(): dictionary is empty'");
  }
  auto numbers = m.dict<int, std::vector<std::string>>();
  numbers[7] = std::vector<std::string>{"seven", "七"};
  EXPECT_EQ(numbers.at(7), (std::vector<std::string>{"seven", "七"}));
  try {
    (void)numbers.at(8);
  } catch (const tp::KeyError& e) {
    EXPECT_STREQ(e.what(), "8");
  }
}

TEST_F(ManagerTest, ListLikePython) {
  tp::Manager m;
  auto l = m.list<int>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(l.len(), 10u);
  EXPECT_EQ(static_cast<int>(l[-1]), 9);
  EXPECT_EQ(l.at(2), 2);
  l[0] = 100;
  l.append(10);
  l.extend({11, 12});
  l.insert(-100, -1);  // clamps to the front, as in Python
  l.insert(1000, 13);  // and to the end
  EXPECT_EQ(l.tolist(), (std::vector<int>{-1, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
  EXPECT_EQ(l.index(5), 6u);
  EXPECT_EQ(l.count(5), 1u);
  EXPECT_EQ(l.count(42), 0u);
  try {
    (void)l.index(42);
    ADD_FAILURE() << "no ValueError";
  } catch (const triad::ValueError& e) {
    EXPECT_STREQ(e.what(), "42 is not in list");
  }
  try {
    l.remove(42);
    ADD_FAILURE() << "no ValueError";
  } catch (const triad::ValueError& e) {
    EXPECT_STREQ(e.what(), "list.remove(x): x not in list");
  }
  l.remove(100);
  EXPECT_EQ(l.pop(), 13);
  EXPECT_EQ(l.pop(0), -1);
  l.del(-1);
  EXPECT_EQ(l.tolist(), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  try {
    (void)l.at(11);
    ADD_FAILURE() << "no IndexError";
  } catch (const tp::IndexError& e) {
    EXPECT_STREQ(e.what(), "list index out of range");
  }
  EXPECT_THROW((void)l.at(-12), tp::IndexError);
  try {
    l.set(11, 0);
    ADD_FAILURE() << "no IndexError";
  } catch (const tp::IndexError& e) {
    EXPECT_STREQ(e.what(), "list assignment index out of range");
  }
  try {
    (void)l.pop(11);
    ADD_FAILURE() << "no IndexError";
  } catch (const tp::IndexError& e) {
    EXPECT_STREQ(e.what(), "pop index out of range");
  }
  l.clear();
  try {
    (void)l.pop();
    ADD_FAILURE() << "no IndexError";
  } catch (const tp::IndexError& e) {
    EXPECT_STREQ(e.what(), "pop from empty list");
  }
}

TEST_F(ManagerTest, NamespaceAndValue) {
  tp::Manager m;
  auto ns = m.Namespace();
  ns.set("name", std::string("Bob"));
  ns.set("job", 3);
  EXPECT_EQ(ns.get<std::string>("name"), "Bob");
  EXPECT_EQ(ns.get<int>("job"), 3);
  EXPECT_TRUE(ns.contains("job"));
  ns.del("job");
  EXPECT_FALSE(ns.contains("job"));
  try {
    (void)ns.get<int>("job");
    ADD_FAILURE() << "no AttributeError";
  } catch (const tp::AttributeError& e) {
    EXPECT_STREQ(e.what(), "'Namespace' object has no attribute 'job'");
  }
  EXPECT_THROW(ns.del("job"), tp::AttributeError);
  // Reading with another type than was written is a clear error, not garbage.
  EXPECT_THROW((void)ns.get<double>("name"), triad::ValueError);

  auto v = m.Value<double>(1.5);
  EXPECT_EQ(v.value(), 1.5);
  v.set_value(2.5);
  EXPECT_EQ(v.get(), 2.5);
  auto s = m.Value<std::string>();
  EXPECT_EQ(s.get(), "");
}

TEST_F(ManagerTest, QueueFullEmptyAndTimeouts) {
  tp::Manager m;
  auto q = m.Queue<std::string>(2);
  EXPECT_TRUE(q.empty());
  EXPECT_THROW(q.get_nowait(), triad::Empty);
  EXPECT_THROW(q.get(false), triad::Empty);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(q.get(50ms), triad::Empty);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
  q.put("a");
  q.put_nowait("b");
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.qsize(), 2u);
  EXPECT_THROW(q.put_nowait("c"), triad::Full);
  EXPECT_THROW(q.put("c", 20ms), triad::Full);
  EXPECT_EQ(q.get(), "a");
  EXPECT_EQ(q.get(1s), "b");
}

TEST_F(ManagerTest, JoinableQueueAcrossProcesses) {
  tp::Manager m;
  auto q = m.JoinableQueue<int>();
  auto results = m.list<int>();
  tp::Process consumer([q, results] {
    for (;;) {
      const int x = q.get();
      if (x < 0) {
        q.task_done();
        return;
      }
      results.append(x * x);
      q.task_done();
    }
  });
  consumer.start();
  for (int i = 0; i < 5; ++i) q.put(i);
  q.put(-1);
  q.join();  // every item was task_done(): every result is in
  EXPECT_EQ(results.tolist(), (std::vector<int>{0, 1, 4, 9, 16}));
  EXPECT_THROW(q.task_done(), triad::ValueError);
  consumer.join();
  EXPECT_EQ(consumer.exitcode(), 0);
}

TEST_F(ManagerTest, LockSemaphoreAndEvent) {
  tp::Manager m;
  auto lock = m.Lock();
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.locked());
  EXPECT_FALSE(lock.acquire(false));
  EXPECT_FALSE(lock.acquire(20ms));
  EXPECT_THROW(lock.acquire(false, 1s), triad::ValueError);
  lock.release();
  try {
    lock.release();
    ADD_FAILURE() << "no RuntimeError";
  } catch (const triad::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "release unlocked lock");
  }
  {
    std::lock_guard g(lock);
    EXPECT_TRUE(lock.locked());
  }
  EXPECT_FALSE(lock.locked());

  auto sem = m.Semaphore(2);
  EXPECT_TRUE(sem.acquire());
  EXPECT_TRUE(sem.acquire());
  EXPECT_FALSE(sem.acquire(false));
  EXPECT_EQ(sem.get_value(), 0u);
  sem.release();
  sem.release();
  sem.release();  // a plain Semaphore may grow
  EXPECT_EQ(sem.get_value(), 3u);
  auto bounded = m.BoundedSemaphore(1);
  EXPECT_TRUE(bounded.acquire());
  bounded.release();
  try {
    bounded.release();
    ADD_FAILURE() << "no ValueError";
  } catch (const triad::ValueError& e) {
    EXPECT_STREQ(e.what(), "Semaphore released too many times");
  }

  auto ev = m.Event();
  EXPECT_FALSE(ev.is_set());
  EXPECT_FALSE(ev.wait(20ms));
  EXPECT_FALSE(ev.wait(0ms));
  tp::Process setter([ev] { ev.set(); });
  setter.start();
  EXPECT_TRUE(ev.wait());  // until the child sets it
  EXPECT_TRUE(ev.is_set());
  ev.clear();
  EXPECT_FALSE(ev.is_set());
  setter.join();
}

TEST_F(ManagerTest, LockExcludesAcrossProcesses) {
  tp::Manager m;
  auto lock = m.Lock();
  auto counter = m.Value<int>(0);
  std::vector<std::unique_ptr<tp::Process>> ps;
  for (int i = 0; i < 3; ++i) {
    ps.push_back(std::make_unique<tp::Process>([lock, counter] {
      for (int k = 0; k < 20; ++k) {
        std::lock_guard g(lock);
        counter.set(counter.get() + 1);  // a read-modify-write made safe by the lock
      }
    }));
  }
  for (auto& p : ps) p->start();
  for (auto& p : ps) p->join();
  EXPECT_EQ(counter.get(), 60);
}

// The seed's S11: a child modifies a Manager dict, the parent sees the change.
TEST_F(ManagerTest, ChildModifiesDictParentSeesIt) {
  tp::Manager m;
  auto dic = m.dict<std::string, std::string>();
  tp::Process p([dic] { dic["name"] = "xx"; });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(dic.at("name"), "xx");
}

TEST_F(ManagerTest, ProxiesAreThreadSafe) {
  tp::Manager m;  // started before any thread (see docs: fork and threads)
  auto l = m.list<int>();
  auto d = m.dict<int, int>();
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([l, d, t] {
      for (int i = 0; i < kStress; ++i) {
        l.append(t);
        d[t * 100000 + i] = i;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(l.len(), 4u * kStress);
  EXPECT_EQ(d.len(), 4u * kStress);
  EXPECT_EQ(l.count(2), static_cast<std::size_t>(kStress));
}

TEST_F(ManagerTest, BlockingCallsDoNotBlockOtherThreads) {
  tp::Manager m;
  auto q = m.Queue<int>();
  std::thread getter([q] { EXPECT_EQ(q.get(), 42); });  // waits in the server
  auto d = m.dict<int, int>();
  d[1] = 1;  // served while the getter waits
  EXPECT_EQ(d.at(1), 1);
  q.put(42);
  getter.join();
}

TEST_F(ManagerTest, ProxiesTravelThroughAConnection) {
  tp::Manager m;
  auto d = m.dict<std::string, int>();
  auto [a, b] = tp::Pipe();
  tp::Process p([&b] {
    auto got = b.recv<tp::DictProxy<std::string, int>>();
    got["from child"] = 1;
    b.send(0);
  });
  p.start();
  a.send(d);
  EXPECT_EQ(a.recv<int>(), 0);
  EXPECT_EQ(d.at("from child"), 1);
  p.join();
}

TEST_F(ManagerTest, ConnectFromAnotherProcess) {
  tp::Manager m;
  const std::string address = m.address();
  const std::string key = m.authkey();
  auto shared = m.dict<std::string, int>();
  auto [a, b] = tp::Pipe();
  tp::Process p([&b, address, key, shared] {
    // BaseManager(address, authkey).connect(), then make an object on that server.
    tp::Manager remote(tp::ManagerOptions().with_address(address).with_authkey(key).with_start(false));
    remote.connect();
    auto mine = remote.list<std::string>({"made", "remotely"});
    shared["child"] = 2;
    b.send(mine);
  });
  p.start();
  auto l = a.recv<tp::ListProxy<std::string>>();
  EXPECT_EQ(l.tolist(), (std::vector<std::string>{"made", "remotely"}));
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(shared.at("child"), 2);
}

TEST_F(ManagerTest, WrongAuthkeyIsRejectedAndTheServerRunsNothing) {
  tp::Manager m(tp::ManagerOptions().with_authkey("right key"));
  auto d = m.dict<std::string, int>();
  tp::Manager wrong(tp::ManagerOptions().with_address(m.address()).with_authkey("wrong key").with_start(false));
  try {
    wrong.connect();
    ADD_FAILURE() << "no AuthenticationError";
  } catch (const triad::AuthenticationError& e) {
    EXPECT_STREQ(e.what(), "digest sent was rejected");
  }
  // A proxy carrying the wrong key (as one received by a process with another authkey).
  EXPECT_EQ(in_child([addr = m.address()] {
              tp::current_process().set_authkey("not the key");
              tp::Manager other(tp::ManagerOptions().with_address(addr).with_start(false));
              try {
                other.connect();
              } catch (const triad::AuthenticationError&) {
                return true;
              }
              return false;
            }),
            0);
  // A peer that skips the handshake and sends a request gets a failure and is dropped.
  {
    tp::Connection raw(tp::detail::manager_socket(m.address(), false), true, true);
    const std::string challenge = raw.recv_bytes(256);
    EXPECT_EQ(challenge.rfind("#CHALLENGE#{sha256}", 0), 0u);
    tp::detail::Request req;
    req.object = d.id();
    req.op = static_cast<std::uint16_t>(tp::detail::Op::dict_setitem);
    req.args = {tp::detail::arg(std::string("evil")), tp::detail::arg(1)};
    raw.send_bytes(tp::detail::encode_request(req));
    EXPECT_EQ(raw.recv_bytes(256), "#FAILURE#");
    EXPECT_THROW(raw.recv_bytes(), triad::EOFError);
  }
  EXPECT_FALSE(d.contains("evil"));
  EXPECT_EQ(d.len(), 0u);  // and the server still serves the right key
}

TEST_F(ManagerTest, TcpAddress) {
  tp::Manager m(tp::ManagerOptions().with_address("127.0.0.1:0"));
  const std::string addr = m.address();
  ASSERT_EQ(addr.rfind("127.0.0.1:", 0), 0u) << addr;
  EXPECT_NE(addr, "127.0.0.1:0");  // the real port
  auto d = m.dict<std::string, int>();
  EXPECT_EQ(in_child([addr, key = m.authkey(), d] {
              tp::Manager remote(tp::ManagerOptions().with_address(addr).with_authkey(key).with_start(false));
              remote.connect();
              d["tcp"] = 1;
              return true;
            }),
            0);
  EXPECT_EQ(d.at("tcp"), 1);
  // The same port again: OSError (address in use).
  EXPECT_THROW(tp::Manager(tp::ManagerOptions().with_address(addr)), tp::OSError);
}

TEST_F(ManagerTest, BadAddressesAndStates) {
  EXPECT_THROW(tp::Manager(tp::ManagerOptions().with_address("nonsense")), triad::ValueError);
  EXPECT_THROW(tp::Manager(tp::ManagerOptions().with_address("localhost:1")), triad::ValueError);
  EXPECT_THROW(tp::Manager(tp::ManagerOptions().with_address("127.0.0.1:99999")), triad::ValueError);
  tp::Manager idle(tp::ManagerOptions().with_start(false));
  EXPECT_THROW(((void)idle.dict<int, int>()), triad::RuntimeError);
  tp::Manager nowhere(tp::ManagerOptions().with_address("/nonexistent-dir/sock").with_start(false));
  EXPECT_THROW(nowhere.connect(), tp::OSError);
  tp::Manager m;
  EXPECT_THROW(m.start(), triad::RuntimeError);
  tp::DictProxy<int, int> none;
  EXPECT_THROW((void)none.len(), triad::ValueError);
}

TEST_F(ManagerTest, ShutdownRemovesTheSocketAndReapsTheProcess) {
  std::string addr;
  tp::DictProxy<int, int> d;
  {
    tp::Manager m;
    addr = m.address();
    EXPECT_TRUE(exists(addr));
    ASSERT_TRUE(m.pid().has_value());
    d = m.dict<int, int>();
    d[1] = 1;
    m.shutdown();
    m.shutdown();  // idempotent
    EXPECT_FALSE(m.pid().has_value());
  }
  EXPECT_FALSE(exists(addr));
  EXPECT_FALSE(exists(addr.substr(0, addr.rfind('/'))));
  try {
    (void)d.len();
    ADD_FAILURE() << "no error after shutdown";
  } catch (const tp::OSError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect to the manager at " + addr), std::string::npos) << e.what();
  }
}

TEST_F(ManagerTest, ShutdownWhileACallWaitsInTheServer) {
  tp::Manager m;
  const std::string addr = m.address();
  auto q = m.Queue<int>();
  std::atomic<bool> calling{false};
  std::thread blocked([q, &calling] {
    calling = true;
    // Waits in the server (or finds it gone, if shutdown wins the race): either way it raises.
    EXPECT_THROW(q.get(), triad::Error);
  });
  while (!calling) std::this_thread::yield();
  m.shutdown();  // does not wait for the get forever
  blocked.join();
  EXPECT_FALSE(exists(addr));
}

TEST_F(ManagerTest, KilledManagerRaisesInsteadOfHanging) {
  tp::Manager m;
  const std::string addr = m.address();
  auto d = m.dict<int, int>();
  auto q = m.Queue<int>();
  d[1] = 1;  // a pooled connection now exists
  std::atomic<bool> calling{false};
  std::thread blocked([q, &calling] {
    calling = true;
    // Waits in the server forever, unless the server dies: then it must raise.
    EXPECT_THROW(q.get(), triad::Error);
  });
  while (!calling) std::this_thread::yield();
  ASSERT_EQ(::kill(*m.pid(), SIGKILL), 0);
  blocked.join();
  EXPECT_THROW((void)d.len(), triad::Error);  // EOF on the pooled connection or refused
  EXPECT_THROW((void)d.len(), tp::OSError);   // nothing listens any more
  m.shutdown();                               // reaps it and removes the socket file
  EXPECT_FALSE(exists(addr));
}

}  // namespace
