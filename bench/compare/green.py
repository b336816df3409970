#!/usr/bin/python3
"""Python anchors for bench/green_bench.cpp: greenlet switch, gevent sleep(0) and
gevent spawn+join, CPU time (process_time, robust on a loaded machine) measured with Debian's /usr/bin/python3 (python3-greenlet, python3-gevent).

    /usr/bin/python3 bench/compare/green.py [--repeat 5]

Prints one line per benchmark: the median over the repeats of ns per operation (a switch is
one direction, as in bench_green's ns_per_switch)."""
import argparse
import statistics
import time

import gevent
from greenlet import greenlet, getcurrent


def bench_switch(n):
    main = getcurrent()

    def run():
        while True:
            main.switch()

    g = greenlet(run)
    t0 = time.process_time_ns()
    for _ in range(n):
        g.switch()
    dt = time.process_time_ns() - t0
    g.throw()
    return dt / (2 * n)


def bench_sleep0(n):
    def run():
        for _ in range(n):
            gevent.sleep(0)

    g = gevent.spawn(run)
    t0 = time.process_time_ns()
    g.join()
    return (time.process_time_ns() - t0) / n


def bench_spawn_join(n):
    def f():
        pass

    t0 = time.process_time_ns()
    for _ in range(n):
        gevent.spawn(f).join()
    return (time.process_time_ns() - t0) / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    for name, fn, n in [("python greenlet switch", bench_switch, 1_000_000),
                        ("gevent sleep(0)", bench_sleep0, 200_000),
                        ("gevent spawn+join", bench_spawn_join, 50_000)]:
        runs = [fn(n) for _ in range(args.repeat)]
        print(f"{name:28s} median {statistics.median(runs):10.1f} ns/op  "
              f"(runs: {', '.join(f'{r:.1f}' for r in runs)})")


if __name__ == "__main__":
    main()
