"""The performance goals of the issues, as ratios measured in one run (see bench/report.py).

Each goal: name, value(R) computing the measured figure from the results R, op and target.
"""

GOALS = []


def goal(name, op, target, unit=""):
    def register(fn):
        GOALS.append({"name": name, "value": fn, "op": op, "target": target, "unit": unit})
        return fn
    return register


# ---- Foundation (issue 2) ----
@goal("ThreadPoolExecutor submit+result of 10^6 tasks", ">=", 5.0, "M tasks/s")
def _(R):
    return R.rate("futures", "BM_Pool_SubmitThenResult/1000000/0") / 1e6


@goal("… vs Python's ThreadPoolExecutor", ">=", 80, "×")
def _(R):
    return R.rate("futures", "BM_Pool_SubmitThenResult/1000000/0") / R.py(
        "futures", r'"submit_then_result_tasks_per_s_median": ([\d.e+]+)')


@goal("… vs a oneTBB task_group (no futures)", ">=", 0.7, "×")
def _(R):
    return R.rate("futures", "BM_Pool_SubmitThenResult/1000000/0") / R.rate(
        "futures", "BM_TbbTaskGroup_Run")


@goal("ThreadPoolExecutor, one task in flight: round trip", "<=", 10, "µs")
def _(R):
    return R.ns("futures", "BM_Pool_RoundTrip") / 1e3


@goal("Uncontended Lock acquire+release vs std::mutex", "<=", 1.5, "×")
def _(R):
    return R.ns("threading", "BM_Lock_Uncontended") / R.ns("threading", "BM_StdMutex_Uncontended")


@goal("Semaphore release, no waiter, vs std::counting_semaphore (which makes a syscall)", "<=", 1.0, "×")
def _(R):
    return R.ns("threading", "BM_Semaphore_AcquireRelease0to1") / R.ns(
        "threading", "BM_StdCountingSemaphore_AcquireRelease0to1")


@goal("Queue between two threads vs Python's queue.Queue", ">=", 30, "×")
def _(R):
    return R.rate("queue", "BM_Queue_SPSC_Unbounded") / (
        R.py("queue", r"^Queue_SPSC_Unbounded\s+([\d.]+) k msgs/s") * 1e3)


@goal("Event set/wait ping-pong vs std::condition_variable ping-pong", "<=", 1.0, "×")
def _(R):
    return R.ns("threading", "BM_Event_PingPong") / R.ns("threading", "BM_StdConditionVariable_PingPong")


@goal("Thread start+join vs std::thread (interleaved in one benchmark)", "<=", 1.2, "×")
def _(R):
    return R.row("thread", "BM_StartJoin_Interleaved")["ratio"]


# ---- Processes (issue 3) ----
@goal("process Queue, 8-byte values, one producer to one consumer process", ">=", 20, "M msgs/s")
def _(R):
    return R.rate("process", "BM_Queue8B_triad") / 1e6


@goal("process Queue, 1 KiB values", ">=", 5, "M msgs/s")
def _(R):
    return R.rate("process", "BM_Queue1KiB_triad") / 1e6


@goal("process Queue 8 B vs Boost.Interprocess message_queue", ">=", 2, "×")
def _(R):
    return R.rate("process", "BM_Queue8B_triad") / R.rate("process", "BM_Queue8B_boost_message_queue")


@goal("process Queue 1 KiB vs Boost.Interprocess message_queue", ">=", 2, "×")
def _(R):
    return R.rate("process", "BM_Queue1KiB_triad") / R.rate("process", "BM_Queue1KiB_boost_message_queue")


@goal("ProcessPoolExecutor submit+result (10^5 tasks submitted, then their results)", ">=", 500, "k tasks/s")
def _(R):
    return R.rate("process", "BM_Pool_SubmitThenResult/100000") / 1e3


@goal("… vs Python's ProcessPoolExecutor (same shape)", ">=", 50, "×")
def _(R):
    return R.rate("process", "BM_Pool_SubmitThenResult/100000") / (
        R.py("process", r"^Pool submit, then results:\s+([\d.]+) k") * 1e3)


@goal("ProcessPoolExecutor map(chunksize=256) vs Python's", ">=", 10, "×")
def _(R):
    return R.rate("process", "BM_Pool_map_chunksize256") / (
        R.py("process", r"^Pool map\(chunk 256\):\s+([\d.]+) k") * 1e3)


