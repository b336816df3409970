"""Side-by-side rows of docs/benchmarks.md: one operation, triad's median and every anchor's
median measured in the same run (see bench/report.py for the results object R).

Each row: the operation, its unit, whether a larger number is better, triad's value and the
anchors' values (label -> function of R). A function that raises KeyError marks a figure that
this run did not measure; the row shows it as such instead of dropping it.
"""

ROWS = []


def compare(operation, unit, higher_is_better, triad, anchors):
    ROWS.append({"operation": operation, "unit": unit, "higher": higher_is_better,
                 "triad": triad, "anchors": anchors})


def _py_json(R, script, key):
    return R.py(script, rf'"{key}": ([\d.e+]+)')


# ---- threads, locks, queues, thread pools ----
compare("ThreadPoolExecutor submit+result, 10^6 trivial tasks", "M tasks/s", True,
        lambda R: R.rate("futures", "BM_Pool_SubmitThenResult/1000000/0") / 1e6, {
            "Python ThreadPoolExecutor": lambda R: _py_json(
                R, "futures", "submit_then_result_tasks_per_s_median") / 1e6,
            "oneTBB task_group (no futures)": lambda R: R.rate("futures", "BM_TbbTaskGroup_Run") / 1e6,
        })
compare("Thread pool, one task in flight: round trip", "µs", False,
        lambda R: R.ns("futures", "BM_Pool_RoundTrip") / 1e3, {
            "Python ThreadPoolExecutor": lambda R: _py_json(R, "futures", "round_trip_us_median"),
            "std::async": lambda R: R.ns("futures", "BM_StdAsync_RoundTrip") / 1e3,
            "oneTBB task_group": lambda R: R.ns("futures", "BM_TbbTaskGroup_RoundTrip") / 1e3,
        })
compare("Lock acquire+release, uncontended", "ns", False,
        lambda R: R.ns("threading", "BM_Lock_Uncontended"), {
            "Python threading.Lock": lambda R: R.py("threading", r"^Lock acquire\+release\s+([\d.]+)"),
            "std::mutex": lambda R: R.ns("threading", "BM_StdMutex_Uncontended"),
        })
compare("Event set/wait ping-pong between two threads", "µs", False,
        lambda R: R.ns("threading", "BM_Event_PingPong") / 1e3, {
            "Python threading.Event": lambda R: R.py(
                "threading", r"^Event set/wait ping-pong \(round trip\)\s+([\d.]+)") / 1e3,
            "std::condition_variable": lambda R: R.ns("threading", "BM_StdConditionVariable_PingPong") / 1e3,
        })
compare("Queue, one producer thread to one consumer thread", "M msgs/s", True,
        lambda R: R.rate("queue", "BM_Queue_SPSC_Unbounded") / 1e6, {
            "Python queue.Queue": lambda R: R.py("queue", r"^Queue_SPSC_Unbounded\s+([\d.]+) k") / 1e3,
            "std::mutex+condvar+deque": lambda R: R.rate("queue", "BM_StdMutexCondvarDeque_SPSC_Unbounded") / 1e6,
            "oneTBB concurrent_bounded_queue": lambda R: R.rate(
                "queue", "BM_TbbConcurrentBoundedQueue_SPSC_Unbounded") / 1e6,
        })
compare("Thread start+join", "µs", False,
        lambda R: R.ns("thread", "BM_TriadThread_StartJoin") / 1e3, {
            "std::thread": lambda R: R.ns("thread", "BM_StdThread_StartJoin") / 1e3,
        })

# ---- processes ----
compare("process Queue, 8-byte values, producer process to consumer process", "M msgs/s", True,
        lambda R: R.rate("process", "BM_Queue8B_triad") / 1e6, {
            "Python multiprocessing.Queue": lambda R: R.py("process", r"^Queue ints:\s+([\d.]+) k") / 1e3,
            "Boost.Interprocess message_queue": lambda R: R.rate(
                "process", "BM_Queue8B_boost_message_queue") / 1e6,
        })
compare("process Queue, 1 KiB values", "M msgs/s", True,
        lambda R: R.rate("process", "BM_Queue1KiB_triad") / 1e6, {
            "Python multiprocessing.Queue": lambda R: R.py("process", r"^Queue 1 KiB bytes:\s+([\d.]+) k") / 1e3,
            "Boost.Interprocess message_queue": lambda R: R.rate(
                "process", "BM_Queue1KiB_boost_message_queue") / 1e6,
        })
compare("ProcessPoolExecutor submit 10^5 tasks, then every result", "k tasks/s", True,
        lambda R: R.rate("process", "BM_Pool_SubmitThenResult") / 1e3, {
            "Python ProcessPoolExecutor": lambda R: R.py(
                "process", r"^Pool submit, then results:\s+([\d.]+) k"),
        })
compare("ProcessPoolExecutor, one task in flight: round trip", "µs", False,
        lambda R: R.ns("process", "BM_Pool_RoundTrip") / 1e3, {
            "Python ProcessPoolExecutor": lambda R: 1e3 / R.py(
                "process", r"^Pool submit\+result:\s+([\d.]+) k"),
        })
compare("ProcessPoolExecutor map, chunksize 256", "k tasks/s", True,
        lambda R: R.rate("process", "BM_Pool_map_chunksize256") / 1e3, {
            "Python ProcessPoolExecutor": lambda R: R.py("process", r"^Pool map\(chunk 256\):\s+([\d.]+) k"),
        })
