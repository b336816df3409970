#!/usr/bin/python3
"""Python's side of bench/process_bench.cpp: multiprocessing on Debian's /usr/bin/python3.

    /usr/bin/python3 -P bench/compare/process.py   (-P: the sibling threading.py/queue.py
    scripts must not shadow the standard library)

Prints medians of 5 runs: Queue msgs/s (ints and 1 KiB bytes, one producer process to one
consumer process), Process start+join with fork and spawn, Pipe ping-pong round trip,
ProcessPoolExecutor submit+result (one in flight), submit N then the results, and
map(chunksize=256). Compare with bench_process from
the same run (docs/bench/process.md).
"""
import multiprocessing as mp
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

N = 100_000


def consumer(q, n, done):
    for _ in range(n):
        q.get()
    done.set()


def queue_rate(item):
    q = mp.Queue()
    done = mp.Event()
    c = mp.Process(target=consumer, args=(q, N, done))
    c.start()
    t0 = time.perf_counter()
    for _ in range(N):
        q.put(item)
    done.wait()
    dt = time.perf_counter() - t0
    c.join()
    return N / dt


def noop():
    pass


def start_join(method, n):
    ctx = mp.get_context(method)
    t0 = time.perf_counter()
    for _ in range(n):
        p = ctx.Process(target=noop)
        p.start()
        p.join()
    return (time.perf_counter() - t0) / n


def echo(conn, other):
    other.close()  # the parent's end, inherited by fork: else EOF never comes
    try:
        while True:
            conn.send(conn.recv())
    except EOFError:
        pass


def ping_pong(n=5_000):
    a, b = mp.Pipe()
    p = mp.Process(target=echo, args=(b, a))
    p.start()
    b.close()
    t0 = time.perf_counter()
    x = 0
    for _ in range(n):
        a.send(x)
        x = a.recv() + 1
    dt = (time.perf_counter() - t0) / n
    a.close()
    p.join()
    return dt


def add_one(x):
    return x + 1


def pool_submit(n=2_000):
    with ProcessPoolExecutor(2) as ex:
        ex.submit(add_one, 0).result()
        t0 = time.perf_counter()
        for i in range(n):
            ex.submit(add_one, i).result()
        return n / (time.perf_counter() - t0)


def pool_submit_then_results(n=20_000):
    with ProcessPoolExecutor(2) as ex:
        ex.submit(add_one, 0).result()
        t0 = time.perf_counter()
        fs = [ex.submit(add_one, i) for i in range(n)]
        for f in fs:
            f.result()
        return n / (time.perf_counter() - t0)


def pool_map(n=100_000):
    with ProcessPoolExecutor(2) as ex:
        list(ex.map(add_one, range(1000), chunksize=256))
        t0 = time.perf_counter()
        list(ex.map(add_one, range(n), chunksize=256))
        return n / (time.perf_counter() - t0)


def median(f, runs=5):
    return statistics.median(f() for _ in range(runs))


if __name__ == "__main__":
    mp.set_start_method("fork")
    print(f"Queue ints:            {median(lambda: queue_rate(12345)) / 1e3:10.1f} k msgs/s")
    print(f"Queue 1 KiB bytes:     {median(lambda: queue_rate(b'x' * 1024)) / 1e3:10.1f} k msgs/s")
    print(f"fork start+join:       {median(lambda: start_join('fork', 200)) * 1e3:10.3f} ms")
    print(f"spawn start+join:      {median(lambda: start_join('spawn', 10), 3) * 1e3:10.3f} ms")
    print(f"Pipe ping-pong:        {median(ping_pong) * 1e6:10.1f} us")
    print(f"Pool submit+result:    {median(pool_submit, 3) / 1e3:10.1f} k tasks/s")
    print(f"Pool submit, then results: {median(pool_submit_then_results, 3) / 1e3:6.1f} k tasks/s")
    print(f"Pool map(chunk 256):   {median(pool_map, 3) / 1e3:10.1f} k tasks/s")