@goal("Process start+join with fork vs bare fork+waitpid", "<=", 1.5, "×")
def _(R):
    return R.ns("process", "BM_StartJoin_triad_fork") / R.ns("process", "BM_StartJoin_bare_fork_waitpid")


@goal("Process start+join with spawn", "<=", 10, "ms")
def _(R):
    return R.ns("process", "BM_StartJoin_triad_spawn") / 1e6


@goal("Pipe ping-pong vs a raw pipe ping-pong", "<=", 1.2, "×")
def _(R):
    return R.ns("process", "BM_PingPong_triad_Pipe") / R.ns("process", "BM_PingPong_raw_pipe")


# Not an issue goal: Pipe() is a socketpair, as Python's duplex Pipe is (and send() with
# MSG_NOSIGNAL needs no process-wide SIGPIPE policy); this row shows what the transport costs.
@goal("… the same Pipe vs a raw socketpair ping-pong (same transport)", "<=", 1.2, "×")
def _(R):
    return R.ns("process", "BM_PingPong_triad_Pipe") / R.ns("process", "BM_PingPong_raw_socketpair")


# ---- Green threads (issue 4) ----
@goal("greenlet switch vs a raw Boost.Context switch", "<=", 1.3, "×")
def _(R):
    return R.ns("green", "BM_GreenletSwitch") / R.ns("green", "BM_RawBoostContextSwitch")


# One sleep(0) is a round trip green thread -> hub -> green thread: BM_HubSleep0Alone. (In
# BM_HubSleep0 two green threads alternate, so each of its iterations holds two sleep(0)s.)
@goal("sleep(0) through the hub (one green thread: green -> hub -> green)", "<=", 50, "ns")
def _(R):
    return R.ns("green", "BM_HubSleep0Alone")


@goal("RSS per parked green thread (BM_ParkedGreenletRss: count in its row)", "<=", 6, "KiB")
def _(R):
    return R.row("green", "BM_ParkedGreenletRss")["rss_bytes_per_greenlet"] / 1024


@goal("green spawn+join", "<=", 300, "ns")
def _(R):
    return R.ns("green", "BM_SpawnJoin")


# ---- asyncio (issue 5) ----
@goal("aio create_task+gather of tasks that sleep(0)", ">=", 7, "M tasks/s")
def _(R):
    return R.rate("aio", "BM_AioCreateTaskGather/100000") / 1e6


@goal("co_await of a coroutine that completes at once", "<=", 5, "ns")
def _(R):
    return R.ns("aio", "BM_AioAwaitImmediate")


# ---- echo servers (issues 4 and 5): bench/echo/run.sh, every server side by side per round ----
def _echo(R, harness, server, field="rps"):
    return R.echo(harness, server)[field]


for _h, _c in (("echo", "500"), ("echo5000", "5,000")):
    goal(f"green echo, {_c} connections: req/s vs hand-written epoll", ">=", 0.95, "×")(
        lambda R, h=_h: _echo(R, h, "green_epoll") / _echo(R, h, "epoll"))
    goal(f"green echo, {_c} connections: server CPU per request vs hand-written epoll", "<=", 1.1, "×")(
        lambda R, h=_h: _echo(R, h, "green_epoll", "cpu_us") / _echo(R, h, "epoll", "cpu_us"))
    goal(f"green echo, {_c} connections: req/s vs gevent", ">=", 2, "×")(
        lambda R, h=_h: _echo(R, h, "green_epoll") / _echo(R, h, "gevent"))
    goal(f"green echo on io_uring, {_c} connections: server CPU per request vs epoll's", "<", 1.0, "×")(
        lambda R, h=_h: _echo(R, h, "green_uring", "cpu_us") / _echo(R, h, "epoll", "cpu_us"))
    goal(f"aio echo, {_c} connections: req/s vs the green echo server", ">=", 0.95, "×")(
        lambda R, h=_h: _echo(R, h, "aio") / _echo(R, h, "green_epoll"))
    goal(f"aio echo, {_c} connections: req/s vs Boost.Asio coroutines", ">=", 1.0, "×")(
        lambda R, h=_h: _echo(R, h, "aio") / _echo(R, h, "asio"))
