#!/usr/bin/python3
"""Python's side of bench/threading_bench.cpp: the same operations on CPython's threading.

Prints ns per operation (median of 5 runs) for:
  lock acquire+release (uncontended), RLock acquire+release, Semaphore release (no waiter),
  Event set/wait ping-pong between two threads (one round trip), and a
  threading.Condition ping-pong (the condition-variable anchor).
Run: /usr/bin/python3 bench/compare/threading.py
"""
import os
import sys

# This file is named threading.py (it mirrors bench/threading_bench.cpp): keep its own
# directory off the import path so that `import threading` finds the standard library.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

RUNS = 5


def per_op(fn, n):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter_ns()
        fn(n)
        times.append((time.perf_counter_ns() - start) / n)
    return statistics.median(times)


def lock_acquire_release(n):
    lock = threading.Lock()
    acquire, release = lock.acquire, lock.release
    for _ in range(n):
        acquire()
        release()


def rlock_acquire_release(n):
    lock = threading.RLock()
    acquire, release = lock.acquire, lock.release
    for _ in range(n):
        acquire()
        release()


def semaphore_release(n):
    sem = threading.Semaphore(0)
    release = sem.release
    for _ in range(n):
        release()


def event_ping_pong(n):
    ping, pong = threading.Event(), threading.Event()
    stop = False

    def partner():
        while True:
            ping.wait()
            ping.clear()
            if stop:
                return
            pong.set()

    t = threading.Thread(target=partner)
    t.start()
    for _ in range(n):
        ping.set()
        pong.wait()
        pong.clear()
    stop = True
    ping.set()
    t.join()


def condition_ping_pong(n):
    cond = threading.Condition(threading.Lock())
    state = {"turn": 0}

    def partner():
        with cond:
            while True:
                cond.wait_for(lambda: state["turn"] != 0)
                if state["turn"] == 2:
                    return
                state["turn"] = 0
                cond.notify()

    t = threading.Thread(target=partner)
    t.start()
    for _ in range(n):
        with cond:
            state["turn"] = 1
            cond.notify()
            cond.wait_for(lambda: state["turn"] == 0)
    with cond:
        state["turn"] = 2
        cond.notify()
    t.join()


def main():
    print(f"Python {sys.version.split()[0]} ({sys.executable}), median of {RUNS} runs")
    rows = [
        ("Lock acquire+release", lock_acquire_release, 1_000_000),
        ("RLock acquire+release", rlock_acquire_release, 1_000_000),
        ("Semaphore release, no waiter", semaphore_release, 300_000),
        ("Event set/wait ping-pong (round trip)", event_ping_pong, 20_000),
        ("Condition ping-pong (round trip)", condition_ping_pong, 20_000),
    ]
    for name, fn, n in rows:
        print(f"{name:42s} {per_op(fn, n):12.1f} ns/op")


if __name__ == "__main__":
    main()
