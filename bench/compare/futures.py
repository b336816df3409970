#!/usr/bin/python3
"""Python's side of bench/futures_bench.cpp: ThreadPoolExecutor measured the same way.

    /usr/bin/python3 bench/compare/futures.py [--tasks 100000] [--roundtrips 20000] [--reps 5]

- submit_then_result: submit N trivial tasks to ThreadPoolExecutor() (default size), then
  result() each; prints tasks/s (median of the repetitions).
- round_trip: one task in flight (submit, result(), repeat); prints microseconds per round
  trip (median).
Prints one JSON object so a driver can compute ratios against the C++ benchmark.
"""
import os
import sys

# bench/compare/ holds scripts named like stdlib modules (threading.py, queue.py): keep the
# script's directory off sys.path so `import concurrent.futures` gets the real ones.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import argparse  # noqa: E402
import concurrent.futures as cf  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402


def trivial(x):
    return x + 1


def submit_then_result(n):
    with cf.ThreadPoolExecutor() as pool:
        t0 = time.perf_counter()
        fs = [pool.submit(trivial, i) for i in range(n)]
        s = 0
        for f in fs:
            s += f.result()
        dt = time.perf_counter() - t0
    return n / dt


def round_trip(n):
    with cf.ThreadPoolExecutor() as pool:
        pool.submit(trivial, 0).result()  # start the worker
        t0 = time.perf_counter()
        for i in range(n):
            pool.submit(trivial, i).result()
        dt = time.perf_counter() - t0
    return dt / n * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--roundtrips", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    tput = [submit_then_result(a.tasks) for _ in range(a.reps)]
    rt = [round_trip(a.roundtrips) for _ in range(a.reps)]
    out = {
        "python": sys.version.split()[0],
        "tasks": a.tasks,
        "submit_then_result_tasks_per_s_median": statistics.median(tput),
        "submit_then_result_all": tput,
        "round_trip_us_median": statistics.median(rt),
        "round_trip_all": rt,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