compare("Process start+join, fork", "ms", False,
        lambda R: R.ns("process", "BM_StartJoin_triad_fork") / 1e6, {
            "Python multiprocessing (fork)": lambda R: R.py("process", r"^fork start\+join:\s+([\d.]+) ms"),
            "bare fork+waitpid": lambda R: R.ns("process", "BM_StartJoin_bare_fork_waitpid") / 1e6,
        })
compare("Process start+join, spawn", "ms", False,
        lambda R: R.ns("process", "BM_StartJoin_triad_spawn") / 1e6, {
            "Python multiprocessing (spawn)": lambda R: R.py("process", r"^spawn start\+join:\s+([\d.]+) ms"),
        })
compare("Pipe ping-pong round trip between processes", "µs", False,
        lambda R: R.ns("process", "BM_PingPong_triad_Pipe") / 1e3, {
            "Python multiprocessing.Pipe": lambda R: R.py("process", r"^Pipe ping-pong:\s+([\d.]+) us"),
            "raw pipe(2)": lambda R: R.ns("process", "BM_PingPong_raw_pipe") / 1e3,
            "raw socketpair(2)": lambda R: R.ns("process", "BM_PingPong_raw_socketpair") / 1e3,
        })

# ---- green threads ----
# The C++ benchmarks time a round trip (two switches); Python's anchor is per switch.
compare("greenlet switch, one direction", "ns", False,
        lambda R: R.ns("green", "BM_GreenletSwitch") / 2, {
            "Python greenlet": lambda R: R.py("green", r"^python greenlet switch\s+median\s+([\d.]+)"),
            "raw Boost.Context": lambda R: R.ns("green", "BM_RawBoostContextSwitch") / 2,
        })
# Same shapes side by side: gevent's anchor is one greenlet yielding alone; Boost.Fiber's is
# two fibers alternating (each iteration then holds the other's yield too).
compare("sleep(0) of one green thread (green -> hub -> green)", "ns", False,
        lambda R: R.ns("green", "BM_HubSleep0Alone"), {
            "gevent sleep(0)": lambda R: R.py("green", r"^gevent sleep\(0\)\s+median\s+([\d.]+)"),
        })
compare("yield, two green threads alternating", "ns", False,
        lambda R: R.ns("green", "BM_HubSleep0"), {
            "Boost.Fiber yield": lambda R: R.ns("green", "BM_BoostFiberYield"),
        })
compare("green thread spawn+join", "ns", False,
        lambda R: R.ns("green", "BM_SpawnJoin"), {
            "gevent spawn+join": lambda R: R.py("green", r"^gevent spawn\+join\s+median\s+([\d.]+)"),
            "Boost.Fiber create+join": lambda R: R.ns("green", "BM_BoostFiberCreateJoin"),
        })

# ---- asyncio ----
compare("create_task+gather of tasks that sleep(0)", "M tasks/s", True,
        lambda R: R.rate("aio", "BM_AioCreateTaskGather/100000") / 1e6, {
            "Python asyncio": lambda R: R.py("aio", r"^asyncio\s+create_task\+gather sleep\(0\) n=100000\s+([\d.]+)") / 1e6,
            "uvloop": lambda R: R.py("aio", r"^uvloop\s+create_task\+gather sleep\(0\) n=100000\s+([\d.]+)") / 1e6,
            "Boost.Asio co_spawn": lambda R: R.rate("aio", "BM_AsioSpawnGather/100000") / 1e6,
        })
compare("co_await of a coroutine that completes at once", "ns", False,
        lambda R: R.ns("aio", "BM_AioAwaitImmediate"), {
            "Python asyncio": lambda R: R.py("aio", r"^asyncio\s+await immediate coroutine \(ns\)\s+([\d.]+)"),
            "Boost.Asio awaitable": lambda R: R.ns("aio", "BM_AsioAwaitImmediate"),
        })

# ---- echo servers (one thread, server and load each pinned to a core) ----
for _harness, _conns in (("echo", "500"), ("echo5000", "5,000")):
    compare(f"echo server, one thread, {_conns} connections (triad green, epoll hub)", "k req/s", True,
            lambda R, h=_harness: R.echo(h, "green_epoll")["rps"] / 1e3, {
                "hand-written epoll": lambda R, h=_harness: R.echo(h, "epoll")["rps"] / 1e3,
                "gevent": lambda R, h=_harness: R.echo(h, "gevent")["rps"] / 1e3,
                "Boost.Asio coroutines": lambda R, h=_harness: R.echo(h, "asio")["rps"] / 1e3,
                "triad aio streams (not an anchor)": lambda R, h=_harness: R.echo(h, "aio")["rps"] / 1e3,
            })
    compare(f"async echo server, one thread, {_conns} connections (triad aio streams)", "k req/s", True,
            lambda R, h=_harness: R.echo(h, "aio")["rps"] / 1e3, {
                "Python asyncio streams": lambda R, h=_harness: R.echo(h, "asyncio")["rps"] / 1e3,
                "Python asyncio streams on uvloop": lambda R, h=_harness: R.echo(h, "uvloop")["rps"] / 1e3,
                "Boost.Asio coroutines": lambda R, h=_harness: R.echo(h, "asio")["rps"] / 1e3,
            })
