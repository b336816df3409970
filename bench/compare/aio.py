#!/usr/bin/python3
"""Python side of bench/aio_bench.cpp (docs/bench/aio.md).

  /usr/bin/python3 bench/compare/aio.py                 micro-benchmarks, default loop and uvloop
  /usr/bin/python3 bench/compare/aio.py echo PORT [uvloop]   an asyncio streams echo server
  /usr/bin/python3 bench/compare/aio.py echo-compare BUILD [CONNS] [SECS] [ROUNDS]
        runs, side by side in each round, the echo servers: Python asyncio (default loop,
        uvloop), triad::aio streams and Boost.Asio awaitables (BUILD/bench/bench_aio echo), the
        Reactor Watch server and the hand-written epoll server (BUILD/bench/echo/*). Server
        pinned to CPU 0, load (/work/shared/tools/echoload.c) to CPU 1, as bench/echo/run.sh.
"""
import os
import sys

# bench/compare/ holds threading.py and queue.py (the other comparison scripts), which would
# shadow the standard modules asyncio imports: drop the script's directory from the path.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import asyncio  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402


def best_of(fn, repeat=5):
    return min(fn() for _ in range(repeat))


async def yield_once():
    await asyncio.sleep(0)


async def create_gather(n):
    t0 = time.perf_counter()
    await asyncio.gather(*[asyncio.create_task(yield_once()) for _ in range(n)])
    return time.perf_counter() - t0


async def immediate(x):
    return x + 1


async def await_immediate(n):
    t0 = time.perf_counter()
    acc = 0
    for _ in range(n):
        acc = await immediate(acc)
    return time.perf_counter() - t0


def micro(loop_name, new_loop):
    results = {}
    for n in (1000, 100000):
        def one():
            loop = new_loop()
            try:
                return loop.run_until_complete(create_gather(n))
            finally:
                loop.close()
        results[f"create_task+gather sleep(0) n={n}"] = n / best_of(one)
    def imm():
        loop = new_loop()
        try:
            return loop.run_until_complete(await_immediate(200000))
        finally:
            loop.close()
    results["await immediate coroutine (ns)"] = best_of(imm) / 200000 * 1e9
    for k, v in results.items():
        unit = "ns" if "(ns)" in k else "tasks/s"
        print(f"{loop_name:8s} {k:45s} {v:14.1f} {unit}")


async def echo_conn(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def echo_main(port):
    srv = await asyncio.start_server(echo_conn, "127.0.0.1", port, backlog=1024)
    print("ready (python asyncio, %s)" % type(asyncio.get_running_loop()).__module__, flush=True)
    async with srv:
        await srv.serve_forever()


def echo_server(port, use_uvloop):
    if use_uvloop:
        import uvloop
        uvloop.install()
    asyncio.run(echo_main(port))


def echo_compare(build, conns, secs, rounds):
    load = "/tmp/echoload"
    if not os.access(load, os.X_OK):
        subprocess.check_call(["gcc", "-O2", "-o", load, "/work/shared/tools/echoload.c"])
    me = os.path.abspath(__file__)
    servers = [
        ("python_asyncio", ["/usr/bin/python3", me, "echo", "{port}"]),
        ("python_uvloop", ["/usr/bin/python3", me, "echo", "{port}", "uvloop"]),
        ("triad_aio_streams", [f"{build}/bench/bench_aio", "echo", "{port}", "triad"]),
        ("boost_asio_awaitable", [f"{build}/bench/bench_aio", "echo", "{port}", "asio"]),
        ("reactor_watch_epoll", [f"{build}/bench/echo/bench_echo_reactor", "{port}", "watch", "epoll"]),
        ("epoll_handwritten", [f"{build}/bench/echo/bench_echo_epoll", "{port}"]),
    ]
    port = int(os.environ.get("PORT", "26000"))
    tck = os.sysconf("SC_CLK_TCK")
    table = {name: [] for name, _ in servers}
    for r in range(rounds):
        for name, cmd in servers:
            port += 1
            argv = ["taskset", "-c", "0"] + [a.format(port=port) for a in cmd]
            srv = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            line = srv.stdout.readline()
            if "ready" not in line:
                print(f"{name}: did not start: {line.strip()}")
                srv.kill()
                continue
            def cpu():
                with open(f"/proc/{srv.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                return int(fields[11]) + int(fields[12])
            t0 = cpu()
            out = subprocess.run(["taskset", "-c", "1", load, "127.0.0.1", str(port), str(conns), str(secs)],
                                 capture_output=True, text=True).stdout
            t1 = cpu()
            srv.kill()
            srv.wait()
            reqs = int(re.search(r"requests=(\d+)", out).group(1))
            rps = float(re.search(r"req_per_s=([\d.]+)", out).group(1))
            cpu_us = (t1 - t0) / tck * 1e6 / reqs if reqs else float("nan")
            table[name].append((rps, cpu_us))
            print(f"round {r + 1} {name:22s} rps={rps:10.0f} cpu_us_per_req={cpu_us:6.2f}", flush=True)
    print("\nmedians:")
    for name, rows in table.items():
        if rows:
            print(f"{name:22s} rps={statistics.median(x[0] for x in rows):10.0f} "
                  f"cpu_us_per_req={statistics.median(x[1] for x in rows):6.2f}")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "echo":
        echo_server(int(sys.argv[2]), len(sys.argv) > 3 and sys.argv[3] == "uvloop")
        return
    if len(sys.argv) >= 3 and sys.argv[1] == "echo-compare":
        a = sys.argv[2:] + [None] * 4
        echo_compare(a[0], int(a[1] or 500), float(a[2] or 3), int(a[3] or 3))
        return
    print(sys.version.split()[0])
    micro("asyncio", asyncio.new_event_loop)
    try:
        import uvloop
        micro("uvloop", uvloop.new_event_loop)
    except ImportError:
        print("uvloop not installed")


if __name__ == "__main__":
    main()
