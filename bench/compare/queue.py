#!/usr/bin/python3
"""Python's side of bench/queue_bench.cpp: the same transfers on CPython's queue module.

One producer thread puts BATCH ints, the main thread gets them; messages per second, the
median of RUNS runs, for queue.Queue (unbounded, maxsize 1024, 16, 1), queue.SimpleQueue,
LifoQueue and PriorityQueue (maxsize 1024).
Run: /usr/bin/python3 bench/compare/queue.py
"""
import os
import sys

# This file is named queue.py and sits next to threading.py: drop the script's directory from
# the import path so that `import queue` / `import threading` get the standard library.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import queue  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

BATCH = 200_000
RUNS = 5


def spsc(make, batch=BATCH):
    rates = []
    for _ in range(RUNS):
        q = make()
        put, get = q.put, q.get

        def producer():
            for i in range(batch):
                put(i)

        t = threading.Thread(target=producer)
        start = time.perf_counter()
        t.start()
        total = 0
        for _ in range(batch):
            total += get()
        t.join()
        rates.append(batch / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    print(f"python {sys.version.split()[0]} ({sys.executable}), batch {BATCH}, median of {RUNS}")
    cases = [
        ("Queue_SPSC_Unbounded", lambda: queue.Queue(), BATCH),
        ("Queue_SPSC_Bounded/1024", lambda: queue.Queue(1024), BATCH),
        ("Queue_SPSC_Bounded/16", lambda: queue.Queue(16), BATCH),
        ("Queue_SPSC_Bounded/1", lambda: queue.Queue(1), BATCH // 10),
        ("SimpleQueue_SPSC", lambda: queue.SimpleQueue(), BATCH),
        ("LifoQueue_SPSC_Bounded", lambda: queue.LifoQueue(1024), BATCH),
        ("PriorityQueue_SPSC_Bounded", lambda: queue.PriorityQueue(1024), BATCH),
    ]
    for name, make, batch in cases:
        rate = spsc(make, batch)
        print(f"{name:32s} {rate / 1e3:10.1f} k msgs/s")


if __name__ == "__main__":
    main()
